/*
 * lc_be_demo - a latency-critical (LC) service next to best-effort (BE) work.
 *
 * The BE side keeps the whole GPU busy with long kernels (lcg_burn, every
 * block runs for the whole launch) queued on a stream of default priority.
 * The LC side is another host thread serving requests that arrive at random
 * times: copy the input in, run a short kernel, copy the result out. The LC
 * stream has the highest priority, which alone does not help much: the GPU
 * starts the LC kernel's blocks only when BE blocks end. With gpreempt the
 * client calls gp_preempt(0) as a request arrives (the BE kernels drain while
 * the input is copied), and gp_resume(0) once its result is on the host.
 *
 * LC request latency (arrival to result on the host) is measured three ways:
 *   alone          no BE work at all,
 *   priority only  BE work running, LC on the high-priority stream only,
 *   gpreempt       BE work running, the client preempts it per request.
 * In the two phases with BE work the client stops once the BE work is done,
 * so every sample was taken while BE kernels were running.
 *
 * At the end the BE results (in place, several launches: not idempotent) and
 * every LC result are compared with the CPU. The checksum covers the BE
 * state, which does not depend on timing.
 *
 *     lc_be_demo [--check] [--min-preemptions N] [--repeat R] [--requests N]
 */
#define SAMPLE_UTIL_LCG_KERNELS
#include "sample_util.h"

/* BE work: one element per thread, kBeBlocksPerSm blocks of kBeBlock threads
 * per SM, i.e. the whole GPU, every block as long as its launch. */
static constexpr uint32_t kBeBlock = 256;
static constexpr uint32_t kBeBlocksPerSm = 8;
static constexpr uint32_t kBeIters = 160000; /* gpreempt phase, per launch */
static constexpr uint32_t kBeLaunches = 10;
static constexpr uint32_t kBeItersPrio = 80000; /* priority-only phase */
static constexpr uint32_t kBeLaunchesPrio = 10;

/* LC request: 128 KiB in, a ~20 us kernel, 128 KiB out. */
static constexpr uint32_t kLcElems = 32768;
static constexpr uint32_t kLcBlock = 256;
static constexpr uint32_t kLcIters = 6144;

static constexpr unsigned kRequests = 200;    /* alone and gpreempt phases */
static constexpr unsigned kRequestsPrio = 20; /* each waits for BE blocks */

struct LcContext {
  cudaStream_t stream;
  uint32_t *h_in, *h_out; /* pinned */
  uint32_t *d_in, *d_out;
  LcgJump transform; /* what lc_transform does to one element */
  uint32_t next_request = 0;
  uint64_t wrong_requests = 0, checked_requests = 0;
};

struct PhaseResult {
  std::vector<double> latency_us;
  double be_seconds = 0;
  unsigned be_launches = 0;
};

/* One LC client: up to `requests` requests, each `gap` after the previous
 * result (uniform in [gap_lo_us, gap_hi_us]); stops early once `be_done` has
 * completed. Runs on its own host thread. */
static void lc_client(LcContext *lc, unsigned requests, double gap_lo_us,
                      double gap_hi_us, bool use_gpreempt, cudaEvent_t be_done,
                      uint64_t seed, std::vector<double> *latency_us) {
  Xorshift64 rng(seed);
  const size_t bytes = kLcElems * sizeof(uint32_t);
  double arrival = now_us() + rng.uniform(gap_lo_us, gap_hi_us);
  for (unsigned r = 0; r < requests; ++r) {
    /* The request's data exists before it arrives. */
    const uint32_t id = lc->next_request++;
    for (uint32_t j = 0; j < kLcElems; ++j)
      lc->h_in[j] = hash32(id * kLcElems + j) | 1u;
    memset(lc->h_out, 0xA5, bytes);

    sleep_us(arrival - now_us());
    if (be_done) {
      cudaError_t q = cudaEventQuery(be_done);
      if (q == cudaSuccess)
        break;
      if (q != cudaErrorNotReady)
        CHECK_CUDA(q);
    }

    const double t_arrival = now_us();
    if (use_gpreempt)
      CHECK_GP(gp_preempt(0));
    CHECK_CUDA(cudaMemcpyAsync(lc->d_in, lc->h_in, bytes,
                               cudaMemcpyHostToDevice, lc->stream));
    lc_transform<<<kLcElems / kLcBlock, kLcBlock, 0, lc->stream>>>(
        kLcElems, kLcIters, LCG_A1, LCG_C1, lc->d_in, lc->d_out);
    CHECK_LAUNCH();
    CHECK_CUDA(cudaMemcpyAsync(lc->h_out, lc->d_out, bytes,
                               cudaMemcpyDeviceToHost, lc->stream));
    CHECK_CUDA(cudaStreamSynchronize(lc->stream));
    const double t_result = now_us();
    if (use_gpreempt)
      CHECK_GP(gp_resume(0));
    latency_us->push_back(t_result - t_arrival);

    /* Checked between requests: the next one arrives `gap` after the
     * result, however long this takes. */
    uint32_t wrong = 0;
    for (uint32_t j = 0; j < kLcElems; ++j)
      wrong += lc->h_out[j] != lc->transform.apply(lc->h_in[j]);
    if (wrong && lc->wrong_requests < 5)
      printf("LC request %u: %u of %u results wrong\n", id, wrong, kLcElems);
    lc->wrong_requests += wrong != 0;
    ++lc->checked_requests;
    arrival = t_result + rng.uniform(gap_lo_us, gap_hi_us);
  }
}

/* Enqueue BE launches, serve LC requests from another thread while they
 * run, wait for both. */
static PhaseResult run_phase(LcContext *lc, cudaStream_t be_stream,
                             uint32_t *d_state, uint32_t be_n,
                             unsigned be_launches, uint32_t be_iters,
                             std::vector<uint32_t> *be_history,
                             unsigned requests, double gap_lo_us,
                             double gap_hi_us, bool use_gpreempt,
                             uint64_t seed) {
  PhaseResult res;
  cudaEvent_t be_done = nullptr;
  const double t0 = now_us();
  if (be_launches) {
    const uint32_t grid = be_n / kBeBlock;
    for (unsigned l = 0; l < be_launches; ++l) {
      lcg_burn<<<grid, kBeBlock, 0, be_stream>>>(be_n, be_iters, LCG_A0, LCG_C0,
                                                 d_state);
      CHECK_LAUNCH();
      be_history->push_back(be_iters);
    }
    CHECK_CUDA(cudaEventCreateWithFlags(&be_done, cudaEventDisableTiming));
    CHECK_CUDA(cudaEventRecord(be_done, be_stream));
  }
  std::thread client(lc_client, lc, requests, gap_lo_us, gap_hi_us,
                     use_gpreempt, be_done, seed, &res.latency_us);
  client.join();
  if (be_launches) {
    CHECK_CUDA(cudaStreamSynchronize(be_stream));
    res.be_seconds = (now_us() - t0) * 1e-6;
    res.be_launches = be_launches;
    CHECK_CUDA(cudaEventDestroy(be_done));
  }
  return res;
}

static void usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s [options]\n" COMMON_OPTIONS_HELP
          "  --requests N          LC requests in the alone and gpreempt "
          "phases (default %u)\n",
          argv0, kRequests);
}

int main(int argc, char **argv) {
  init_output();
  CommonOptions opt;
  unsigned requests = kRequests;
  for (int i = 1; i < argc; ++i) {
    if (parse_common_option(&opt, argc, argv, &i))
      continue;
    if (!strcmp(argv[i], "--requests") && i + 1 < argc) {
      requests = (unsigned)parse_u64_arg(argv[++i], "--requests");
      continue;
    }
    usage(argv[0]);
    return 2;
  }
  start_watchdog(opt.timeout_s);

  cudaDeviceProp prop;
  CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
  const uint32_t be_n =
      (uint32_t)prop.multiProcessorCount * kBeBlocksPerSm * kBeBlock;
  printf("lc_be_demo: %s, %d SMs; BE: %u threads x 4 LCG chains, %u launches "
         "x %u steps (priority-only phase: %u x %u); LC: %u elements, %u "
         "dependent steps\n",
         prop.name, prop.multiProcessorCount, be_n, kBeLaunches,
         kBeIters * kBurnStepsPerIter, kBeLaunchesPrio,
         kBeItersPrio * kBurnStepsPerIter, kLcElems, kLcIters);
  if (getenv("GPREEMPT_STRESS") || getenv("GPREEMPT_DISABLE"))
    printf("note: GPREEMPT_STRESS or GPREEMPT_DISABLE is set: the latencies "
           "below do not show gpreempt as configured by default\n");

  std::vector<uint32_t> state0(be_n);
  Xorshift64 rng(0xC0FFEE11ull);
  for (uint32_t &s : state0)
    s = rng.u32() | 1u;
  uint32_t *d_state;
  CHECK_CUDA(cudaMalloc(&d_state, be_n * sizeof(uint32_t)));
  cudaStream_t be_stream = make_be_stream();
  CHECK_CUDA(cudaMemcpyAsync(d_state, state0.data(), be_n * sizeof(uint32_t),
                             cudaMemcpyHostToDevice, be_stream));

  LcContext lc;
  lc.stream = make_lc_stream();
  lc.transform = lcg_jump(LCG_A1, LCG_C1, kLcIters);
  CHECK_CUDA(cudaMallocHost(&lc.h_in, kLcElems * sizeof(uint32_t)));
  CHECK_CUDA(cudaMallocHost(&lc.h_out, kLcElems * sizeof(uint32_t)));
  CHECK_CUDA(cudaMalloc(&lc.d_in, kLcElems * sizeof(uint32_t)));
  CHECK_CUDA(cudaMalloc(&lc.d_out, kLcElems * sizeof(uint32_t)));

  /* Warm-up: load both kernels, so that no phase pays for it. */
  std::vector<uint32_t> be_history;
  lcg_burn<<<be_n / kBeBlock, kBeBlock, 0, be_stream>>>(be_n, 1, LCG_A0, LCG_C0,
                                                        d_state);
  CHECK_LAUNCH();
  be_history.push_back(1);
  CHECK_CUDA(cudaStreamSynchronize(be_stream));
  {
    std::vector<double> ignored;
    lc_client(&lc, 3, 0, 0, false, nullptr, 1, &ignored);
  }

  std::vector<double> alone, prio, gp;
  double be_prio_s = 0, be_gp_s = 0;
  uint64_t be_launches = 1;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    PhaseResult a = run_phase(&lc, be_stream, d_state, be_n, 0, 0, &be_history,
                              requests, 200, 800, false, 100 + r);
    PhaseResult p =
        run_phase(&lc, be_stream, d_state, be_n, kBeLaunchesPrio, kBeItersPrio,
                  &be_history, kRequestsPrio, 1000, 5000, false, 200 + r);
    PhaseResult g =
        run_phase(&lc, be_stream, d_state, be_n, kBeLaunches, kBeIters,
                  &be_history, requests, 500, 3500, true, 300 + r);
    alone.insert(alone.end(), a.latency_us.begin(), a.latency_us.end());
    prio.insert(prio.end(), p.latency_us.begin(), p.latency_us.end());
    gp.insert(gp.end(), g.latency_us.begin(), g.latency_us.end());
    be_prio_s += p.be_seconds;
    be_gp_s += g.be_seconds;
    be_launches += p.be_launches + g.be_launches;
  }

  printf("BE work: priority-only phase %.3f s, gpreempt phase %.3f s "
         "(%u launches of %u steps each, preempted per LC request)\n",
         be_prio_s, be_gp_s, kBeLaunches * opt.repeat,
         kBeIters * kBurnStepsPerIter);
  printf("LC request latency, arrival to result on host (us):\n");
  printf("  %-14s %8s %10s %10s %10s\n", "situation", "requests", "p50", "p99",
         "max");
  const struct {
    const char *name;
    const std::vector<double> *v;
  } rows[] = {{"alone", &alone}, {"priority only", &prio}, {"gpreempt", &gp}};
  for (const auto &row : rows)
    printf("  %-14s %8zu %10.1f %10.1f %10.1f\n", row.name, row.v->size(),
           percentile(*row.v, 0.50), percentile(*row.v, 0.99),
           percentile(*row.v, 1.0));
  if (gp.size() < (size_t)requests * opt.repeat)
    printf("note: the BE work ended after %zu of %u gpreempt-phase requests\n",
           gp.size(), requests * opt.repeat);

  std::vector<uint32_t> state(be_n);
  memset(state.data(), 0xA5, be_n * sizeof(uint32_t));
  CHECK_CUDA(cudaMemcpyAsync(state.data(), d_state, be_n * sizeof(uint32_t),
                             cudaMemcpyDeviceToHost, be_stream));
  CHECK_CUDA(cudaStreamSynchronize(be_stream));

  int failures = 0;
  if (opt.check) {
    std::vector<uint32_t> want = state0;
    for (uint32_t iters : be_history)
      lcg_burn_reference(want, iters, LCG_A0, LCG_C0);
    uint64_t bad = 0;
    for (uint32_t i = 0; i < be_n; ++i)
      if (state[i] != want[i] && bad++ < 5)
        printf("mismatch BE state[%u]: gpu %08x cpu %08x\n", i, state[i],
               want[i]);
    printf("check: BE %s (%" PRIu64 " of %u elements wrong, %zu launches); "
           "LC %s (%" PRIu64 " of %" PRIu64 " requests wrong)\n",
           bad ? "WRONG" : "ok", bad, be_n, be_history.size(),
           lc.wrong_requests ? "WRONG" : "ok", lc.wrong_requests,
           lc.checked_requests);
    failures += bad != 0;
  }
  /* LC results are checked as they arrive, with or without --check. */
  failures += lc.wrong_requests != 0;
  printf("checksum %016" PRIx64 "\n",
         fnv1a64(state.data(), be_n * sizeof(uint32_t)));

  failures += report_gp_stats(opt, be_launches);

  CHECK_CUDA(cudaFreeHost(lc.h_in));
  CHECK_CUDA(cudaFreeHost(lc.h_out));
  CHECK_CUDA(cudaFree(lc.d_in));
  CHECK_CUDA(cudaFree(lc.d_out));
  CHECK_CUDA(cudaFree(d_state));
  CHECK_CUDA(cudaStreamDestroy(lc.stream));
  CHECK_CUDA(cudaStreamDestroy(be_stream));
  return failures ? 1 : 0;
}
