/*
 * relay - relay blocks (abi.h: GP_SAVE_RELAY; docs/design.md, "The relay
 * block") under preemption. The .test runs it with GPREEMPT_RELAY=1, "free"
 * and 0. A grid of one block an SM (so the runtime has room for a
 * relay), or with --many-rounds one of several rounds of tickets whatever
 * the occupancy (so a relay can take a worker's place: physical_grid.h), of
 * a long kernel that adds to its output (not idempotent) is launched again
 * and again on a BE stream while this thread preempts:
 *   1. measured preemptions: gp_preempt, gp_wait_drained, gp_resume at
 *      random times, the drain times printed;
 *   2. the race a relay must lose: gp_preempt and gp_resume back to back,
 *      so that relays read raises that are already lowered, or lowered
 *      while they write; a relay that raised the flag again after its
 *      lowering would hold every later launch back, the final synchronize
 *      would hang and the watchdog fail the test;
 * then every output against the CPU.
 *   exit 0: right; 1: wrong; 2: CUDA or gpreempt error; 3: hung.
 */
#include "../../samples/sample_util.h"

#include <cstdlib>
#include <cstring>
#include <vector>

static constexpr unsigned kThreads = 128;
static constexpr uint32_t kIters = 1u << 19; /* ~1 ms a launch (H100) */
static constexpr unsigned kMostPerSm = 32;    /* blocks an SM holds, at most */
static constexpr int kLaunches = 150;        /* per phase */

__global__ void churn(uint32_t iters, uint32_t *out) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  uint32_t x = hash32(i);
  for (uint32_t k = 0; k < iters; ++k)
    x = x * LCG_A0 + LCG_C0;
  out[i] += x;
}

/* A grid larger than any number of blocks that can be resident at once
 * (sms * m, m <= kMostPerSm), whose rounds of tickets stay as many with
 * one worker fewer, whatever that number: ceil(g / r) == ceil(g / (r - 1)). */
static unsigned grid_of_rounds(unsigned sms) {
  for (unsigned g = sms * kMostPerSm + 1;; ++g) {
    bool stays = true;
    for (unsigned m = 1; m <= kMostPerSm && stays; ++m) {
      unsigned r = sms * m;
      stays = r < 2 || (g + r - 1) / r == (g + r - 2) / (r - 1);
    }
    if (stays)
      return g;
  }
}

/* Launch kLaunches on `be`; meanwhile `preempt_once` until they are done.
 * Returns the preemptions made. */
template <class F>
static int run_phase(cudaStream_t be, unsigned blocks, uint32_t iters,
                     uint32_t *d_out, F preempt_once) {
  for (int l = 0; l < kLaunches; ++l)
    churn<<<blocks, kThreads, 0, be>>>(iters, d_out);
  CHECK_LAUNCH();
  int preemptions = 0;
  for (;;) {
    cudaError_t q = cudaStreamQuery(be);
    if (q == cudaSuccess)
      break;
    if (q != cudaErrorNotReady)
      CHECK_CUDA(q);
    preempt_once();
    ++preemptions;
  }
  return preemptions;
}

int main(int argc, char **argv) {
  const bool many_rounds = argc == 2 && strcmp(argv[1], "--many-rounds") == 0;
  if (argc > 2 || (argc == 2 && !many_rounds)) {
    fprintf(stderr, "usage: %s [--many-rounds]\n", argv[0]);
    return 2;
  }
  init_output();
  start_watchdog(120);
  int device = 0, sms = 0;
  CHECK_CUDA(cudaGetDevice(&device));
  CHECK_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount,
                                    device));
  const unsigned blocks = many_rounds ? grid_of_rounds((unsigned)sms)
                                      : (unsigned)sms;
  const unsigned n = blocks * kThreads;
  /* The same work a launch either way. */
  const uint32_t iters = many_rounds ? kIters / kMostPerSm : kIters;
  std::vector<uint32_t> start(n);
  for (unsigned i = 0; i < n; ++i)
    start[i] = hash32(i ^ 0x5eedu); /* never all zero */
  uint32_t *d_out = nullptr;
  CHECK_CUDA(cudaMalloc(&d_out, n * sizeof(uint32_t)));
  CHECK_CUDA(cudaMemcpy(d_out, start.data(), n * sizeof(uint32_t),
                        cudaMemcpyHostToDevice));
  cudaStream_t be = make_be_stream();

  /* Relays are made only while preemptions are asked for (launch.c). */
  CHECK_GP(gp_preempt(device));
  CHECK_GP(gp_resume(device));

  srand(7);
  std::vector<double> drains;
  int measured = run_phase(be, blocks, iters, d_out, [&] {
    sleep_us(200 + rand() % 800);
    CHECK_GP(gp_preempt(device));
    uint64_t drain_us = 0;
    CHECK_GP(gp_wait_drained(device, 1000000, &drain_us));
    drains.push_back((double)drain_us);
    CHECK_GP(gp_resume(device));
  });
  int raced = run_phase(be, blocks, iters, d_out, [&] {
    CHECK_GP(gp_preempt(device));
    sleep_us(rand() % 20);
    CHECK_GP(gp_resume(device));
    sleep_us(rand() % 50);
  });
  CHECK_CUDA(cudaStreamSynchronize(be));

  std::vector<uint32_t> got(n);
  CHECK_CUDA(cudaMemcpy(got.data(), d_out, n * sizeof(uint32_t),
                        cudaMemcpyDeviceToHost));
  const long wrong =
      count_wrong_lcg_sums(got, start, 2u * kLaunches, LCG_A0, LCG_C0, iters);
  printf("relay: %u blocks; %d measured preemptions, drain p50 %.0f p99 %.0f "
         "max %.0f us; %d raced; wrong outputs %ld of %u\n",
         blocks, measured, percentile(drains, 0.5), percentile(drains, 0.99),
         percentile(drains, 1.0), raced, wrong, n);
  CHECK_CUDA(cudaFree(d_out));
  return wrong == 0 ? 0 : 1;
}
