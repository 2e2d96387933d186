/*
 * stream_wait_drained - gp_stream_wait_drained(): work enqueued on a stream
 * after it starts only once every best-effort block has left the GPU, and
 * the host never waits.
 *
 * A long kernel that adds to its output (not idempotent) is launched again
 * and again on a BE stream, one block an SM, each launch once the one
 * before has completed; thread 0 of each block writes %globaltimer to that
 * block's word every 256 iterations (~1 us apart). (One launch at a time:
 * a launch queued behind the running one is not waited for, since it
 * cannot start before gp_resume() unless the running one completes during
 * the drain, and then its blocks may start before the flag's copies are
 * up and write their words once: gpreempt.h.) Each
 * round, at a random time: gp_preempt, gp_stream_wait_drained(lc), a probe
 * kernel on the LC stream, gp_resume_after(lc). The probe reads every
 * block's word, waits 30 us on the GPU and reads them again: a BE block
 * still running would have moved its word in that time. Every round must
 * see none move. The same rounds without the wait ("control") count how
 * often BE blocks were still running when the probe started: printed, not
 * checked (that is the GPU's timing), but it shows the probe can tell.
 * Then every output against the CPU; and with nothing running, the call
 * succeeds and the stream's work runs; a capturing stream, a blocking one,
 * the default streams and a bad device are refused.
 *
 * First, before anything else launches preemptibly (so that the pool holds
 * one buffer): a wait that the stream reaches only after its launch has
 * completed and its buffer went on to a launch with a larger control
 * block, which clears it, must still end (reused_buffer).
 *   exit 0: right; 1: wrong; 2: CUDA or gpreempt error; 3: hung.
 */
#include "../../samples/sample_util.h"

#include <vector>

static constexpr unsigned kThreads = 128;
static constexpr uint32_t kIters = 5u << 19; /* ~5 ms a launch (H100) */
static constexpr int kLaunches = 40;         /* per phase */
static constexpr uint64_t kProbeWindowNs = 30000;

__global__ void churn(uint32_t iters, uint32_t *out,
                      unsigned long long *running) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  uint32_t x = hash32(i);
  for (uint32_t k = 0; k < iters; ++k) {
    x = x * LCG_A0 + LCG_C0;
    if (threadIdx.x == 0 && (k & 255) == 0)
      ((volatile unsigned long long *)running)[blockIdx.x] =
          __nvvm_read_ptx_sreg_globaltimer();
  }
  out[i] += x;
}

/* How many of `blocks` (at most kProbeThreads) words changed within
 * kProbeWindowNs: thread t watches word t. */
static constexpr unsigned kProbeThreads = 1024;
GP_NO_PREEMPT __global__ void probe(const unsigned long long *running,
                                    unsigned blocks, unsigned *moved) {
  const volatile unsigned long long *words = running;
  const unsigned t = threadIdx.x;
  const unsigned long long first = t < blocks ? words[t] : 0;
  const uint64_t until =
      (uint64_t)__nvvm_read_ptx_sreg_globaltimer() + kProbeWindowNs;
  while ((uint64_t)__nvvm_read_ptx_sreg_globaltimer() < until) {
  }
  const int changed = t < blocks && words[t] != first;
  const int n = __syncthreads_count(changed);
  if (t == 0)
    *moved = (unsigned)n;
}

/* Holds its stream until the host sets *open (mapped memory), or 10 s. */
GP_NO_PREEMPT __global__ void gate(const volatile int *open) {
  const uint64_t until =
      (uint64_t)__nvvm_read_ptx_sreg_globaltimer() + 10000000000ull;
  while (*open == 0 && (uint64_t)__nvvm_read_ptx_sreg_globaltimer() < until) {
  }
}

/* A wait for a launch whose buffer is reused before the stream gets to it.
 * R0 then R run on one buffer (epochs 1 and 2; gp_wait_drained reaps each
 * once its stream is idle); the LC stream, held by a gate, gets a wait for
 * R while R runs; R completes, and R2 (twice R's blocks at a quarter of
 * their threads: a larger control block, half the save area) takes the
 * same buffer, the pool's only one, and clears its control block. Until
 * the clear kept left_value and epochs went on, R2 started again at epoch
 * 1 and left a value below the one the wait wants: the LC stream hung.
 * Returns whether the LC stream ran on once the gate opened. */
static bool reused_buffer(int device, cudaStream_t be, cudaStream_t lc,
                          unsigned blocks) {
  const unsigned n = blocks * kThreads;
  uint32_t *d_out = nullptr;
  unsigned long long *d_running = nullptr;
  CHECK_CUDA(cudaMalloc(&d_out, n * sizeof(uint32_t)));
  CHECK_CUDA(cudaMalloc(&d_running, 2 * blocks * sizeof(unsigned long long)));
  int *open = nullptr, *open_dev = nullptr;
  CHECK_CUDA(cudaHostAlloc(&open, sizeof *open, cudaHostAllocMapped));
  CHECK_CUDA(cudaHostGetDevicePointer(&open_dev, open, 0));
  *open = 0;

  churn<<<blocks, kThreads, 0, be>>>(256, d_out, d_running); /* R0 */
  CHECK_LAUNCH();
  CHECK_CUDA(cudaStreamSynchronize(be));
  CHECK_GP(gp_wait_drained(device, 0, nullptr));
  gate<<<1, 1, 0, lc>>>(open_dev);
  CHECK_LAUNCH();
  churn<<<blocks, kThreads, 0, be>>>(kIters, d_out, d_running); /* R */
  CHECK_LAUNCH();
  CHECK_GP(gp_stream_wait_drained(device, lc));
  const bool r_ran = cudaStreamQuery(be) == cudaErrorNotReady;
  CHECK_CUDA(cudaStreamSynchronize(be));
  CHECK_GP(gp_wait_drained(device, 0, nullptr));
  churn<<<2 * blocks, kThreads / 4, 0, be>>>(256, d_out, d_running); /* R2 */
  CHECK_LAUNCH();
  CHECK_CUDA(cudaStreamSynchronize(be));
  *open = 1;
  const double t0 = now_us();
  cudaError_t q;
  while ((q = cudaStreamQuery(lc)) == cudaErrorNotReady &&
         now_us() - t0 < 3e6)
    sleep_us(100);
  if (q != cudaErrorNotReady)
    CHECK_CUDA(q);
  EXPECT(r_ran, "R had completed before the wait was made: nothing tested");
  printf("reused_buffer: the LC stream %s %.0f us after its gate opened\n",
         q == cudaSuccess ? "ran on" : "still waited", now_us() - t0);
  if (q != cudaSuccess)
    return false; /* freeing would wait for the stream */
  CHECK_CUDA(cudaFreeHost(open));
  CHECK_CUDA(cudaFree(d_running));
  CHECK_CUDA(cudaFree(d_out));
  return true;
}

/* Launch kLaunches on `be`, each once the one before has completed;
 * meanwhile one round at a time. Returns the rounds, each probe's count in
 * `moved`. */
template <class F>
static int run_phase(cudaStream_t be, unsigned blocks, uint32_t *d_out,
                     unsigned long long *d_running, std::vector<unsigned> &moved,
                     F round) {
  int launched = 0, rounds = 0;
  for (;;) {
    cudaError_t q = cudaStreamQuery(be);
    if (q != cudaSuccess && q != cudaErrorNotReady)
      CHECK_CUDA(q);
    if (q == cudaSuccess) {
      if (launched == kLaunches)
        break;
      churn<<<blocks, kThreads, 0, be>>>(kIters, d_out, d_running);
      CHECK_LAUNCH();
      ++launched;
    }
    sleep_us(200 + rand() % 800);
    moved.push_back(round());
    ++rounds;
  }
  return rounds;
}

int main() {
  init_output();
  start_watchdog(180);
  int device = 0, sms = 0;
  CHECK_CUDA(cudaGetDevice(&device));
  CHECK_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount,
                                    device));
  const unsigned blocks = (unsigned)sms;
  if (blocks > kProbeThreads) {
    fprintf(stderr, "%u SMs: the probe watches at most %u\n", blocks,
            kProbeThreads);
    return 2;
  }
  const unsigned n = blocks * kThreads;
  std::vector<uint32_t> start(n);
  for (unsigned i = 0; i < n; ++i)
    start[i] = hash32(i ^ 0x51a1u); /* never all zero */
  uint32_t *d_out = nullptr;
  unsigned long long *d_running = nullptr;
  unsigned *d_moved = nullptr;
  CHECK_CUDA(cudaMalloc(&d_out, n * sizeof(uint32_t)));
  CHECK_CUDA(cudaMalloc(&d_running, blocks * sizeof(unsigned long long)));
  CHECK_CUDA(cudaMalloc(&d_moved, sizeof(unsigned)));
  CHECK_CUDA(cudaMemcpy(d_out, start.data(), n * sizeof(uint32_t),
                        cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemset(d_running, 0, blocks * sizeof(unsigned long long)));
  cudaStream_t be = make_be_stream(), lc = make_lc_stream();
  if (!reused_buffer(device, be, lc, blocks)) {
    fprintf(stderr, "stream_wait_drained: a wait for a launch whose buffer "
                    "was reused never ended\n");
    die_now(3);
  }

  /* One preempting round: the probe's count of blocks still running. */
  std::vector<double> call_us; /* host time in gp_stream_wait_drained */
  auto preempt_and_probe = [&](bool wait_on_gpu) {
    CHECK_GP(gp_preempt(device));
    if (wait_on_gpu) {
      const double t0 = now_us();
      CHECK_GP(gp_stream_wait_drained(device, lc));
      call_us.push_back(now_us() - t0);
    }
    probe<<<1, kProbeThreads, 0, lc>>>(d_running, blocks, d_moved);
    CHECK_LAUNCH();
    CHECK_GP(gp_resume_after(device, lc));
    unsigned moved = 0;
    CHECK_CUDA(cudaMemcpyAsync(&moved, d_moved, sizeof moved,
                               cudaMemcpyDeviceToHost, lc));
    CHECK_CUDA(cudaStreamSynchronize(lc));
    return moved;
  };

  srand(11);
  std::vector<unsigned> waited, control;
  int rounds = run_phase(be, blocks, d_out, d_running, waited,
                         [&] { return preempt_and_probe(true); });
  int control_rounds = run_phase(be, blocks, d_out, d_running, control,
                                 [&] { return preempt_and_probe(false); });
  CHECK_CUDA(cudaStreamSynchronize(be));

  long still_running = 0, control_running = 0;
  for (unsigned m : waited)
    still_running += m != 0;
  for (unsigned m : control)
    control_running += m != 0;
  EXPECT(still_running == 0,
         "%ld of %d rounds saw BE blocks running after the stream's wait",
         still_running, rounds);
  EXPECT(rounds >= 20, "only %d rounds: the BE work ended too soon", rounds);

  /* Nothing running: the wait is for nothing, and the stream goes on. */
  CHECK_GP(gp_stream_wait_drained(device, lc));
  probe<<<1, kProbeThreads, 0, lc>>>(d_running, blocks, d_moved);
  CHECK_LAUNCH();
  CHECK_CUDA(cudaStreamSynchronize(lc));

  /* Refused: no such device; a stream being captured (the capture goes
   * on unharmed: nothing was recorded into it); streams that synchronize
   * with the legacy default stream. */
  EXPECT(gp_stream_wait_drained(999, lc) == GP_ERROR_INVALID_DEVICE,
         "a bad device was not refused");
  cudaStream_t blocking;
  CHECK_CUDA(cudaStreamCreate(&blocking));
  EXPECT(gp_stream_wait_drained(device, blocking) == GP_ERROR_INVALID_STREAM,
         "a blocking stream was not refused");
  CHECK_CUDA(cudaStreamDestroy(blocking));
  EXPECT(gp_stream_wait_drained(device, nullptr) == GP_ERROR_INVALID_STREAM,
         "the default stream was not refused");
  EXPECT(gp_stream_wait_drained(device, cudaStreamLegacy) ==
             GP_ERROR_INVALID_STREAM,
         "the legacy stream was not refused");
  EXPECT(gp_stream_wait_drained(device, cudaStreamPerThread) ==
             GP_ERROR_INVALID_STREAM,
         "the per-thread default stream was not refused");
  cudaStream_t capturing;
  CHECK_CUDA(cudaStreamCreateWithFlags(&capturing, cudaStreamNonBlocking));
  CHECK_CUDA(cudaStreamBeginCapture(capturing, cudaStreamCaptureModeRelaxed));
  EXPECT(gp_stream_wait_drained(device, capturing) == GP_ERROR_INVALID_STREAM,
         "a capturing stream was not refused");
  cudaGraph_t graph;
  CHECK_CUDA(cudaStreamEndCapture(capturing, &graph));
  CHECK_CUDA(cudaGraphDestroy(graph));

  std::vector<uint32_t> got(n);
  CHECK_CUDA(cudaMemcpy(got.data(), d_out, n * sizeof(uint32_t),
                        cudaMemcpyDeviceToHost));
  const long wrong =
      count_wrong_lcg_sums(got, start, 2u * kLaunches, LCG_A0, LCG_C0, kIters);
  EXPECT(wrong == 0, "%ld wrong outputs", wrong);
  printf("stream_wait_drained: %u blocks; %d rounds with the wait, %ld saw "
         "BE blocks running (the call's host time p50 %.1f max %.1f us); "
         "%d control rounds without it, %ld did; wrong outputs %ld of %u\n",
         blocks, rounds, still_running, percentile(call_us, 0.5),
         percentile(call_us, 1.0), control_rounds, control_running, wrong, n);
  CHECK_CUDA(cudaFree(d_moved));
  CHECK_CUDA(cudaFree(d_running));
  CHECK_CUDA(cudaFree(d_out));
  return g_failures == 0 ? 0 : 1;
}
