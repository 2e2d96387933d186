/*
 * lc_other_thread - latency-critical requests from another host thread while
 * best-effort kernels run on two streams.
 *
 * The main thread queues two long lcg_burn launches on each of two BE
 * streams; together they fill the GPU. A second thread serves kRequests LC
 * requests: gp_preempt(0); gp_wait_drained(0, 100 ms) must succeed; the LC
 * kernel and its copies run on a high-priority non-blocking stream and are
 * waited for; at that moment both BE streams are queried, and the request
 * counts as "while BE pending" if both report cudaErrorNotReady; then
 * gp_resume(0). At least one request must count (the BE work is sized to
 * outlast all of them), and those requests' median latency must stay far
 * below a BE kernel's duration: without preemption an LC request made while
 * both BE kernels run waits until one of them ends. At the end the BE
 * results and every LC result must equal the CPU reference.
 *
 *     lc_other_thread [--requests N]
 */
#define SAMPLE_UTIL_LCG_KERNELS
#include "../../samples/sample_util.h"

static constexpr uint32_t kBeBlock = 256;
static constexpr uint32_t kBeBlocksPerSm = 4; /* per stream */
static constexpr uint32_t kBeIters = 200000;  /* ~100 ms, both streams busy */
static constexpr unsigned kBeLaunchesPerStream = 2;
static constexpr uint32_t kLcElems = 8192;
static constexpr uint32_t kLcBlock = 256;
static constexpr uint32_t kLcIters = 2048;
static constexpr unsigned kRequests = 50;
static constexpr uint64_t kDrainTimeoutUs = 100000;
/* Preempt to result, for a ~5 us kernel: ~50 us expected, 5 ms is generous. */
static constexpr double kMaxLcLatencyP50Us = 5000;

struct ClientResult {
  unsigned served = 0, while_be_pending = 0, drain_failures = 0;
  unsigned wrong_requests = 0;
  std::vector<double> drain_us, latency_us;
  std::vector<double> latency_pending_us; /* of those while BE was pending */
};

/* Allocated by the main thread before the BE work starts: cudaMalloc and
 * cudaFree can synchronize the device, which must not happen mid-test. */
struct LcBuffers {
  cudaStream_t stream;
  uint32_t *h_in, *h_out, *d_in, *d_out; /* host buffers pinned */
};

static void lc_client(unsigned requests, const LcBuffers *buf, cudaStream_t be0,
                      cudaStream_t be1, ClientResult *res) {
  cudaStream_t lc = buf->stream;
  uint32_t *h_in = buf->h_in, *h_out = buf->h_out;
  uint32_t *d_in = buf->d_in, *d_out = buf->d_out;
  const size_t bytes = kLcElems * sizeof(uint32_t);
  const LcgJump transform = lcg_jump(LCG_A1, LCG_C1, kLcIters);
  Xorshift64 rng(0xABCDEF01ull);

  for (unsigned r = 0; r < requests; ++r) {
    for (uint32_t j = 0; j < kLcElems; ++j)
      h_in[j] = hash32(r * kLcElems + j) | 1u;
    memset(h_out, 0xA5, bytes);
    sleep_us(rng.uniform(1000, 3000));

    const double t0 = now_us();
    CHECK_GP(gp_preempt(0));
    uint64_t drain = 0;
    gp_status st = gp_wait_drained(0, kDrainTimeoutUs, &drain);
    if (st != GP_SUCCESS) {
      printf("FAIL request %u: gp_wait_drained(0, %" PRIu64 " us): %s\n", r,
             kDrainTimeoutUs, gp_status_string(st));
      ++res->drain_failures;
    } else {
      res->drain_us.push_back((double)drain);
    }
    CHECK_CUDA(cudaMemcpyAsync(d_in, h_in, bytes, cudaMemcpyHostToDevice, lc));
    lc_transform<<<kLcElems / kLcBlock, kLcBlock, 0, lc>>>(
        kLcElems, kLcIters, LCG_A1, LCG_C1, d_in, d_out);
    CHECK_LAUNCH();
    CHECK_CUDA(
        cudaMemcpyAsync(h_out, d_out, bytes, cudaMemcpyDeviceToHost, lc));
    CHECK_CUDA(cudaStreamSynchronize(lc));
    const double latency = now_us() - t0;
    res->latency_us.push_back(latency);

    /* The LC work is done; the BE work must still be there, preempted. */
    cudaError_t q0 = cudaStreamQuery(be0), q1 = cudaStreamQuery(be1);
    if (q0 != cudaSuccess && q0 != cudaErrorNotReady)
      CHECK_CUDA(q0);
    if (q1 != cudaSuccess && q1 != cudaErrorNotReady)
      CHECK_CUDA(q1);
    if (q0 == cudaErrorNotReady && q1 == cudaErrorNotReady) {
      ++res->while_be_pending;
      res->latency_pending_us.push_back(latency);
    }
    CHECK_GP(gp_resume(0));

    uint32_t wrong = 0;
    for (uint32_t j = 0; j < kLcElems; ++j)
      wrong += h_out[j] != transform.apply(h_in[j]);
    if (wrong)
      printf("FAIL request %u: %u of %u LC results wrong\n", r, wrong,
             kLcElems);
    res->wrong_requests += wrong != 0;
    ++res->served;
  }
}

int main(int argc, char **argv) {
  init_output();
  unsigned requests = kRequests;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--requests") && i + 1 < argc) {
      requests = (unsigned)parse_u64_arg(argv[++i], "--requests");
    } else {
      fprintf(stderr, "usage: %s [--requests N]\n", argv[0]);
      return 2;
    }
  }
  start_watchdog(60);

  int sms = 0;
  CHECK_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  const uint32_t n = (uint32_t)sms * kBeBlocksPerSm * kBeBlock;
  cudaStream_t be[2] = {make_be_stream(), make_be_stream()};
  std::vector<uint32_t> state0[2];
  uint32_t *d_state[2];
  Xorshift64 rng(0x600DF00Dull);
  for (int k = 0; k < 2; ++k) {
    state0[k].resize(n);
    for (uint32_t &s : state0[k])
      s = rng.u32() | 1u;
    CHECK_CUDA(cudaMalloc(&d_state[k], n * sizeof(uint32_t)));
    CHECK_CUDA(cudaMemcpyAsync(d_state[k], state0[k].data(),
                               n * sizeof(uint32_t), cudaMemcpyHostToDevice,
                               be[k]));
    CHECK_CUDA(cudaStreamSynchronize(be[k]));
  }

  LcBuffers lc;
  lc.stream = make_lc_stream();
  const size_t lc_bytes = kLcElems * sizeof(uint32_t);
  CHECK_CUDA(cudaMallocHost(&lc.h_in, lc_bytes));
  CHECK_CUDA(cudaMallocHost(&lc.h_out, lc_bytes));
  CHECK_CUDA(cudaMalloc(&lc.d_in, lc_bytes));
  CHECK_CUDA(cudaMalloc(&lc.d_out, lc_bytes));
  /* Load the LC kernel now (lazy loading), not in the first request. */
  CHECK_CUDA(cudaMemsetAsync(lc.d_in, 0x5A, lc_bytes, lc.stream));
  lc_transform<<<kLcElems / kLcBlock, kLcBlock, 0, lc.stream>>>(
      kLcElems, 1, LCG_A1, LCG_C1, lc.d_in, lc.d_out);
  CHECK_LAUNCH();
  CHECK_CUDA(cudaStreamSynchronize(lc.stream));

  const double t0 = now_us();
  for (unsigned l = 0; l < kBeLaunchesPerStream; ++l) {
    for (int k = 0; k < 2; ++k) {
      lcg_burn<<<n / kBeBlock, kBeBlock, 0, be[k]>>>(n, kBeIters, LCG_A0,
                                                     LCG_C0, d_state[k]);
      CHECK_LAUNCH();
    }
  }
  ClientResult res;
  std::thread client(lc_client, requests, &lc, be[0], be[1], &res);
  client.join();
  const double client_done_us = now_us() - t0;
  for (int k = 0; k < 2; ++k)
    CHECK_CUDA(cudaStreamSynchronize(be[k]));
  const double be_done_us = now_us() - t0;

  for (int k = 0; k < 2; ++k) {
    std::vector<uint32_t> got(n), want = state0[k];
    memset(got.data(), 0xA5, n * sizeof(uint32_t));
    CHECK_CUDA(cudaMemcpyAsync(got.data(), d_state[k], n * sizeof(uint32_t),
                               cudaMemcpyDeviceToHost, be[k]));
    CHECK_CUDA(cudaStreamSynchronize(be[k]));
    for (unsigned l = 0; l < kBeLaunchesPerStream; ++l)
      lcg_burn_reference(want, kBeIters, LCG_A0, LCG_C0);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; ++i)
      bad += got[i] != want[i];
    EXPECT(bad == 0, "BE stream %d: %u of %u results differ from the CPU", k,
           bad, n);
    CHECK_CUDA(cudaFree(d_state[k]));
    CHECK_CUDA(cudaStreamDestroy(be[k]));
  }

  CHECK_CUDA(cudaFreeHost(lc.h_in));
  CHECK_CUDA(cudaFreeHost(lc.h_out));
  CHECK_CUDA(cudaFree(lc.d_in));
  CHECK_CUDA(cudaFree(lc.d_out));
  CHECK_CUDA(cudaStreamDestroy(lc.stream));

  EXPECT(res.served == requests, "served %u of %u requests", res.served,
         requests);
  EXPECT(res.drain_failures == 0, "%u gp_wait_drained calls failed",
         res.drain_failures);
  EXPECT(res.wrong_requests == 0, "%u LC requests had wrong results",
         res.wrong_requests);
  /* Had the LC work waited for BE blocks instead, each request made while
   * BE work was pending would take about as long as a BE kernel (tens of ms
   * here). */
  const double lc_p50 = percentile(res.latency_pending_us, 0.5);
  EXPECT(lc_p50 < kMaxLcLatencyP50Us,
         "LC requests made while BE work was pending took %.0f us (p50): they "
         "waited for BE work",
         lc_p50);
  EXPECT(res.while_be_pending > 0,
         "no LC request completed while BE work was pending (BE done after "
         "%.0f us, client after %.0f us)",
         be_done_us, client_done_us);
  printf("lc_other_thread: %u requests, %u completed while both BE streams "
         "were pending (their latency p50 %.0f us); LC latency p50 %.0f us "
         "p99 %.0f us; drain p50 %.0f us p99 %.0f us max %.0f us; client done "
         "after %.0f ms, BE after %.0f ms\n",
         res.served, res.while_be_pending, lc_p50,
         percentile(res.latency_us, 0.5), percentile(res.latency_us, 0.99),
         percentile(res.drain_us, 0.5), percentile(res.drain_us, 0.99),
         percentile(res.drain_us, 1.0), client_done_us / 1000,
         be_done_us / 1000);
  if (res.while_be_pending < res.served / 2)
    printf("note: BE work ended early; make kBeIters larger for this GPU\n");
  gp_stats st;
  CHECK_GP(gp_get_stats(&st));
  printf("gp stats: preemptions %" PRIu64 " relaunches %" PRIu64
         " launches preemptible %" PRIu64 "\n",
         st.preemptions, st.relaunches, st.launches_preemptible);
  printf("lc_other_thread: %s (%d failed checks)\n",
         g_failures ? "FAIL" : "PASS", g_failures);
  return g_failures ? 1 : 0;
}
