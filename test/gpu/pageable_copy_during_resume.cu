/*
 * pageable_copy_during_resume - a thread waits for a preemptible kernel in a
 * copy to pageable host memory while another thread preempts and resumes it.
 *
 * Such a copy holds a driver lock until the kernel completes, and the kernel
 * completes only after gp_resume(): any CUDA call on the resume path that
 * needs that lock (creating a stream or an event, cudaMalloc) deadlocks.
 * Found on an H100 with cuda-gdb: gp_resume -> relaunch ->
 * cudaStreamCreateWithPriority waited for the lock while the program's own
 * thread sat in cudaMemcpyAsync to a stack variable.
 *
 * The copier thread, per round: launches accumulate_burn (preemptible,
 * y[i] += f(x[i]), ~50-200 ms) and at once copies y into malloc'ed memory
 * with cudaMemcpyAsync, which blocks until the kernel is complete. Rounds
 * alternate between
 *   0. one launch on BE stream 0, a copy on it;
 *   1. launches on BE streams 0 and 1 (created with the least priority), so
 *      two launches need relaunching at once, then a copy on each.
 * Not covered, because it cannot work: a synchronous cudaMemcpy on the
 * legacy default stream. Measured on the H100 (driver 580.159.04, cuda-gdb):
 * while it waits it holds a driver lock that even cuEventRecord in another
 * thread waits for, so once the flag is up nothing can resume the kernel it
 * waits for (README: "Latency-critical work").
 * Each copy must show exactly the launches made so far (CPU reference): the
 * copy waited for the complete kernel, however often it was preempted.
 *
 * The preempter thread, meanwhile, at random moments: gp_preempt(0), then
 * gp_wait_drained (two times in three) and a short pause, then gp_resume(0),
 * or every fourth time latency-critical work on its own stream and
 * gp_resume_after(0, lc). It counts the resumes made while the copier was
 * inside a copy: at least one must be, or the scenario was not exercised.
 *
 * A hang is a failure: the watchdog prints what each thread was doing.
 *
 *     pageable_copy_during_resume [--rounds N] [--iters N] [--timeout S]
 */
#define SAMPLE_UTIL_LCG_KERNELS
#include "../../samples/sample_util.h"

#include <atomic>

static constexpr uint32_t kBlock = 256;
static constexpr uint32_t kBlocksPerSm = 4;
static constexpr uint32_t kStepsPerIter = 8;
static constexpr uint32_t kDefaultIters = 200000; /* ~50-100 ms on an H100 */
static constexpr unsigned kDefaultRounds = 12;
static constexpr uint64_t kDrainTimeoutUs = 2000000;
static constexpr uint32_t kLcElems = 4096;
static constexpr uint32_t kLcIters = 1024;

/* Four LCG chains per element (as lcg_burn), added to y: a block that ran
 * twice or not at all leaves a wrong multiple of f(x[i]). a and c are
 * parameters so that the compiler cannot fold consecutive steps. */
__global__ void accumulate_burn(uint32_t n, uint32_t iters, uint32_t a,
                                uint32_t c, const uint32_t *__restrict__ x,
                                uint32_t *__restrict__ y) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  const uint32_t s = x[i];
  uint32_t x0 = s, x1 = s ^ 0x9E3779B9u, x2 = s + 0x7F4A7C15u, x3 = ~s;
  for (uint32_t k = 0; k < iters; ++k) {
#pragma unroll
    for (uint32_t u = 0; u < kStepsPerIter; ++u) {
      x0 = x0 * a + c;
      x1 = x1 * a + c;
      x2 = x2 * a + c;
      x3 = x3 * a + c;
    }
  }
  y[i] += x0 ^ (x1 << 1) ^ (x2 << 2) ^ (x3 << 3);
}

/* What the watchdog reports: each thread's current step, set before the
 * call and read from the signal handler (lock-free atomics only). */
enum Step : int {
  kIdle,
  kLaunching,
  kInPageableCopy,
  kInPreempt,
  kInWaitDrained,
  kInResume,
  kInResumeAfter,
  kLaunchingLc,
  kPausing,
  kDone,
  kStepCount
};
static const char *const kStepText[kStepCount] = {
    "idle\n",
    "launching accumulate_burn\n",
    "in a copy to pageable memory (waits for the kernel)\n",
    "in gp_preempt\n",
    "in gp_wait_drained\n",
    "in gp_resume\n",
    "in gp_resume_after\n",
    "launching latency-critical work\n",
    "pausing between calls\n",
    "done\n",
};
static std::atomic<int> g_copier_step{kIdle}, g_preempter_step{kIdle};

/* Only write() in the handler: it is async-signal-safe. */
static void write_text(const char *s) {
  size_t len = 0;
  while (s[len] != '\0')
    ++len;
  ssize_t ignored = write(STDOUT_FILENO, s, len);
  (void)ignored;
}

static void on_watchdog(int) {
  write_text("TIMEOUT: pageable_copy_during_resume hung; a copy to pageable "
             "memory and gp_resume waiting for each other is the bug this "
             "test is about\n  copier thread: ");
  write_text(kStepText[g_copier_step.load()]);
  write_text("  preempter thread: ");
  write_text(kStepText[g_preempter_step.load()]);
  _exit(3);
}

struct Stream {
  cudaStream_t handle;
  uint32_t a, c;   /* this stream's LCG */
  uint32_t *d_x, *d_y;
  std::vector<uint32_t> contribution; /* one launch's f(x[i]) */
  std::vector<uint32_t> want;         /* y after the launches so far */
  unsigned launches = 0;
};

static void setup_stream(Stream *s, cudaStream_t handle, uint32_t a,
                         uint32_t c, uint32_t n, uint32_t iters,
                         uint32_t seed) {
  s->handle = handle;
  s->a = a;
  s->c = c;
  std::vector<uint32_t> x(n);
  for (uint32_t i = 0; i < n; ++i)
    x[i] = hash32(seed * n + i);
  CHECK_CUDA(cudaMalloc(&s->d_x, n * sizeof(uint32_t)));
  CHECK_CUDA(cudaMalloc(&s->d_y, n * sizeof(uint32_t)));
  CHECK_CUDA(cudaMemcpy(s->d_x, x.data(), n * sizeof(uint32_t),
                        cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemset(s->d_y, 0, n * sizeof(uint32_t)));
  const LcgJump j = lcg_jump(a, c, (uint64_t)iters * kStepsPerIter);
  s->contribution.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t v = x[i];
    s->contribution[i] = j.apply(v) ^ (j.apply(v ^ 0x9E3779B9u) << 1) ^
                         (j.apply(v + 0x7F4A7C15u) << 2) ^ (j.apply(~v) << 3);
  }
  s->want.assign(n, 0);
}

struct CopierResult {
  unsigned copies = 0, wrong_copies = 0;
  double longest_copy_us = 0;
};

/* Set while the copier is inside a copy to pageable memory. */
static std::atomic<bool> g_in_copy{false};
static std::atomic<bool> g_copier_done{false};

static void launch_on(Stream &s, cudaStream_t where, uint32_t n,
                      uint32_t iters) {
  g_copier_step = kLaunching;
  accumulate_burn<<<n / kBlock, kBlock, 0, where>>>(n, iters, s.a, s.c, s.d_x,
                                                    s.d_y);
  CHECK_LAUNCH();
  ++s.launches;
  for (size_t i = 0; i < s.want.size(); ++i)
    s.want[i] += s.contribution[i];
}

/* Copy y to `host` (malloc'ed: pageable) on `where` and check it. */
static void copy_and_check(Stream &s, cudaStream_t where, uint32_t *host,
                           uint32_t n, unsigned round, CopierResult *res) {
  memset(host, 0xA5, n * sizeof(uint32_t));
  g_copier_step = kInPageableCopy;
  g_in_copy = true;
  const double t0 = now_us();
  CHECK_CUDA(cudaMemcpyAsync(host, s.d_y, n * sizeof(uint32_t),
                             cudaMemcpyDeviceToHost, where));
  const double waited = now_us() - t0;
  g_in_copy = false;
  g_copier_step = kIdle;
  res->longest_copy_us = std::max(res->longest_copy_us, waited);
  ++res->copies;
  uint32_t bad = 0;
  for (uint32_t i = 0; i < n; ++i)
    bad += host[i] != s.want[i];
  if (bad) {
    printf("FAIL round %u: %u of %u copied values differ from the CPU after "
           "%u launches\n",
           round, bad, n, s.launches);
    ++res->wrong_copies;
  }
}

static void copier(unsigned rounds, uint32_t n, uint32_t iters, Stream *be0,
                   Stream *be1, CopierResult *res) {
  /* Pageable on purpose: the whole point of the test. */
  uint32_t *host = (uint32_t *)malloc(n * sizeof(uint32_t));
  if (host == nullptr) {
    fprintf(stderr, "out of host memory\n");
    die_now(2);
  }
  for (unsigned r = 0; r < rounds; ++r) {
    launch_on(*be0, be0->handle, n, iters);
    if (r % 2 == 1) {
      launch_on(*be1, be1->handle, n, iters);
      copy_and_check(*be1, be1->handle, host, n, r, res);
    }
    copy_and_check(*be0, be0->handle, host, n, r, res);
  }
  free(host);
  g_copier_step = kDone;
  g_copier_done = true;
}

struct PreempterResult {
  unsigned cycles = 0, resumes_during_copy = 0, drain_failures = 0;
  unsigned resume_after_calls = 0;
  std::vector<double> drain_us;
};

static void preempter(cudaStream_t lc, const uint32_t *d_lc_in,
                      uint32_t *d_lc_out, PreempterResult *res) {
  Xorshift64 rng(0x5EEDCAFEull);
  while (!g_copier_done) {
    g_preempter_step = kPausing;
    sleep_us(rng.uniform(200, 2000));
    g_preempter_step = kInPreempt;
    CHECK_GP(gp_preempt(0));
    if (res->cycles % 3 != 2) {
      g_preempter_step = kInWaitDrained;
      uint64_t drain = 0;
      gp_status st = gp_wait_drained(0, kDrainTimeoutUs, &drain);
      if (st != GP_SUCCESS) {
        printf("FAIL cycle %u: gp_wait_drained: %s\n", res->cycles,
               gp_status_string(st));
        ++res->drain_failures;
      } else {
        res->drain_us.push_back((double)drain);
      }
      g_preempter_step = kPausing;
      sleep_us(rng.uniform(0, 500));
    } /* else resume at once: the kernel may still be draining */
    const bool during_copy = g_in_copy;
    if (res->cycles % 4 == 3) {
      g_preempter_step = kLaunchingLc;
      lc_transform<<<kLcElems / kBlock, kBlock, 0, lc>>>(
          kLcElems, kLcIters, LCG_A1, LCG_C1, d_lc_in, d_lc_out);
      CHECK_LAUNCH();
      g_preempter_step = kInResumeAfter;
      CHECK_GP(gp_resume_after(0, lc));
      ++res->resume_after_calls;
    } else {
      g_preempter_step = kInResume;
      CHECK_GP(gp_resume(0));
    }
    res->resumes_during_copy += during_copy && g_in_copy;
    ++res->cycles;
  }
  g_preempter_step = kDone;
}

int main(int argc, char **argv) {
  init_output();
  unsigned rounds = kDefaultRounds, timeout_s = 120;
  uint32_t iters = kDefaultIters;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
      rounds = (unsigned)parse_u64_arg(argv[++i], "--rounds");
    } else if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
      iters = (uint32_t)parse_u64_arg(argv[++i], "--iters");
    } else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
      timeout_s = (unsigned)parse_u64_arg(argv[++i], "--timeout");
    } else {
      fprintf(stderr, "usage: %s [--rounds N] [--iters N] [--timeout S]\n",
              argv[0]);
      return 2;
    }
  }
  signal(SIGALRM, on_watchdog);
  alarm(timeout_s);

  int sms = 0, least = 0, greatest = 0;
  CHECK_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  CHECK_CUDA(cudaDeviceGetStreamPriorityRange(&least, &greatest));
  const uint32_t n = (uint32_t)sms * kBlocksPerSm * kBlock;

  /* Two best-effort streams: default priority, and the least priority (the
   * same number on GPUs whose range ends at 0; a distinct level elsewhere). */
  cudaStream_t low;
  CHECK_CUDA(cudaStreamCreateWithPriority(&low, cudaStreamNonBlocking, least));
  Stream be0, be1;
  setup_stream(&be0, make_be_stream(), LCG_A0, LCG_C0, n, iters, 1);
  setup_stream(&be1, low, LCG_A2, LCG_C2, n, iters, 2);
  int p0 = 0, p1 = 0;
  CHECK_CUDA(cudaStreamGetPriority(be0.handle, &p0));
  CHECK_CUDA(cudaStreamGetPriority(be1.handle, &p1));

  /* Everything the preempter's latency-critical work needs, made now:
   * creating it while a kernel is preempted is what the test is about not
   * doing. */
  cudaStream_t lc = make_lc_stream();
  uint32_t *d_lc_in, *d_lc_out;
  std::vector<uint32_t> lc_in(kLcElems);
  for (uint32_t j = 0; j < kLcElems; ++j)
    lc_in[j] = hash32(0xC0FFEEu + j) | 1u;
  CHECK_CUDA(cudaMalloc(&d_lc_in, kLcElems * sizeof(uint32_t)));
  CHECK_CUDA(cudaMalloc(&d_lc_out, kLcElems * sizeof(uint32_t)));
  CHECK_CUDA(cudaMemcpy(d_lc_in, lc_in.data(), kLcElems * sizeof(uint32_t),
                        cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaDeviceSynchronize());

  const double t0 = now_us();
  CopierResult copies;
  PreempterResult pre;
  std::thread preempting(preempter, lc, d_lc_in, d_lc_out, &pre);
  std::thread copying(copier, rounds, n, iters, &be0, &be1, &copies);
  copying.join();
  preempting.join();
  const double elapsed_ms = (now_us() - t0) / 1000;
  CHECK_CUDA(cudaDeviceSynchronize());

  if (pre.resume_after_calls > 0) {
    std::vector<uint32_t> lc_out(kLcElems);
    CHECK_CUDA(cudaMemcpy(lc_out.data(), d_lc_out, kLcElems * sizeof(uint32_t),
                          cudaMemcpyDeviceToHost));
    const LcgJump t = lcg_jump(LCG_A1, LCG_C1, kLcIters);
    uint32_t bad = 0;
    for (uint32_t j = 0; j < kLcElems; ++j)
      bad += lc_out[j] != t.apply(lc_in[j]);
    EXPECT(bad == 0, "%u of %u latency-critical results wrong", bad, kLcElems);
  }

  gp_stats st;
  CHECK_GP(gp_get_stats(&st));
  const unsigned launches = be0.launches + be1.launches;
  printf("pageable_copy_during_resume: %u rounds, %u launches (stream "
         "priorities %d and %d), %u copies to pageable memory (longest wait "
         "%.0f ms), %u preempt/resume cycles (%u with gp_resume_after), %u "
         "resumes while a copy waited, drain p50 %.0f us p99 %.0f us, %.0f ms "
         "in all\n",
         rounds, launches, p0, p1, copies.copies,
         copies.longest_copy_us / 1000, pre.cycles, pre.resume_after_calls,
         pre.resumes_during_copy, percentile(pre.drain_us, 0.5),
         percentile(pre.drain_us, 0.99), elapsed_ms);
  printf("gp stats: preemptions %" PRIu64 " resumes %" PRIu64
         " relaunches %" PRIu64 " launches preemptible %" PRIu64 "\n",
         st.preemptions, st.resumes, st.relaunches, st.launches_preemptible);

  EXPECT(copies.wrong_copies == 0, "%u copies held wrong values",
         copies.wrong_copies);
  EXPECT(pre.drain_failures == 0, "%u gp_wait_drained calls failed",
         pre.drain_failures);
  EXPECT(st.launches_preemptible >= launches,
         "only %" PRIu64 " of %u launches were preemptible",
         st.launches_preemptible, launches);
  EXPECT(st.preemptions > 0 && st.relaunches > 0,
         "no kernel was preempted and relaunched (%" PRIu64
         " preemptions, %" PRIu64 " relaunches)",
         st.preemptions, st.relaunches);
  /* The deadlock needs a resume while the copier waits in its copy; with
   * kernels of tens of ms and pauses of at most 2.5 ms nearly every resume
   * is one. */
  EXPECT(pre.resumes_during_copy > 0,
         "no resume happened while a copy to pageable memory waited (kernels "
         "too short for this GPU? try a larger --iters)");

  for (Stream *s : {&be0, &be1}) {
    CHECK_CUDA(cudaFree(s->d_x));
    CHECK_CUDA(cudaFree(s->d_y));
    CHECK_CUDA(cudaStreamDestroy(s->handle));
  }
  CHECK_CUDA(cudaFree(d_lc_in));
  CHECK_CUDA(cudaFree(d_lc_out));
  CHECK_CUDA(cudaStreamDestroy(lc));
  printf("pageable_copy_during_resume: %s (%d failed checks)\n",
         g_failures ? "FAIL" : "PASS", g_failures);
  return g_failures ? 1 : 0;
}
