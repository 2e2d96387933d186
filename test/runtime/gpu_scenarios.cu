// The runtime on a real GPU, without the pass: `busy__gp` below is written by
// hand the way gpreempt/abi.h says the pass emits a variant (persistent grid,
// tickets in ctl->next_block, yield when *flag > 0 with the state in the
// save area and logical + 1 in slots[p], slots read by relaunches (marked in
// `save`) only, ctl->progress and a clean control block with
// ctl->complete = epoch after the last block), and
// the launches go through __gpreempt_launch_kernel as instrumented host code
// does. Each scenario is one argument; the *.test files run one each.
//
// The kernel adds to its output (out[i] += f(i)), so a block that ran twice
// or not at all shows up as a wrong value.
#include <gpreempt.h>
#include <gpreempt/abi.h>

#include <cuda_runtime.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

extern "C" cudaError_t __gpreempt_launch_kernel(gp_kernel_ref *, const void *, dim3, dim3, void **,
                                                size_t, cudaStream_t);
extern "C" cudaError_t __gpreempt_launch_kernel_ptsz(gp_kernel_ref *, const void *, dim3, dim3,
                                                     void **, size_t, cudaStream_t);
extern "C" uint64_t gp__stats_raises_armed(void); // the runtime's, for `armed`

// One step of a 64-bit LCG per loop iteration: cheap, and its n-fold
// composition has a closed form for the host check.
#define LCG_A 6364136223846793005ull
#define LCG_C 1442695040888963407ull
#define STATE_WORDS 4u // resume point, i, acc low, acc high
#define POLL_EVERY 1024u

extern "C" __global__ void busy(unsigned long long *out, unsigned iters) {
  unsigned threads = blockDim.x * blockDim.y * blockDim.z;
  unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  unsigned long long block =
      blockIdx.x + (unsigned long long)gridDim.x * (blockIdx.y + (unsigned long long)gridDim.y * blockIdx.z);
  unsigned long long gid = block * threads + t, acc = gid;
  for (unsigned i = 0; i < iters; i++)
    acc = acc * LCG_A + LCG_C;
  out[gid] += acc;
}

// abi.h: thread 0 of each physical block, as it leaves, adds the logical
// blocks it finished and its arrival to ctl->progress; the instance's last
// arrival leaves a complete grid's control block clean and then sets
// complete = epoch, or takes the arrivals back out for the next instance,
// counts the instance, and tells through ctl->left_value and ctl->left_word.
__device__ void leave_instance(gp_launch_ctl *ctl, unsigned long long finished,
                               unsigned long long total, unsigned epoch) {
  const unsigned long long arrival = 1ull << GP_PROGRESS_ARRIVAL_SHIFT;
  __threadfence();
  unsigned long long before =
      atomicAdd((unsigned long long *)&ctl->progress, finished + arrival);
  if ((before >> GP_PROGRESS_ARRIVAL_SHIFT) + 1 != gridDim.x)
    return;
  unsigned long long done = (before & (arrival - 1)) + finished;
  unsigned instances = ctl->instances + 1;
  volatile unsigned long long *left = (volatile unsigned long long *)ctl->left_word;
  if (done != total) {
    ctl->progress = done;
    ctl->instances = instances;
  } else {
    ctl->next_block = 0;
    ctl->progress = 0;
    ctl->instances = 0;
    __threadfence_system();
    atomicExch((unsigned *)&ctl->complete, epoch);
  }
  // left_value before the fence, the host's word after it: a host that
  // sees the word may reuse the control block at once (abi.h).
  const unsigned long long value = GP_LEFT_VALUE(epoch, instances, done == total);
  *(volatile unsigned long long *)&ctl->left_value = value;
  __threadfence_system();
  if (left != NULL)
    *left = value;
}

extern "C" __global__ void busy__gp(unsigned long long *out, unsigned iters, gp_launch_ctl *ctl,
                                    const volatile int *flag, unsigned *save, unsigned gx,
                                    unsigned gy, unsigned gz, unsigned epoch) {
  const unsigned threads = blockDim.x * blockDim.y * blockDim.z;
  const unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const unsigned p = blockIdx.x;
  const unsigned long long total = (unsigned long long)gx * gy * gz;
  volatile unsigned long long *slots =
      (volatile unsigned long long *)((char *)ctl + GP_CTL_SLOTS_OFFSET);
  __shared__ unsigned long long logical;
  __shared__ int resumed, stale;
  const bool relaunch = ((uintptr_t)save & GP_SAVE_RELAUNCH) != 0;
  // No relay here (abi.h: GP_SAVE_RELAY): the runtime's extra block works
  // like the others, and finds no ticket left.
  save = (unsigned *)((uintptr_t)save & ~(uintptr_t)(GP_SAVE_RELAUNCH | GP_SAVE_RELAY));
  const unsigned long long physical = gridDim.x;
  // A relaunch of a grid that completed before it touches nothing.
  if (t == 0)
    stale = relaunch && *(volatile unsigned *)&ctl->complete == epoch;
  __syncthreads();
  if (stale)
    return;
  unsigned long long finished = 0; // thread 0's count
#define SAVED(w) save[((size_t)(p * STATE_WORDS + (w)) * threads + t)]
  for (bool first = true;; first = false) {
    if (t == 0) {
      unsigned long long slot = first && relaunch ? slots[p] : 0;
      resumed = slot != 0;
      if (slot != 0) {
        logical = slot - 1;
        slots[p] = 0;
      } else if (!first && total <= physical) {
        logical = ~0ull; // one wave: no ticket is left
      } else if (*flag > 0) {
        logical = ~0ull; // blocks that start while preempted leave at once
      } else {
        unsigned long long b = atomicAdd((unsigned long long *)&ctl->next_block, 1ull);
        logical = b < total ? b : ~0ull;
      }
    }
    __syncthreads();
    unsigned long long lb = logical;
    bool res = resumed;
    __syncthreads();
    if (lb == ~0ull)
      break;
    unsigned long long gid = lb * threads + t, acc = gid;
    unsigned i = 0;
    if (res) {
      if (SAVED(0) != 1)
        printf("busy__gp: bad resume point %u\n", SAVED(0));
      i = SAVED(1);
      acc = SAVED(2) | ((unsigned long long)SAVED(3) << 32);
    }
    bool yield = false;
    while (i < iters) {
      unsigned end = min(iters, i + POLL_EVERY);
      for (; i < end; i++)
        acc = acc * LCG_A + LCG_C;
      if (i < iters && __syncthreads_or(*flag > 0)) { // the block yields as one
        yield = true;
        break;
      }
    }
    if (yield) {
      SAVED(0) = 1;
      SAVED(1) = i;
      SAVED(2) = (unsigned)acc;
      SAVED(3) = (unsigned)(acc >> 32);
      __threadfence();
      __syncthreads();
      if (t == 0)
        slots[p] = lb + 1;
      break;
    }
    out[gid] += acc;
    __threadfence();
    __syncthreads();
    finished++;
  }
  if (t == 0)
    leave_instance(ctl, finished, total, epoch);
#undef SAVED
}
extern "C" __device__ gp_kernel_info busy__gp_info = {
    GP_INFO_MAGIC, GP_ABI_VERSION, GP_INFO_PREEMPTIBLE, GP_REFUSAL_NONE, STATE_WORDS, 2, 1, 0};

// No info at all: not instrumented. Info without the flag: refused.
extern "C" __global__ void plain_kernel(unsigned long long *out) { out[0] += 1; }
extern "C" __global__ void refused_kernel(unsigned long long *out) { out[0] += 1; }
extern "C" __device__ gp_kernel_info refused_kernel__gp_info = {
    GP_INFO_MAGIC, GP_ABI_VERSION, 0, GP_REFUSAL_BARRIER, 0, 1, 0, 0};

// Latency-critical work: spins `cycles`, launched plainly.
extern "C" __global__ void lc_spin(unsigned long long *x, unsigned long long cycles) {
  unsigned long long start = clock64();
  while (clock64() - start < cycles) {
  }
  if (threadIdx.x == 0)
    x[blockIdx.x] += 1;
}

static gp_kernel_ref ref_busy = {(const void *)busy, "busy", nullptr};
static gp_kernel_ref ref_plain = {(const void *)plain_kernel, "plain_kernel", nullptr};
static gp_kernel_ref ref_refused = {(const void *)refused_kernel, "refused_kernel", nullptr};

static int failures;
#define CK(x)                                                                                      \
  do {                                                                                             \
    cudaError_t e_ = (x);                                                                          \
    if (e_ != cudaSuccess) {                                                                       \
      printf("%s:%d: %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorName(e_));                     \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)
#define EXPECT(c)                                                                                  \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      printf("%s:%d: EXPECT failed: %s\n", __FILE__, __LINE__, #c);                                \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

static double now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// The affine map x -> A x + C applied n times, as (an, cn).
static void lcg_power(unsigned n, unsigned long long *an, unsigned long long *cn) {
  unsigned long long ra = 1, rc = 0, ba = LCG_A, bc = LCG_C;
  for (; n; n >>= 1) {
    if (n & 1) {
      rc = ba * rc + bc;
      ra = ba * ra;
    }
    bc = ba * bc + bc;
    ba = ba * ba;
  }
  *an = ra;
  *cn = rc;
}

struct Job {
  unsigned long long *out;
  size_t n;
  unsigned iters;
  dim3 grid, block;
};

static Job make_job(dim3 grid, dim3 block, unsigned iters) {
  Job j{nullptr, (size_t)grid.x * grid.y * grid.z * block.x * block.y * block.z, iters, grid, block};
  CK(cudaMalloc(&j.out, j.n * 8));
  CK(cudaMemset(j.out, 0, j.n * 8));
  CK(cudaDeviceSynchronize());
  return j;
}

static cudaError_t launch(Job &j, cudaStream_t s, bool per_thread = false) {
  void *args[] = {&j.out, &j.iters};
  return per_thread ? __gpreempt_launch_kernel_ptsz(&ref_busy, (const void *)busy, j.grid, j.block,
                                                    args, 0, s)
                    : __gpreempt_launch_kernel(&ref_busy, (const void *)busy, j.grid, j.block, args,
                                               0, s);
}

// Each value is `times` contributions of f(g); say how many are off and how
// (a multiple of f(g) means blocks ran too often or too rarely).
static bool values_ok(const unsigned long long *h, const Job &j, unsigned times) {
  unsigned long long an, cn;
  lcg_power(j.iters, &an, &cn);
  size_t wrong = 0;
  for (size_t g = 0; g < j.n; g++) {
    unsigned long long f = an * g + cn;
    if (h[g] == f * times)
      continue;
    if (wrong++ < 4) {
      long long k = -1;
      for (unsigned m = 0; m <= 2 * times + 2 && k < 0; m++)
        if (h[g] == f * m)
          k = m;
      printf("  value %zu (block %zu) wrong: %lld contributions instead of %u\n", g,
             g / ((size_t)j.block.x * j.block.y * j.block.z), k, times);
    }
  }
  if (wrong)
    printf("  %zu of %zu values wrong\n", wrong, j.n);
  return wrong == 0;
}

// Each output element must hold `times` contributions, no more, no less.
static void verify(const Job &j, unsigned times, const char *what) {
  std::vector<unsigned long long> h(j.n);
  CK(cudaMemcpy(h.data(), j.out, j.n * 8, cudaMemcpyDeviceToHost));
  bool ok = values_ok(h.data(), j, times);
  printf("%s: %s\n", what, ok ? "ok" : "WRONG");
  failures += !ok;
}

static cudaStream_t be, be_blocking, lc;
static unsigned long long *lc_buf;

static void preempt_drain(uint64_t *drain_us = nullptr) {
  EXPECT(gp_preempt(0) == GP_SUCCESS);
  uint64_t us = 0;
  gp_status st = gp_wait_drained(0, 2000000, &us);
  if (st != GP_SUCCESS)
    printf("gp_wait_drained: %s\n", gp_status_string(st));
  EXPECT(st == GP_SUCCESS);
  if (drain_us)
    *drain_us = us;
}

// Launch, preempt, run latency-critical work while preempted, resume.
static void preempt_resume() {
  Job j = make_job(dim3(20000), dim3(128), 200000);
  double t0 = now_ms();
  CK(launch(j, be));
  CK(cudaStreamSynchronize(be));
  printf("kernel alone: %.1f ms\n", now_ms() - t0);
  CK(cudaMemset(j.out, 0, j.n * 8));
  CK(cudaDeviceSynchronize());

  CK(launch(j, be));
  usleep(10000);
  uint64_t drain_us;
  preempt_drain(&drain_us);
  printf("drain: %llu us\n", (unsigned long long)drain_us);
  EXPECT(cudaStreamQuery(be) == cudaErrorNotReady); // preempted, not finished
  t0 = now_ms();
  lc_spin<<<132, 32, 0, lc>>>(lc_buf, 100000); // first launch: module loading
  CK(cudaStreamSynchronize(lc));
  printf("latency-critical kernel while preempted: %.3f ms\n", now_ms() - t0);
  usleep(20000);
  EXPECT(cudaStreamQuery(be) == cudaErrorNotReady); // stays preempted
  EXPECT(gp_resume(0) == GP_SUCCESS);
  EXPECT(gp_resume(0) == GP_ERROR_NOT_PREEMPTED);
  CK(cudaStreamSynchronize(be));
  verify(j, 1, "preempt-resume");
}

// One kernel preempted hundreds of times at random moments, some nested.
static void many_preemptions() {
  Job j = make_job(dim3(20000), dim3(128), 200000);
  CK(launch(j, be));
  int n = 0;
  uint64_t sum = 0, worst = 0;
  while (cudaStreamQuery(be) == cudaErrorNotReady && n < 300) {
    usleep(rand() % 1000);
    bool nested = n % 7 == 0;
    if (nested)
      EXPECT(gp_preempt(0) == GP_SUCCESS);
    uint64_t us;
    preempt_drain(&us);
    sum += us;
    worst = us > worst ? us : worst;
    if (nested)
      EXPECT(gp_resume(0) == GP_SUCCESS);
    EXPECT(gp_resume(0) == GP_SUCCESS);
    n++;
  }
  CK(cudaStreamSynchronize(be));
  printf("%d preemptions, drain mean %.1f us, max %llu us\n", n, n ? (double)sum / n : 0.0,
         (unsigned long long)worst);
  EXPECT(n > 5);
  verify(j, 1, "many-preemptions");
}

// Queues of launches on a non-blocking, a blocking, the legacy and the
// per-thread default stream, preempted over and over; a copy enqueued after
// them on the stream must see every contribution.
static void streams() {
  Job j1 = make_job(dim3(3000), dim3(256), 30000), j2 = make_job(dim3(50, 20, 3), dim3(16, 4, 2), 40000);
  unsigned long long *pinned;
  CK(cudaMallocHost(&pinned, j1.n * 8));
  for (int k = 0; k < 6; k++) {
    CK(launch(j1, be));
    CK(launch(j2, k < 2 ? be_blocking : nullptr, k >= 4)); // blocking, legacy, per-thread
  }
  CK(cudaMemcpyAsync(pinned, j1.out, j1.n * 8, cudaMemcpyDeviceToHost, be));
  int n = 0;
  while (cudaStreamQuery(be) == cudaErrorNotReady ||
         cudaStreamQuery(be_blocking) == cudaErrorNotReady) {
    if (n++ >= 2000)
      break;
    usleep(rand() % 500);
    if (n % 3)
      preempt_drain();
    else
      EXPECT(gp_preempt(0) == GP_SUCCESS);
    EXPECT(gp_resume(0) == GP_SUCCESS);
  }
  CK(cudaDeviceSynchronize());
  printf("%d preemptions\n", n);
  verify(j1, 6, "streams: non-blocking stream");
  verify(j2, 6, "streams: blocking, legacy and per-thread streams");
  bool ok = values_ok(pinned, j1, 6);
  printf("streams: copy ordered after the launches: %s\n", ok ? "ok" : "WRONG");
  failures += !ok;
  CK(cudaFreeHost(pinned));
}

// More unfinished launches than resume streams (4 per priority), each with
// two more queued behind it on its stream, preempted over and over, half the
// time resumed before they drained: relaunches share the resume streams, and
// one queued behind another's must not wait for anything that needs it.
static void shared_resume_streams() {
  const int kStreams = 12, kPerStream = 3;
  std::vector<cudaStream_t> streams(kStreams);
  std::vector<Job> jobs;
  for (int k = 0; k < kStreams; k++) {
    CK(cudaStreamCreateWithFlags(&streams[k], cudaStreamNonBlocking));
    jobs.push_back(make_job(dim3(400 + 50 * k), dim3(128), 40000));
  }
  gp_stats before, after;
  EXPECT(gp_get_stats(&before) == GP_SUCCESS);
  for (int l = 0; l < kPerStream; l++)
    for (int k = 0; k < kStreams; k++)
      CK(launch(jobs[k], streams[k]));
  auto busy = [&] {
    for (cudaStream_t s : streams)
      if (cudaStreamQuery(s) == cudaErrorNotReady)
        return true;
    return false;
  };
  int n = 0;
  while (busy() && n < 3000) {
    usleep(rand() % 400);
    if (n % 2)
      preempt_drain();
    else
      EXPECT(gp_preempt(0) == GP_SUCCESS);
    EXPECT(gp_resume(0) == GP_SUCCESS);
    n++;
  }
  CK(cudaDeviceSynchronize());
  EXPECT(gp_get_stats(&after) == GP_SUCCESS);
  unsigned long long relaunches = after.relaunches - before.relaunches;
  printf("%d preemptions, %llu relaunches\n", n, relaunches);
  EXPECT(n > 5);
  EXPECT(relaunches > (unsigned long long)kStreams); // more than one per stream
  for (int k = 0; k < kStreams; k++) {
    verify(jobs[k], kPerStream, "shared-resume-streams");
    CK(cudaStreamDestroy(streams[k]));
  }
}

// gp_resume_after: kernels resume behind the latency-critical work; a launch
// made right after it, and a launch made while preempted, complete too.
static void resume_after() {
  Job j = make_job(dim3(20000), dim3(128), 100000), j2 = make_job(dim3(2000), dim3(128), 50000);
  EXPECT(gp_preempt(0) == GP_SUCCESS);
  CK(launch(j, be)); // while preempted: yields at once, runs at the resume
  usleep(20000);
  EXPECT(cudaStreamQuery(be) == cudaErrorNotReady);
  lc_spin<<<1, 32, 0, lc>>>(lc_buf, 20000000ull);
  EXPECT(gp_resume_after(0, lc) == GP_SUCCESS);
  CK(launch(j2, be_blocking)); // before the clear has run on the GPU
  CK(cudaDeviceSynchronize());
  verify(j, 1, "resume-after: launched while preempted");
  verify(j2, 1, "resume-after: launched before the clear ran");

  Job j3 = make_job(dim3(20000), dim3(128), 200000);
  CK(launch(j3, be));
  int n = 0;
  while (cudaStreamQuery(be) == cudaErrorNotReady && n++ < 300) {
    EXPECT(gp_preempt(0) == GP_SUCCESS);
    lc_spin<<<4, 32, 0, lc>>>(lc_buf, 200000ull);
    EXPECT(gp_resume_after(0, lc) == GP_SUCCESS);
    usleep(rand() % 1000);
  }
  CK(cudaDeviceSynchronize());
  printf("%d preempt/resume_after rounds\n", n);
  verify(j3, 1, "resume-after: storm");
}

// Launches that must run the original kernel, counted by reason; a graph
// captured with a preemptible kernel replays the original.
static void unpreempted() {
  gp_stats before, after;
  EXPECT(gp_get_stats(&before) == GP_SUCCESS);
  void *args[] = {&lc_buf};
  dim3 one(1);
  CK(__gpreempt_launch_kernel(&ref_plain, (const void *)plain_kernel, one, one, args, 0, be));
  CK(__gpreempt_launch_kernel(&ref_refused, (const void *)refused_kernel, one, one, args, 0, be));
  Job j = make_job(dim3(100), dim3(128), 1000);
  CK(launch(j, lc)); // high priority: latency-critical
  cudaStream_t cs;
  CK(cudaStreamCreateWithFlags(&cs, cudaStreamNonBlocking));
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  CK(cudaStreamBeginCapture(cs, cudaStreamCaptureModeGlobal));
  CK(launch(j, cs));
  EXPECT(gp_resume_after(0, cs) == GP_ERROR_INVALID_STREAM); // must not break the capture
  CK(cudaStreamEndCapture(cs, &graph));
  CK(cudaGraphInstantiate(&exec, graph, 0));
  CK(cudaGraphLaunch(exec, cs));
  CK(cudaDeviceSynchronize());
  verify(j, 2, "unpreempted: latency-critical and captured launches");
  EXPECT(gp_get_stats(&after) == GP_SUCCESS);
  EXPECT(after.unpreempted_not_instrumented - before.unpreempted_not_instrumented == 1);
  EXPECT(after.unpreempted_refused - before.unpreempted_refused == 1);
  EXPECT(after.unpreempted_latency_critical - before.unpreempted_latency_critical == 1);
  EXPECT(after.unpreempted_capturing - before.unpreempted_capturing == 1);
  EXPECT(after.launches_preemptible == before.launches_preemptible);
}

// Four threads launch (one on its per-thread default stream) while another
// preempts and resumes in a loop.
static void threads() {
  std::vector<Job> jobs;
  for (int t = 0; t < 4; t++)
    jobs.push_back(make_job(dim3(3000), dim3(128), 30000));
  volatile bool stop = false;
  std::thread preempter([&] {
    int n = 0;
    while (!stop) {
      preempt_drain();
      EXPECT(gp_resume(0) == GP_SUCCESS);
      usleep(300);
      n++;
    }
    printf("%d preemptions\n", n);
  });
  std::vector<std::thread> launchers;
  for (int t = 0; t < 4; t++)
    launchers.emplace_back([&, t] {
      cudaStream_t s;
      CK(cudaStreamCreate(&s));
      for (int k = 0; k < 8; k++)
        CK(launch(jobs[t], t == 3 ? nullptr : s, t == 3));
      CK(cudaStreamSynchronize(t == 3 ? cudaStreamPerThread : s));
    });
  for (auto &l : launchers)
    l.join();
  stop = true;
  preempter.join();
  CK(cudaDeviceSynchronize());
  for (int t = 0; t < 4; t++)
    verify(jobs[t], 8, "threads");
}

// Many launches on several streams, for GPREEMPT_STRESS to preempt. One
// output per stream: the per-thread default stream and a blocking stream are
// not ordered with each other, so they must not add to the same array.
static void stress() {
  Job j1 = make_job(dim3(5000), dim3(256), 20000);
  Job per_thread = make_job(dim3(100, 30, 2), dim3(8, 4, 2), 30000);
  Job blocking = make_job(dim3(100, 30, 2), dim3(8, 4, 2), 30000);
  Job legacy = make_job(dim3(100, 30, 2), dim3(8, 4, 2), 30000);
  for (int k = 0; k < 21; k++) {
    CK(launch(j1, be));
    if (k % 3 == 0)
      CK(launch(per_thread, nullptr, true));
    else if (k % 3 == 1)
      CK(launch(blocking, be_blocking));
    else
      CK(launch(legacy, nullptr));
  }
  CK(cudaDeviceSynchronize());
  verify(j1, 21, "stress: non-blocking stream");
  verify(per_thread, 7, "stress: per-thread default stream");
  verify(blocking, 7, "stress: blocking stream");
  verify(legacy, 7, "stress: legacy default stream");
  gp_stats st;
  EXPECT(gp_get_stats(&st) == GP_SUCCESS);
  printf("%llu preemptions, %llu relaunches\n", (unsigned long long)st.preemptions,
         (unsigned long long)st.relaunches);
  if (getenv("GPREEMPT_STRESS"))
    EXPECT(st.preemptions > 0);
}

// The raise held ready on the signal stream (runtime/arm.h): after a resume
// with launches unfinished (and after a launch, once preemptions are being
// asked for), gp_preempt() fires it with a host store instead of enqueueing
// a copy.
static void armed() {
  Job j = make_job(dim3(20000), dim3(128), 200000);
  CK(launch(j, be));
  std::vector<double> calls;
  uint64_t before = gp__stats_raises_armed();
  while (cudaStreamQuery(be) == cudaErrorNotReady && calls.size() < 200) {
    usleep(200 + rand() % 500); // under GPREEMPT_ARM_US: the arm is still pending
    double t0 = now_ms();
    EXPECT(gp_preempt(0) == GP_SUCCESS);
    calls.push_back((now_ms() - t0) * 1e3);
    EXPECT(gp_wait_drained(0, 2000000, nullptr) == GP_SUCCESS);
    EXPECT(gp_resume(0) == GP_SUCCESS);
  }
  CK(cudaStreamSynchronize(be));
  uint64_t fired = gp__stats_raises_armed() - before;
  std::sort(calls.begin(), calls.end());
  printf("%zu preemptions, %llu by an armed raise; gp_preempt p50 %.1f us, max %.1f us\n",
         calls.size(), (unsigned long long)fired, calls.empty() ? 0.0 : calls[calls.size() / 2],
         calls.empty() ? 0.0 : calls.back());
  EXPECT(calls.size() > 10);
  const char *env = getenv("GPREEMPT_ARM_US");
  if (env && atoi(env) == 0)
    EXPECT(fired == 0); // arming off: every raise enqueued when asked
  else
    EXPECT(fired * 2 >= calls.size()); // most: a resume arms again at once
  verify(j, 1, "armed");
}

// Arms are made only while preemptions are asked for (runtime/arm.h,
// GPREEMPT_ARM_IDLE_MS): the device's first gp_preempt() and the first after
// a quiet spell enqueue their raise, the ones soon after fire an arm; with
// GPREEMPT_ARM_IDLE_MS=0 the launch arms at once. One long launch throughout
// (five times `armed`'s), so that an arm is never missing for want of work.
static void arm_idle() {
  const char *env = getenv("GPREEMPT_ARM_IDLE_MS");
  const double idle_ms = env ? atof(env) : 1000.0;
  Job j = make_job(dim3(20000), dim3(128), 1000000);
  CK(launch(j, be));
  auto fired_after = [](double pause_ms) {
    usleep((useconds_t)(pause_ms * 1e3));
    uint64_t before = gp__stats_raises_armed();
    EXPECT(gp_preempt(0) == GP_SUCCESS);
    EXPECT(gp_wait_drained(0, 2000000, nullptr) == GP_SUCCESS);
    EXPECT(gp_resume(0) == GP_SUCCESS);
    return gp__stats_raises_armed() - before;
  };
  uint64_t first = fired_after(1), soon = fired_after(1);
  uint64_t quiet = idle_ms > 0 ? fired_after(idle_ms * 1.5 + 1) : 0;
  bool ran_throughout = cudaStreamQuery(be) == cudaErrorNotReady;
  CK(cudaStreamSynchronize(be));
  printf("armed raises: first %llu, soon after %llu, after %.0f ms quiet %llu; "
         "launch ran throughout: %s\n",
         (unsigned long long)first, (unsigned long long)soon, idle_ms * 1.5 + 1,
         (unsigned long long)quiet, ran_throughout ? "yes" : "no");
  EXPECT(ran_throughout); // otherwise a missing arm proves nothing
  EXPECT(soon == 1);
  if (idle_ms > 0) {
    EXPECT(first == 0);
    EXPECT(quiet == 0);
  } else {
    EXPECT(first == 1);
  }
  verify(j, 1, "arm-idle");
}

// A pending arm is work on the signal stream, which cudaDeviceSynchronize and
// cudaFree wait for: the resumer releases it once the launches are finished,
// and the guard after GPREEMPT_ARM_US at the latest (cudaFree holds a driver
// lock that the resumer's queries wait for), so they wait at most that long
// more and never hang. The launches arm (GPREEMPT_ARM_IDLE_MS=0 in the
// test: no preemption is asked for); each call comes after the kernel
// completed.
static void arm_bound() {
  Job j = make_job(dim3(264), dim3(128), 2000);
  const char *env = getenv("GPREEMPT_ARM_US");
  double arm_ms = (env ? atof(env) : 1000.0) / 1e3, worst = 0, least = 1e9;
  const int rounds = 10;
  for (int i = 0; i < rounds; i++) {
    CK(launch(j, be));
    CK(cudaStreamSynchronize(be));
    double t0 = now_ms();
    if (i % 2 == 0) {
      CK(cudaDeviceSynchronize());
    } else {
      void *p;
      CK(cudaMalloc(&p, 4096));
      CK(cudaFree(p));
    }
    double took = now_ms() - t0;
    worst = took > worst ? took : worst;
    least = took < least ? took : least;
  }
  printf("device-wide waits after a preemptible launch: %.2f to %.2f ms (arms last %.1f ms)\n",
         least, worst, arm_ms);
  EXPECT(worst < arm_ms + 50);
  verify(j, rounds, "arm-bound");
}

static void on_alarm(int) {
  static const char msg[] = "gp-rt-gpu-scenarios: timed out (hang?)\n";
  (void)!write(2, msg, sizeof msg - 1);
  _exit(3);
}

int main(int argc, char **argv) {
  setvbuf(stdout, nullptr, _IONBF, 0);
  signal(SIGALRM, on_alarm);
  alarm(120); // a hang fails the test instead of stalling the suite
  struct {
    const char *name;
    void (*run)();
  } scenarios[] = {{"preempt-resume", preempt_resume}, {"many-preemptions", many_preemptions},
                   {"streams", streams},               {"resume-after", resume_after},
                   {"unpreempted", unpreempted},       {"threads", threads},
                   {"stress", stress},
                   {"shared-resume-streams", shared_resume_streams},
                   {"armed", armed},                   {"arm-bound", arm_bound},
                   {"arm-idle", arm_idle}};
  if (argc != 2) {
    fprintf(stderr, "usage: %s SCENARIO\n", argv[0]);
    return 2;
  }
  CK(cudaSetDevice(0));
  int least, greatest;
  CK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
  CK(cudaStreamCreateWithFlags(&be, cudaStreamNonBlocking));
  CK(cudaStreamCreate(&be_blocking));
  CK(cudaStreamCreateWithPriority(&lc, cudaStreamNonBlocking, greatest));
  CK(cudaMalloc(&lc_buf, 8 * 1024));
  CK(cudaMemset(lc_buf, 0, 8 * 1024));
  for (auto &s : scenarios)
    if (strcmp(argv[1], s.name) == 0) {
      s.run();
      printf("%s: %s\n", s.name, failures ? "FAILED" : "passed");
      return failures != 0;
    }
  fprintf(stderr, "unknown scenario %s\n", argv[1]);
  return 2;
}
