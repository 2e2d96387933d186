/*
 * api_errors - the public API's documented statuses, on a machine with a GPU.
 *
 *   - gp_status_string never returns NULL;
 *   - a device that does not exist: GP_ERROR_INVALID_DEVICE (negative ones
 *     may also be GP_ERROR_INVALID_VALUE); gp_get_stats(NULL):
 *     GP_ERROR_INVALID_VALUE;
 *   - gp_resume / gp_resume_after without gp_preempt: GP_ERROR_NOT_PREEMPTED;
 *   - preempt/preempt/resume/resume nests: a kernel stays preempted after the
 *     first resume and completes, correctly, after the second;
 *   - gp_wait_drained with nothing running succeeds;
 *   - gp_resume_after(0, lc_stream) resumes the kernel once the LC work is
 *     done, with correct results;
 *   - a preemptible kernel launched on a high-priority stream is never
 *     preempted: it completes while preemption is raised;
 *   - a launch with an invalid configuration through the preemptible path
 *     fails with the error plain CUDA gives for the same configuration (a
 *     GP_NO_PREEMPT kernel of the same body), via <<<>>> + cudaGetLastError
 *     and via cudaLaunchKernel's return value, and the error is not sticky;
 *   - the counters move as launches are made.
 */
#define SAMPLE_UTIL_LCG_KERNELS
#include "../../samples/sample_util.h"

static constexpr uint32_t kBlock = 256;
static constexpr uint32_t kBlocksPerSm = 4;
static constexpr uint32_t kIters = 80000;

/* lcg_burn's body, opted out: what plain CUDA does with a launch. */
GP_NO_PREEMPT __global__ void lcg_burn_opted_out(uint32_t n, uint32_t iters,
                                                 uint32_t a, uint32_t c,
                                                 uint32_t *__restrict__ state) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  const uint32_t s = state[i];
  uint32_t x0 = s, x1 = s ^ 0x9E3779B9u, x2 = s + 0x7F4A7C15u, x3 = ~s;
  for (uint32_t k = 0; k < iters; ++k) {
#pragma unroll
    for (uint32_t u = 0; u < kBurnStepsPerIter; ++u) {
      x0 = x0 * a + c;
      x1 = x1 * a + c;
      x2 = x2 * a + c;
      x3 = x3 * a + c;
    }
  }
  state[i] = x0 ^ (x1 << 1) ^ (x2 << 2) ^ (x3 << 3);
}

/* Device state for lcg_burn and its CPU mirror. */
struct Burn {
  uint32_t n = 0;
  uint32_t *d_state = nullptr;
  std::vector<uint32_t> want;
  /* Copies go on a non-blocking stream of their own, never on the legacy
   * default stream, which could wait for work that gpreempt holds back. */
  cudaStream_t copy_stream = nullptr;

  void init(uint32_t elems, uint64_t seed) {
    n = elems;
    copy_stream = make_be_stream();
    want.resize(n);
    Xorshift64 rng(seed);
    for (uint32_t &s : want)
      s = rng.u32() | 1u;
    CHECK_CUDA(cudaMalloc(&d_state, n * sizeof(uint32_t)));
    CHECK_CUDA(cudaMemcpyAsync(d_state, want.data(), n * sizeof(uint32_t),
                               cudaMemcpyHostToDevice, copy_stream));
    CHECK_CUDA(cudaStreamSynchronize(copy_stream));
  }
  void launch(cudaStream_t s, uint32_t iters) {
    lcg_burn<<<n / kBlock, kBlock, 0, s>>>(n, iters, LCG_A0, LCG_C0, d_state);
    CHECK_LAUNCH();
    lcg_burn_reference(want, iters, LCG_A0, LCG_C0);
  }
  /* Call once the launches are complete. */
  bool matches(const char *what) {
    std::vector<uint32_t> got(n);
    memset(got.data(), 0xA5, n * sizeof(uint32_t));
    CHECK_CUDA(cudaMemcpyAsync(got.data(), d_state, n * sizeof(uint32_t),
                               cudaMemcpyDeviceToHost, copy_stream));
    CHECK_CUDA(cudaStreamSynchronize(copy_stream));
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; ++i)
      bad += got[i] != want[i];
    EXPECT(bad == 0, "%s: %u of %u results differ from the CPU", what, bad, n);
    return bad == 0;
  }
};

static gp_stats stats_now() {
  gp_stats s;
  CHECK_GP(gp_get_stats(&s));
  return s;
}

#define EXPECT_STATUS(call, want)                                              \
  do {                                                                         \
    gp_status got_ = (call);                                                   \
    EXPECT(got_ == (want), "%s returned %s (%d), expected %s", #call,          \
           gp_status_string(got_), (int)got_, gp_status_string(want));         \
  } while (0)

static void check_status_strings() {
  for (int s = 0; s <= 12; ++s) {
    const char *text = gp_status_string((gp_status)s);
    EXPECT(text && *text, "gp_status_string(%d) is empty", s);
  }
  const char *text = gp_status_string((gp_status)12345);
  EXPECT(text && *text, "gp_status_string(12345) is empty");
}

static void check_bad_arguments() {
  EXPECT_STATUS(gp_preempt(999), GP_ERROR_INVALID_DEVICE);
  EXPECT_STATUS(gp_resume(999), GP_ERROR_INVALID_DEVICE);
  EXPECT_STATUS(gp_wait_drained(999, 1000, nullptr), GP_ERROR_INVALID_DEVICE);
  gp_status neg = gp_preempt(-1);
  EXPECT(neg == GP_ERROR_INVALID_DEVICE || neg == GP_ERROR_INVALID_VALUE,
         "gp_preempt(-1) returned %s", gp_status_string(neg));
  EXPECT_STATUS(gp_get_stats(nullptr), GP_ERROR_INVALID_VALUE);
}

static void check_resume_without_preempt(cudaStream_t lc) {
  EXPECT_STATUS(gp_resume(0), GP_ERROR_NOT_PREEMPTED);
  EXPECT_STATUS(gp_resume_after(0, lc), GP_ERROR_NOT_PREEMPTED);
}

static void check_nesting_idle() {
  EXPECT_STATUS(gp_preempt(0), GP_SUCCESS);
  EXPECT_STATUS(gp_preempt(0), GP_SUCCESS);
  uint64_t drain = 0;
  EXPECT_STATUS(gp_wait_drained(0, 1000000, &drain), GP_SUCCESS);
  EXPECT_STATUS(gp_resume(0), GP_SUCCESS);
  EXPECT_STATUS(gp_resume(0), GP_SUCCESS);
  EXPECT_STATUS(gp_resume(0), GP_ERROR_NOT_PREEMPTED);
  /* Nothing running and nothing preempted: drained at once. */
  EXPECT_STATUS(gp_wait_drained(0, 1000000, nullptr), GP_SUCCESS);
}

/* Two preempts need two resumes: after the first, the kernel must still be
 * off the GPU long after it would have finished. */
static void check_nesting_with_kernel(Burn *burn, cudaStream_t be,
                                      double plain_us) {
  burn->launch(be, kIters);
  EXPECT_STATUS(gp_preempt(0), GP_SUCCESS);
  EXPECT_STATUS(gp_preempt(0), GP_SUCCESS);
  EXPECT_STATUS(gp_wait_drained(0, 1000000, nullptr), GP_SUCCESS);
  EXPECT_STATUS(gp_resume(0), GP_SUCCESS);
  sleep_us(std::max(20000.0, 2 * plain_us));
  cudaError_t q = cudaStreamQuery(be);
  EXPECT(q == cudaErrorNotReady,
         "after one of two resumes the stream reports %s, expected "
         "cudaErrorNotReady",
         cudaGetErrorName(q));
  EXPECT_STATUS(gp_resume(0), GP_SUCCESS);
  CHECK_CUDA(cudaStreamSynchronize(be));
  burn->matches("nested preempt/resume");
}

static void check_resume_after(Burn *burn, cudaStream_t be, cudaStream_t lc,
                               uint32_t *d_lc_in, uint32_t *d_lc_out) {
  burn->launch(be, kIters);
  EXPECT_STATUS(gp_preempt(0), GP_SUCCESS);
  EXPECT_STATUS(gp_wait_drained(0, 1000000, nullptr), GP_SUCCESS);
  lc_transform<<<32, 256, 0, lc>>>(32 * 256, 20000, LCG_A1, LCG_C1, d_lc_in,
                                   d_lc_out);
  CHECK_LAUNCH();
  EXPECT_STATUS(gp_resume_after(0, lc), GP_SUCCESS);
  CHECK_CUDA(cudaStreamSynchronize(be));
  CHECK_CUDA(cudaStreamSynchronize(lc));
  burn->matches("gp_resume_after");
  /* Nothing is preempted any more. */
  EXPECT_STATUS(gp_resume(0), GP_ERROR_NOT_PREEMPTED);
}

/* Latency-critical streams are never preempted, even for kernels the pass
 * instrumented: this one completes while preemption is raised. */
static void check_lc_stream_not_preempted(Burn *burn, cudaStream_t lc) {
  gp_stats before = stats_now();
  EXPECT_STATUS(gp_preempt(0), GP_SUCCESS);
  burn->launch(lc, kIters / 4);
  CHECK_CUDA(cudaStreamSynchronize(lc)); /* the watchdog catches a hang */
  burn->matches("preemptible kernel on a high-priority stream");
  EXPECT_STATUS(gp_resume(0), GP_SUCCESS);
  gp_stats after = stats_now();
  EXPECT(after.unpreempted_latency_critical >
             before.unpreempted_latency_critical,
         "a launch on a high-priority stream was not counted as "
         "latency-critical");
  EXPECT(after.launches_preemptible == before.launches_preemptible,
         "a launch on a high-priority stream was counted as preemptible");
}

static void check_counters(Burn *burn, cudaStream_t be) {
  gp_stats before = stats_now();
  burn->launch(be, 1);
  lcg_burn_opted_out<<<burn->n / kBlock, kBlock, 0, be>>>(
      burn->n, 1, LCG_A0, LCG_C0, burn->d_state);
  CHECK_LAUNCH();
  lcg_burn_reference(burn->want, 1, LCG_A0, LCG_C0);
  CHECK_CUDA(cudaStreamSynchronize(be));
  burn->matches("one preemptible and one opted-out launch");
  gp_stats after = stats_now();
  EXPECT(after.launches_preemptible == before.launches_preemptible + 1,
         "launches_preemptible went from %" PRIu64 " to %" PRIu64
         " for one launch",
         before.launches_preemptible, after.launches_preemptible);
  EXPECT(after.launches_unpreempted == before.launches_unpreempted + 1,
         "launches_unpreempted went from %" PRIu64 " to %" PRIu64
         " for one GP_NO_PREEMPT launch",
         before.launches_unpreempted, after.launches_unpreempted);
  uint64_t parts =
      after.unpreempted_not_instrumented + after.unpreempted_refused +
      after.unpreempted_latency_critical + after.unpreempted_capturing +
      after.unpreempted_no_memory + after.unpreempted_other;
  EXPECT(parts == after.launches_unpreempted,
         "unpreempted launches by reason add up to %" PRIu64 ", not %" PRIu64,
         parts, after.launches_unpreempted);
}

/* The variant runs as a persistent grid of its own shape, so the runtime
 * must reject a bad user configuration itself, as CUDA would. */
static void check_invalid_configurations(Burn *burn, cudaStream_t be) {
  const struct {
    const char *name;
    dim3 grid, block;
  } bad[] = {
      {"blockDim.x 2048", dim3(4), dim3(2048)},
      {"block of 32x32x2 threads", dim3(4), dim3(32, 32, 2)},
      {"blockDim.z 128", dim3(4), dim3(1, 1, 128)},
      {"gridDim.x 0", dim3(0), dim3(256)},
      {"gridDim.y 65536", dim3(1, 65536), dim3(32)},
      {"gridDim.z 65536", dim3(1, 1, 65536), dim3(32)},
  };
  uint32_t n = burn->n, iters = 1, a = LCG_A0, c = LCG_C0;
  uint32_t *state = burn->d_state;
  void *args[] = {&n, &iters, &a, &c, &state};
  for (const auto &cfg : bad) {
    CHECK_CUDA(cudaGetLastError());
    lcg_burn_opted_out<<<cfg.grid, cfg.block, 0, be>>>(n, iters, a, c, state);
    cudaError_t want = cudaGetLastError();
    EXPECT(want != cudaSuccess, "%s: plain CUDA accepted it", cfg.name);

    lcg_burn<<<cfg.grid, cfg.block, 0, be>>>(n, iters, a, c, state);
    cudaError_t got = cudaGetLastError();
    EXPECT(got == want, "%s via <<<>>>: %s, plain CUDA gives %s", cfg.name,
           cudaGetErrorName(got), cudaGetErrorName(want));
    cudaError_t again = cudaGetLastError();
    EXPECT(again == cudaSuccess, "%s: error is sticky: %s", cfg.name,
           cudaGetErrorName(again));

    cudaError_t direct = cudaLaunchKernel((const void *)lcg_burn, cfg.grid,
                                          cfg.block, args, 0, be);
    EXPECT(direct == want, "%s via cudaLaunchKernel: %s, plain CUDA gives %s",
           cfg.name, cudaGetErrorName(direct), cudaGetErrorName(want));
    (void)cudaGetLastError();
  }
  /* The failed launches did nothing, and the GPU still works. */
  CHECK_CUDA(cudaStreamSynchronize(be));
  burn->launch(be, 10);
  CHECK_CUDA(cudaStreamSynchronize(be));
  burn->matches("after the invalid launches");
}

int main() {
  init_output();
  start_watchdog(60);
  int devices = 0;
  CHECK_CUDA(cudaGetDeviceCount(&devices));
  EXPECT(devices >= 1, "no CUDA device");
  int sms = 0;
  CHECK_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));

  cudaStream_t be = make_be_stream(), lc = make_lc_stream();
  Burn burn;
  burn.init((uint32_t)sms * kBlocksPerSm * kBlock, 0xE1203ull);
  uint32_t *d_lc_in, *d_lc_out;
  CHECK_CUDA(cudaMalloc(&d_lc_in, 32 * 256 * sizeof(uint32_t)));
  CHECK_CUDA(cudaMalloc(&d_lc_out, 32 * 256 * sizeof(uint32_t)));
  CHECK_CUDA(cudaMemsetAsync(d_lc_in, 0x5A, 32 * 256 * sizeof(uint32_t), lc));
  CHECK_CUDA(cudaStreamSynchronize(lc));

  check_status_strings();
  check_bad_arguments();
  check_resume_without_preempt(lc);
  check_nesting_idle();

  /* How long one kernel takes unpreempted (the first launch also loads it). */
  burn.launch(be, 10);
  CHECK_CUDA(cudaStreamSynchronize(be));
  double t0 = now_us();
  burn.launch(be, kIters);
  CHECK_CUDA(cudaStreamSynchronize(be));
  const double plain_us = now_us() - t0;
  burn.matches("unpreempted");
  printf("api_errors: %u threads, one kernel of %u steps takes %.0f us "
         "unpreempted\n",
         burn.n, kIters * kBurnStepsPerIter, plain_us);

  check_nesting_with_kernel(&burn, be, plain_us);
  check_resume_after(&burn, be, lc, d_lc_in, d_lc_out);
  check_lc_stream_not_preempted(&burn, lc);
  check_counters(&burn, be);
  check_invalid_configurations(&burn, be);
  EXPECT_STATUS(gp_wait_drained(0, 1000000, nullptr), GP_SUCCESS);

  CHECK_CUDA(cudaFree(d_lc_in));
  CHECK_CUDA(cudaFree(d_lc_out));
  CHECK_CUDA(cudaFree(burn.d_state));
  CHECK_CUDA(cudaStreamDestroy(burn.copy_stream));
  CHECK_CUDA(cudaStreamDestroy(be));
  CHECK_CUDA(cudaStreamDestroy(lc));
  printf("api_errors: %s (%d failed checks)\n", g_failures ? "FAIL" : "PASS",
         g_failures);
  return g_failures ? 1 : 0;
}
