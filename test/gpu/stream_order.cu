/*
 * stream_order - a preempted kernel is not finished: what follows it on its
 * stream waits, and then sees all of its effects.
 *
 * Per round, on one stream: stage_one (preemptible) accumulates into mid;
 * stage_two (preemptible) reads mid, including an element another block of
 * stage_one wrote, and accumulates into out; a copy of out to pinned host
 * memory; an event. The host raises preemption a random delay after
 * enqueueing (sometimes at once, so stage_one may not have started), waits
 * for the GPU to drain, waits longer than the whole round takes unpreempted,
 * and checks that neither the stream nor the event is complete and that the
 * host buffer still holds its poison. In odd rounds
 * stage_two, the copy and the event are enqueued while preemption is raised
 * (launching must not block the host). After gp_resume and a stream sync, out
 * must equal the CPU reference bitwise. mid and out accumulate over the
 * rounds, so a stage that ran twice or not at all shows.
 *
 *     stream_order [--rounds N]
 */
#include "../../samples/sample_util.h"

static constexpr uint32_t kN = 1u << 20;
static constexpr uint32_t kBlock = 256;
static constexpr uint32_t kStepsPerIter = 8;
static constexpr uint32_t kItersOne = 20000; /* stage_one: ~tens of ms */
static constexpr uint32_t kItersTwo = 5000;
static constexpr unsigned kRounds = 50;

/* LCG steps as in sample_util.h's lcg_burn: the multiplier and increment
 * are parameters so that the compiler cannot fold consecutive steps. */
__global__ void stage_one(uint32_t n, uint32_t iters, uint32_t a, uint32_t c,
                          const uint32_t *__restrict__ in,
                          uint32_t *__restrict__ mid) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  uint32_t x = in[i], y = in[i] ^ 0x9E3779B9u;
  for (uint32_t k = 0; k < iters; ++k) {
#pragma unroll
    for (uint32_t u = 0; u < kStepsPerIter; ++u) {
      x = x * a + c;
      y = y * a + c;
    }
  }
  mid[i] += x ^ (y << 1);
}

__global__ void stage_two(uint32_t n, uint32_t iters, uint32_t a, uint32_t c,
                          const uint32_t *__restrict__ mid,
                          uint32_t *__restrict__ out) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  /* mid[n - 1 - i] was written by another block of stage_one. */
  uint32_t x = mid[i] ^ (mid[n - 1 - i] * 0x01000193u);
  for (uint32_t k = 0; k < iters; ++k) {
#pragma unroll
    for (uint32_t u = 0; u < kStepsPerIter; ++u)
      x = x * a + c;
  }
  out[i] += x;
}

struct Reference {
  LcgJump one, two;
  std::vector<uint32_t> in, mid, out;
  void round() {
    for (uint32_t i = 0; i < kN; ++i)
      mid[i] += one.apply(in[i]) ^ (one.apply(in[i] ^ 0x9E3779B9u) << 1);
    for (uint32_t i = 0; i < kN; ++i)
      out[i] += two.apply(mid[i] ^ (mid[kN - 1 - i] * 0x01000193u));
  }
};

static const uint32_t kPoison = 0xA5A5A5A5u;

static bool all_poison(const uint32_t *p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != kPoison)
      return false;
  return true;
}

int main(int argc, char **argv) {
  init_output();
  unsigned rounds = kRounds;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
      rounds = (unsigned)parse_u64_arg(argv[++i], "--rounds");
    } else {
      fprintf(stderr, "usage: %s [--rounds N]\n", argv[0]);
      return 2;
    }
  }
  start_watchdog(60);

  Reference ref;
  ref.one = lcg_jump(LCG_A0, LCG_C0, (uint64_t)kItersOne * kStepsPerIter);
  ref.two = lcg_jump(LCG_A2, LCG_C2, (uint64_t)kItersTwo * kStepsPerIter);
  Xorshift64 rng(0x0DDBA11ull);
  ref.in.resize(kN);
  ref.mid.resize(kN);
  ref.out.resize(kN);
  for (uint32_t i = 0; i < kN; ++i) {
    ref.in[i] = rng.u32() | 1u;
    ref.mid[i] = rng.u32() | 1u;
    ref.out[i] = rng.u32() | 1u;
  }

  const size_t bytes = kN * sizeof(uint32_t);
  uint32_t *d_in, *d_mid, *d_out, *h_out;
  CHECK_CUDA(cudaMalloc(&d_in, bytes));
  CHECK_CUDA(cudaMalloc(&d_mid, bytes));
  CHECK_CUDA(cudaMalloc(&d_out, bytes));
  CHECK_CUDA(cudaMallocHost(&h_out, bytes));
  cudaStream_t s = make_be_stream();
  cudaEvent_t done;
  CHECK_CUDA(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
  CHECK_CUDA(
      cudaMemcpyAsync(d_in, ref.in.data(), bytes, cudaMemcpyHostToDevice, s));
  CHECK_CUDA(
      cudaMemcpyAsync(d_mid, ref.mid.data(), bytes, cudaMemcpyHostToDevice, s));
  CHECK_CUDA(
      cudaMemcpyAsync(d_out, ref.out.data(), bytes, cudaMemcpyHostToDevice, s));
  CHECK_CUDA(cudaStreamSynchronize(s));

  const uint32_t grid = kN / kBlock;
  auto enqueue_rest = [&]() {
    stage_two<<<grid, kBlock, 0, s>>>(kN, kItersTwo, LCG_A2, LCG_C2, d_mid,
                                      d_out);
    CHECK_LAUNCH();
    CHECK_CUDA(cudaMemcpyAsync(h_out, d_out, bytes, cudaMemcpyDeviceToHost, s));
    CHECK_CUDA(cudaEventRecord(done, s));
  };
  auto check_out = [&](unsigned round) {
    ref.round();
    uint32_t bad = 0;
    for (uint32_t i = 0; i < kN; ++i)
      if (h_out[i] != ref.out[i] && bad++ < 3)
        printf("round %u: out[%u] gpu %08x cpu %08x\n", round, i, h_out[i],
               ref.out[i]);
    EXPECT(bad == 0, "round %u: %u of %u outputs differ from the CPU", round,
           bad, kN);
  };

  /* Round 0, not preempted: correctness and how long the stages take, which
   * bounds the preempt delays so that preemption always hits stage_one. */
  memset(h_out, 0xA5, bytes);
  double t0 = now_us();
  stage_one<<<grid, kBlock, 0, s>>>(kN, kItersOne, LCG_A0, LCG_C0, d_in, d_mid);
  CHECK_LAUNCH();
  enqueue_rest();
  CHECK_CUDA(cudaStreamSynchronize(s));
  const double plain_us = now_us() - t0;
  check_out(0);
  const double max_delay_us = std::min(5000.0, plain_us / 4);
  const double hold_us = 1.5 * plain_us + 2000;
  printf("stream_order: unpreempted round %.0f us; preempt delays 0..%.0f us, "
         "held preempted %.0f us\n",
         plain_us, max_delay_us, hold_us);

  std::vector<double> drains;
  unsigned premature = 0;
  for (unsigned round = 1; round <= rounds; ++round) {
    const bool rest_while_preempted = round % 2 == 1;
    const double delay =
        round % 5 == 1 ? 0 : rng.uniform(0, max_delay_us); /* some at once */
    memset(h_out, 0xA5, bytes);

    stage_one<<<grid, kBlock, 0, s>>>(kN, kItersOne, LCG_A0, LCG_C0, d_in,
                                      d_mid);
    CHECK_LAUNCH();
    if (!rest_while_preempted)
      enqueue_rest();
    sleep_us(delay);
    CHECK_GP(gp_preempt(0));
    if (rest_while_preempted)
      enqueue_rest();
    uint64_t drain_us = 0;
    gp_status st = gp_wait_drained(0, 1000000, &drain_us);
    EXPECT(st == GP_SUCCESS, "round %u: gp_wait_drained: %s", round,
           gp_status_string(st));
    drains.push_back((double)drain_us);
    /* Longer than the whole round takes unpreempted: had the kernels kept
     * running, the stream would now be complete. */
    sleep_us(hold_us);

    cudaError_t qs = cudaStreamQuery(s), qe = cudaEventQuery(done);
    EXPECT(qs == cudaErrorNotReady,
           "round %u (delay %.0f us): stream query while preempted: %s", round,
           delay, cudaGetErrorName(qs));
    EXPECT(qe == cudaErrorNotReady,
           "round %u (delay %.0f us): event query while preempted: %s", round,
           delay, cudaGetErrorName(qe));
    bool poisoned = all_poison(h_out, kN);
    EXPECT(poisoned, "round %u: the copy after the preempted kernels ran",
           round);
    premature +=
        qs != cudaErrorNotReady || qe != cudaErrorNotReady || !poisoned;

    CHECK_GP(gp_resume(0));
    CHECK_CUDA(cudaStreamSynchronize(s));
    cudaError_t q_after = cudaEventQuery(done);
    EXPECT(q_after == cudaSuccess, "round %u: event after sync: %s", round,
           cudaGetErrorName(q_after));
    check_out(round);
  }

  gp_stats stats;
  CHECK_GP(gp_get_stats(&stats));
  EXPECT(stats.launches_preemptible >= 2 * (uint64_t)(rounds + 1),
         "%" PRIu64 " preemptible launches, expected %u",
         stats.launches_preemptible, 2 * (rounds + 1));
  printf("stream_order: %u rounds, %u complete too early, drain p50 %.0f us "
         "p99 %.0f us max %.0f us; gp preemptions %" PRIu64
         " relaunches %" PRIu64 "\n",
         rounds, premature, percentile(drains, 0.5), percentile(drains, 0.99),
         percentile(drains, 1.0), stats.preemptions, stats.relaunches);

  CHECK_CUDA(cudaEventDestroy(done));
  CHECK_CUDA(cudaStreamDestroy(s));
  CHECK_CUDA(cudaFree(d_in));
  CHECK_CUDA(cudaFree(d_mid));
  CHECK_CUDA(cudaFree(d_out));
  CHECK_CUDA(cudaFreeHost(h_out));
  printf("stream_order: %s (%d failed checks)\n", g_failures ? "FAIL" : "PASS",
         g_failures);
  return g_failures ? 1 : 0;
}
