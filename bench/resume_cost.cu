/*
 * resume_cost - what a preemption costs (bench/, issue 4, measurement 5).
 *
 * Three measurements, each on a GPU that nothing else uses:
 *
 * 1. Drain time against resident blocks and state. Kernels whose threads
 *    keep W words live across their loop's back-edge (spin_words<W>, W = 1,
 *    16, 64: a yield saves about 4W bytes per thread) and one that keeps an
 *    8 KiB shared-memory tile live (spin_shared, block-collective yields),
 *    at 1, 2, 4 and 8 blocks of 256 threads per SM. Each is preempted 30
 *    times at random moments; drain = gp_preempt() until gp_wait_drained()
 *    sees the GPU free (the runtime's own measure, host clock).
 *
 * 2. Net cost per preemption: a fixed amount of work timed with CUDA events
 *    alone, then with ~20 preemptions: (time - time alone - time held
 *    preempted) / preemptions, where "held" is from the gp_preempt() call to
 *    the gp_resume() call on the host. It is what a preemption costs the BE
 *    work beyond the time the GPU was given away: relaunch, restore, work
 *    redone or lost, minus the work done while the flag was on its way.
 *    Measured for spin_words<16>, spin_shared and the BE kernels of the LC
 *    benchmark (be_sgemm, be_stream).
 *
 * 3. Relaunch delay, seen from the GPU: spin_timed reads %globaltimer at
 *    every iteration, and thread 0 of each block records every gap longer
 *    than 5 us (its time off the GPU). The host's CLOCK_MONOTONIC is mapped
 *    onto %globaltimer by a probe kernel that exchanges timestamps with the
 *    host through mapped memory, which bounds the offset from both sides
 *    (the result carries that uncertainty). Per preemption: from the
 *    gp_preempt() call to the last block leaving, and from the gp_resume()
 *    call to the first and the last block running again.
 *
 * Every kernel's final state is compared with the CPU. State bytes per
 * kernel come from gpreempt's remarks (build/bench/remarks), not from here.
 *
 * Prints one "bench-json {...}" line. Exit status as the samples'.
 *
 *   bench_resume_cost [--preemptions N] [--timeout S]
 */
#include "bench_util.h"

#include <functional>

static constexpr uint32_t kThreads = 256;
static constexpr uint32_t kSharedWords = 2048; /* 8 KiB */
static constexpr uint32_t kSpinA = LCG_A2, kSpinC = LCG_C2;

/* W words per thread, all live across the back-edge. Word w of thread t is
 * state[t + w * threads]. */
template <int W>
__global__ void spin_words(uint32_t iters, uint32_t a, uint32_t c,
                           uint32_t *__restrict__ state) {
  const uint32_t n = gridDim.x * blockDim.x;
  const uint32_t t = blockIdx.x * blockDim.x + threadIdx.x;
  uint32_t x[W];
#pragma unroll
  for (int w = 0; w < W; ++w)
    x[w] = state[t + w * n];
  for (uint32_t s = 0; s < iters; ++s) {
#pragma unroll
    for (int w = 0; w < W; ++w)
      x[w] = x[w] * a + c;
  }
#pragma unroll
  for (int w = 0; w < W; ++w)
    state[t + w * n] = x[w];
}

/* An 8 KiB shared tile live across the back-edge, a barrier per iteration:
 * block-collective yields that save the tile. Blocks of kThreads threads;
 * block b owns state[b * kSharedWords ...]. */
__global__ void spin_shared(uint32_t iters, uint32_t a, uint32_t c,
                            uint32_t *__restrict__ state) {
  __shared__ uint32_t tile[kSharedWords];
  uint32_t *mine = state + (size_t)blockIdx.x * kSharedWords;
#pragma unroll
  for (uint32_t r = 0; r < kSharedWords / kThreads; ++r)
    tile[threadIdx.x + r * kThreads] = mine[threadIdx.x + r * kThreads];
  __syncthreads();
  for (uint32_t s = 0; s < iters; ++s) {
#pragma unroll
    for (uint32_t r = 0; r < kSharedWords / kThreads; ++r) {
      uint32_t &v = tile[threadIdx.x + r * kThreads];
      v = v * a + c;
    }
    __syncthreads();
  }
#pragma unroll
  for (uint32_t r = 0; r < kSharedWords / kThreads; ++r)
    mine[threadIdx.x + r * kThreads] = tile[threadIdx.x + r * kThreads];
}

/* Eight LCG steps per iteration and a %globaltimer read; thread 0 of each
 * block writes every gap above `gap_ns` as (start, end) into
 * gaps[block][k], k < max_gaps, and the number of gaps into
 * gap_count[block]. The previous timestamp is live across the back-edge, so
 * a gap spans exactly the time the thread was off the GPU (plus one
 * iteration). */
__global__ void spin_timed(uint32_t iters, uint32_t a, uint32_t c,
                           uint32_t *__restrict__ state, uint64_t gap_ns,
                           uint32_t max_gaps,
                           unsigned long long *__restrict__ gaps,
                           uint32_t *__restrict__ gap_count) {
  const uint32_t t = blockIdx.x * blockDim.x + threadIdx.x;
  uint32_t x = state[t];
  uint64_t prev = __nvvm_read_ptx_sreg_globaltimer();
  uint32_t seen = 0;
  for (uint32_t s = 0; s < iters; ++s) {
#pragma unroll
    for (int u = 0; u < 8; ++u)
      x = x * a + c;
    const uint64_t now = __nvvm_read_ptx_sreg_globaltimer();
    if (threadIdx.x == 0 && now - prev > gap_ns) {
      if (seen < max_gaps) {
        unsigned long long *g = gaps + 2 * ((size_t)blockIdx.x * max_gaps + seen);
        g[0] = prev;
        g[1] = now;
      }
      ++seen;
    }
    prev = now;
  }
  state[t] = x;
  if (threadIdx.x == 0)
    gap_count[blockIdx.x] = seen;
}

/* Exchanges timestamps with the host for `duration_ns`: writes %globaltimer
 * to `to_host` continually, and for each new host timestamp it reads from
 * `from_host` records (host time, %globaltimer after the read). Also keeps
 * the smallest step of %globaltimer it sees (its resolution). One thread. */
GP_NO_PREEMPT __global__ void clock_probe(
    volatile unsigned long long *to_host,
    volatile const unsigned long long *from_host, uint64_t duration_ns,
    uint32_t max_pairs, unsigned long long *__restrict__ pairs,
    uint32_t *__restrict__ pair_count,
    unsigned long long *__restrict__ min_step) {
  const uint64_t start = __nvvm_read_ptx_sreg_globaltimer();
  uint64_t last_host = 0, last_g = start, step = ~0ull;
  uint32_t n = 0;
  for (;;) {
    const uint64_t g = __nvvm_read_ptx_sreg_globaltimer();
    if (g != last_g && g - last_g < step)
      step = g - last_g;
    last_g = g;
    *to_host = g;
    const uint64_t h = *from_host;
    const uint64_t after = __nvvm_read_ptx_sreg_globaltimer();
    if (h != last_host) {
      if (n < max_pairs) {
        pairs[2 * n] = h;
        pairs[2 * n + 1] = after;
      }
      ++n;
      last_host = h;
    }
    if (g - start > duration_ns)
      break;
  }
  *pair_count = n < max_pairs ? n : max_pairs;
  *min_step = step;
}

static inline uint64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Polls an event without blocking in CUDA while preemptions may be pending
 * on this thread's own schedule. */
static bool done(cudaEvent_t ev) {
  cudaError_t q = cudaEventQuery(ev);
  if (q == cudaErrorNotReady)
    return false;
  CHECK_CUDA(q);
  return true;
}

static void wait_event(cudaEvent_t ev) {
  while (!done(ev))
    sleep_us(50);
}

/* ------------------------------------------------------------------------ */
/* A workload: something that launches a fixed amount of preemptible work on
 * a stream, and checks the accumulated result at the end. */

struct Workload {
  std::string name;
  std::function<void(cudaStream_t)> launch;
  std::function<std::string()> check;
};

/* Spin kernels' state: `words` words from the hash, `steps` LCG steps
 * applied so far to each. */
struct SpinState {
  uint32_t *d = nullptr;
  size_t words = 0;
  uint32_t seed = 0;
  uint64_t steps = 0;

  void init(size_t n, uint32_t s, cudaStream_t stream, int sms) {
    words = n;
    seed = s;
    CHECK_CUDA(cudaMalloc(&d, n * sizeof(uint32_t)));
    fill_u32<<<sms * 8, 256, 0, stream>>>((uint32_t)n, seed, d);
    CHECK_LAUNCH();
    CHECK_CUDA(cudaStreamSynchronize(stream));
  }
  std::string check() const {
    std::vector<uint32_t> got(words);
    CHECK_CUDA(cudaMemcpy(got.data(), d, words * sizeof(uint32_t),
                          cudaMemcpyDeviceToHost));
    const LcgJump j = lcg_jump(kSpinA, kSpinC, steps);
    std::atomic<uint64_t> wrong{0};
    parallel_for(words, [&](size_t begin, size_t end) {
      uint64_t w = 0;
      for (size_t i = begin; i < end; ++i)
        w += got[i] != j.apply(input_u32(seed, (uint32_t)i));
      wrong += w;
    });
    if (!wrong)
      return "ok";
    char buf[64];
    snprintf(buf, sizeof buf, "WRONG (%" PRIu64 " of %zu words)",
             (uint64_t)wrong.load(), words);
    return buf;
  }
};

/* Median GPU time of `runs` launches of the workload, alone. */
static double time_alone_ms(const Workload &w, cudaStream_t s, int runs) {
  cudaEvent_t a, b;
  CHECK_CUDA(cudaEventCreate(&a));
  CHECK_CUDA(cudaEventCreate(&b));
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    CHECK_CUDA(cudaEventRecord(a, s));
    w.launch(s);
    CHECK_CUDA(cudaEventRecord(b, s));
    wait_event(b);
    float m = 0;
    CHECK_CUDA(cudaEventElapsedTime(&m, a, b));
    ms.push_back(m);
  }
  CHECK_CUDA(cudaEventDestroy(a));
  CHECK_CUDA(cudaEventDestroy(b));
  return percentile(ms, 0.5);
}

struct PreemptedRun {
  double gpu_ms = 0;          /* events around the workload */
  double held_ms = 0;         /* sum of gp_preempt..gp_resume on the host */
  std::vector<double> drain_us;
  std::vector<uint64_t> preempt_ns, drained_ns, resume_ns; /* host clock */
  unsigned drain_timeouts = 0; /* not drained within 2 s: resumed anyway */
};

/* Runs the workload once, preempting it up to `max_preemptions` times at
 * random moments (gaps uniform in [gap_lo_us, gap_hi_us] of running time),
 * each held `hold_us` after the drain. */
static PreemptedRun run_preempted(const Workload &w, cudaStream_t s,
                                  unsigned max_preemptions, double gap_lo_us,
                                  double gap_hi_us, double hold_us,
                                  Xorshift64 &rng) {
  cudaEvent_t a, b;
  CHECK_CUDA(cudaEventCreate(&a));
  CHECK_CUDA(cudaEventCreate(&b));
  PreemptedRun r;
  CHECK_CUDA(cudaEventRecord(a, s));
  w.launch(s);
  CHECK_CUDA(cudaEventRecord(b, s));
  for (unsigned p = 0; p < max_preemptions; ++p) {
    sleep_us(rng.uniform(gap_lo_us, gap_hi_us));
    if (done(b))
      break;
    const uint64_t t_pre = now_ns();
    CHECK_GP(gp_preempt(0));
    uint64_t drain = 0;
    const gp_status st = gp_wait_drained(0, 2000000, &drain);
    if (st == GP_ERROR_TIMEOUT)
      ++r.drain_timeouts; /* a finding, not a reason to stop measuring */
    else
      CHECK_GP(st);
    const uint64_t t_drained = now_ns();
    sleep_us(hold_us);
    const uint64_t t_res = now_ns();
    CHECK_GP(gp_resume(0));
    r.held_ms += (double)(now_ns() - t_pre) * 1e-6;
    if (st == GP_SUCCESS)
      r.drain_us.push_back((double)drain);
    r.preempt_ns.push_back(t_pre);
    r.drained_ns.push_back(t_drained);
    r.resume_ns.push_back(t_res);
  }
  wait_event(b);
  float m = 0;
  CHECK_CUDA(cudaEventElapsedTime(&m, a, b));
  r.gpu_ms = m;
  CHECK_CUDA(cudaEventDestroy(a));
  CHECK_CUDA(cudaEventDestroy(b));
  return r;
}

/* ------------------------------------------------------------------------ */
/* 1. Drain against resident blocks and state. */

template <int W>
static Workload spin_words_workload(SpinState *st, uint32_t grid,
                                    const uint32_t *iters) {
  char name[32];
  snprintf(name, sizeof name, "spin_words<%d>", W);
  return Workload{
      name,
      [st, grid, iters](cudaStream_t s) {
        spin_words<W><<<grid, kThreads, 0, s>>>(*iters, kSpinA, kSpinC, st->d);
        CHECK_LAUNCH();
        st->steps += *iters;
      },
      [st] { return st->check(); }};
}

static Workload spin_shared_workload(SpinState *st, uint32_t grid,
                                     const uint32_t *iters) {
  return Workload{"spin_shared",
                  [st, grid, iters](cudaStream_t s) {
                    spin_shared<<<grid, kThreads, 0, s>>>(*iters, kSpinA,
                                                          kSpinC, st->d);
                    CHECK_LAUNCH();
                    st->steps += *iters;
                  },
                  [st] { return st->check(); }};
}

/* Sets *iters so that the workload runs about `target_ms` alone. */
static void size_workload(const Workload &w, cudaStream_t s, uint32_t *iters,
                          double target_ms) {
  *iters = 256;
  for (int round = 0; round < 4; ++round) {
    const double ms = time_alone_ms(w, s, 1);
    if (ms >= target_ms * 0.5)
      break;
    const double scale = std::min(64.0, target_ms / std::max(ms, 0.01));
    *iters = (uint32_t)std::min(1e9, *iters * scale);
  }
}

struct DrainConfig {
  const char *kernel;
  int words;       /* spin_words<words>; 0: spin_shared */
  int blocks_per_sm;
};

static Json drain_config(const DrainConfig &cfg, int sms, cudaStream_t s,
                         unsigned preemptions, Xorshift64 &rng,
                         int *failures) {
  const uint32_t grid = (uint32_t)(sms * cfg.blocks_per_sm);
  SpinState st;
  uint32_t iters = 0;
  Workload w;
  int limit = 0;
  switch (cfg.words) {
  case 0:
    st.init((size_t)grid * kSharedWords, 100, s, sms);
    w = spin_shared_workload(&st, grid, &iters);
    limit = blocks_per_sm(spin_shared, kThreads);
    break;
  case 1:
    st.init((size_t)grid * kThreads * 1, 101, s, sms);
    w = spin_words_workload<1>(&st, grid, &iters);
    limit = blocks_per_sm(spin_words<1>, kThreads);
    break;
  case 16:
    st.init((size_t)grid * kThreads * 16, 116, s, sms);
    w = spin_words_workload<16>(&st, grid, &iters);
    limit = blocks_per_sm(spin_words<16>, kThreads);
    break;
  default:
    st.init((size_t)grid * kThreads * 64, 164, s, sms);
    w = spin_words_workload<64>(&st, grid, &iters);
    limit = blocks_per_sm(spin_words<64>, kThreads);
    break;
  }
  size_workload(w, s, &iters, 40);
  std::vector<double> drain;
  unsigned timeouts = 0;
  for (int run = 0; run < 8 && drain.size() + timeouts < preemptions; ++run) {
    PreemptedRun r = run_preempted(
        w, s, preemptions - (unsigned)drain.size() - timeouts, 300, 1000, 50,
        rng);
    drain.insert(drain.end(), r.drain_us.begin(), r.drain_us.end());
    timeouts += r.drain_timeouts;
  }
  const std::string verdict = w.check();
  *failures += verdict != "ok";
  Json j;
  j.str("kernel", w.name).integer("threads", kThreads);
  j.integer("blocks_per_sm", (uint64_t)cfg.blocks_per_sm);
  j.integer("occupancy_limit", (uint64_t)limit);
  j.integer("state_words_per_thread", (uint64_t)cfg.words);
  j.summary("drain_us", summarize(drain)).integer("drain_timeouts", timeouts);
  j.str("check", verdict);
  CHECK_CUDA(cudaFree(st.d));
  return j;
}

/* ------------------------------------------------------------------------ */
/* 2. Net cost per preemption. */

static Json cost_per_preemption(const Workload &w, cudaStream_t s,
                                unsigned preemptions, Xorshift64 &rng,
                                int *failures) {
  time_alone_ms(w, s, 1); /* warm-up */
  const double alone = time_alone_ms(w, s, 5);
  std::vector<double> lost_us, drain;
  unsigned total = 0, timeouts = 0;
  for (int run = 0; run < 5; ++run) {
    PreemptedRun r = run_preempted(w, s, preemptions, 500, 1500, 0, rng);
    const size_t n = r.preempt_ns.size();
    if (n == 0)
      continue;
    lost_us.push_back((r.gpu_ms - alone - r.held_ms) * 1e3 / (double)n);
    drain.insert(drain.end(), r.drain_us.begin(), r.drain_us.end());
    total += (unsigned)n;
    timeouts += r.drain_timeouts;
  }
  const std::string verdict = w.check();
  *failures += verdict != "ok";
  Json j;
  j.str("kernel", w.name).num("alone_ms", alone).integer("runs", lost_us.size());
  j.integer("preemptions", total).integer("drain_timeouts", timeouts);
  j.summary("lost_us_per_preemption", summarize(lost_us));
  j.summary("drain_us", summarize(drain)).str("check", verdict);
  return j;
}

/* ------------------------------------------------------------------------ */
/* 3. Relaunch delay on the GPU's clock. */

/* host time = GPU time + offset, with the offset known to lie in
 * [lower_ns, upper_ns]. Integers: both clocks count nanoseconds since long
 * ago, too many for a double to keep every one. */
struct ClockMap {
  int64_t lower_ns = INT64_MIN, upper_ns = INT64_MAX;
  uint64_t resolution_ns = 0;
  bool complete() const {
    return lower_ns != INT64_MIN && upper_ns != INT64_MAX;
  }
  int64_t offset() const {
    if (!complete()) /* one bound at most: better than nothing */
      return upper_ns != INT64_MAX ? upper_ns : lower_ns;
    return lower_ns + (upper_ns - lower_ns) / 2;
  }
  double uncertainty_us() const {
    return complete() ? (double)(upper_ns - lower_ns) * 0.5e-3 : NAN;
  }
};

static ClockMap probe_clock(cudaStream_t lc) {
  unsigned long long *to_host, *from_host;
  CHECK_CUDA(cudaHostAlloc(&to_host, sizeof *to_host, cudaHostAllocMapped));
  CHECK_CUDA(cudaHostAlloc(&from_host, sizeof *from_host, cudaHostAllocMapped));
  *(volatile unsigned long long *)to_host = 0;
  *(volatile unsigned long long *)from_host = 0;
  const uint32_t max_pairs = 4096;
  unsigned long long *d_pairs, *d_step;
  uint32_t *d_count;
  CHECK_CUDA(cudaMalloc(&d_pairs, 2 * max_pairs * sizeof(unsigned long long)));
  CHECK_CUDA(cudaMalloc(&d_step, sizeof(unsigned long long)));
  CHECK_CUDA(cudaMalloc(&d_count, sizeof(uint32_t)));
  cudaEvent_t finished;
  CHECK_CUDA(cudaEventCreateWithFlags(&finished, cudaEventDisableTiming));
  clock_probe<<<1, 1, 0, lc>>>(to_host, from_host, 5000000, max_pairs, d_pairs,
                               d_count, d_step);
  CHECK_LAUNCH();
  CHECK_CUDA(cudaEventRecord(finished, lc));

  ClockMap m;
  uint64_t last = 0;
  while (!done(finished)) {
    const uint64_t g = *(volatile unsigned long long *)to_host;
    const uint64_t t = now_ns();
    if (g != last && g != 0) {
      m.upper_ns = std::min(m.upper_ns, (int64_t)t - (int64_t)g);
      last = g;
    }
    *(volatile unsigned long long *)from_host = now_ns();
  }
  std::vector<unsigned long long> pairs(2 * max_pairs);
  uint32_t count = 0;
  unsigned long long step = 0;
  CHECK_CUDA(cudaMemcpy(pairs.data(), d_pairs, pairs.size() * sizeof pairs[0],
                        cudaMemcpyDeviceToHost));
  CHECK_CUDA(cudaMemcpy(&count, d_count, sizeof count, cudaMemcpyDeviceToHost));
  CHECK_CUDA(cudaMemcpy(&step, d_step, sizeof step, cudaMemcpyDeviceToHost));
  for (uint32_t i = 0; i < count; ++i)
    if (pairs[2 * i] != 0)
      m.lower_ns = std::max(m.lower_ns,
                            (int64_t)pairs[2 * i] - (int64_t)pairs[2 * i + 1]);
  m.resolution_ns = step;
  CHECK_CUDA(cudaFreeHost(to_host));
  CHECK_CUDA(cudaFreeHost(from_host));
  CHECK_CUDA(cudaFree(d_pairs));
  CHECK_CUDA(cudaFree(d_step));
  CHECK_CUDA(cudaFree(d_count));
  CHECK_CUDA(cudaEventDestroy(finished));
  return m;
}

static Json relaunch_delay(int sms, cudaStream_t s, cudaStream_t lc,
                           unsigned preemptions, Xorshift64 &rng,
                           int *failures) {
  const int bps = std::min(4, blocks_per_sm(spin_timed, kThreads));
  const uint32_t grid = (uint32_t)(sms * bps);
  const uint32_t max_gaps = 64;
  const uint64_t gap_ns = 5000;
  SpinState st;
  st.init((size_t)grid * kThreads, 200, s, sms);
  unsigned long long *d_gaps;
  uint32_t *d_count;
  CHECK_CUDA(cudaMalloc(&d_gaps, 2 * sizeof(unsigned long long) * grid * max_gaps));
  CHECK_CUDA(cudaMalloc(&d_count, sizeof(uint32_t) * grid));
  uint32_t iters = 0;
  Workload w{"spin_timed",
             [&](cudaStream_t stream) {
               spin_timed<<<grid, kThreads, 0, stream>>>(
                   iters, kSpinA, kSpinC, st.d, gap_ns, max_gaps, d_gaps,
                   d_count);
               CHECK_LAUNCH();
               st.steps += 8ull * iters;
             },
             [&] { return st.check(); }};
  size_workload(w, s, &iters, 80);

  const ClockMap before = probe_clock(lc);
  PreemptedRun r = run_preempted(w, s, preemptions, 1000, 2000, 200, rng);
  const ClockMap after = probe_clock(lc);

  std::vector<unsigned long long> gaps(2 * (size_t)grid * max_gaps);
  std::vector<uint32_t> counts(grid);
  CHECK_CUDA(cudaMemcpy(gaps.data(), d_gaps, gaps.size() * sizeof gaps[0],
                        cudaMemcpyDeviceToHost));
  CHECK_CUDA(cudaMemcpy(counts.data(), d_count, grid * sizeof(uint32_t),
                        cudaMemcpyDeviceToHost));

  /* Host times onto the GPU's clock with the mean of the two probes'
   * offsets; the uncertainty is the larger half-width plus the drift. */
  if (!before.complete() || !after.complete() ||
      before.lower_ns > before.upper_ns || after.lower_ns > after.upper_ns)
    printf("note: the clock probe bounds are inconsistent or missing\n");
  const int64_t offset =
      before.offset() + (after.offset() - before.offset()) / 2;
  const double drift_us =
      fabs((double)(after.offset() - before.offset())) * 1e-3;
  const double uncertainty_us =
      std::max(before.uncertainty_us(), after.uncertainty_us()) + drift_us;
  std::vector<double> leave_last, leave_median, back_first, back_last;
  uint64_t matched = 0, total_gaps = 0;
  for (uint32_t b = 0; b < grid; ++b)
    total_gaps += std::min(counts[b], max_gaps);
  for (size_t p = 0; p < r.preempt_ns.size(); ++p) {
    /* Signed nanoseconds relative to the gp_preempt() call, GPU clock. */
    const int64_t pre = (int64_t)r.preempt_ns[p] - offset;
    const int64_t res = (int64_t)r.resume_ns[p] - offset - pre;
    std::vector<double> leave, back;
    for (uint32_t b = 0; b < grid; ++b)
      for (uint32_t k = 0; k < std::min(counts[b], max_gaps); ++k) {
        const int64_t g0 = (int64_t)gaps[2 * ((size_t)b * max_gaps + k)] - pre;
        const int64_t g1 =
            (int64_t)gaps[2 * ((size_t)b * max_gaps + k) + 1] - pre;
        /* This preemption's gap: it starts after the call (with slack for
         * the clock mapping) and ends after the resume call. */
        if (g0 >= -20000 && g0 <= res && g1 >= res - 20000) {
          leave.push_back((double)g0 * 1e-3);
          back.push_back((double)(g1 - res) * 1e-3);
          ++matched;
        }
      }
    if (leave.empty())
      continue;
    leave_last.push_back(*std::max_element(leave.begin(), leave.end()));
    leave_median.push_back(percentile(leave, 0.5));
    back_first.push_back(*std::min_element(back.begin(), back.end()));
    back_last.push_back(*std::max_element(back.begin(), back.end()));
  }
  const std::string verdict = w.check();
  *failures += verdict != "ok";
  Json j;
  j.str("kernel", "spin_timed").integer("blocks", grid);
  j.integer("blocks_per_sm", (uint64_t)bps);
  j.integer("preemptions", r.preempt_ns.size());
  j.integer("drain_timeouts", r.drain_timeouts);
  j.integer("gaps", total_gaps).integer("gaps_matched", matched);
  j.num("clock_uncertainty_us", uncertainty_us).num("clock_drift_us", drift_us);
  j.integer("globaltimer_step_ns", std::min(before.resolution_ns, after.resolution_ns));
  j.summary("drain_us", summarize(r.drain_us));
  j.summary("preempt_to_last_block_left_us", summarize(leave_last));
  j.summary("preempt_to_median_block_left_us", summarize(leave_median));
  j.summary("resume_to_first_block_back_us", summarize(back_first));
  j.summary("resume_to_last_block_back_us", summarize(back_last));
  j.str("check", verdict);
  CHECK_CUDA(cudaFree(d_gaps));
  CHECK_CUDA(cudaFree(d_count));
  CHECK_CUDA(cudaFree(st.d));
  return j;
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv) {
  init_output();
  unsigned preemptions = 30, timeout_s = 300;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--preemptions") && i + 1 < argc) {
      preemptions = (unsigned)parse_u64_arg(argv[++i], "--preemptions");
    } else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
      timeout_s = (unsigned)parse_u64_arg(argv[++i], "--timeout");
    } else {
      fprintf(stderr, "usage: %s [--preemptions N] [--timeout S]\n", argv[0]);
      return 2;
    }
  }
  start_watchdog(timeout_s);
  cudaDeviceProp prop;
  CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
  const int sms = prop.multiProcessorCount;
  cudaStream_t s = make_be_stream(), lc = make_lc_stream();
  Xorshift64 rng(0xC057);
  int failures = 0;
  const uint64_t preemptible_before = preemptible_launches();

  Json out;
  out.str("program", "resume_cost");
  {
    Json dev;
    dev.str("name", prop.name).integer("sms", (uint64_t)sms);
    out.object("device", dev);
  }

  std::vector<Json> drains;
  const DrainConfig configs[] = {
      {"spin_words<1>", 1, 1},  {"spin_words<1>", 1, 2},
      {"spin_words<1>", 1, 4},  {"spin_words<1>", 1, 8},
      {"spin_words<16>", 16, 1}, {"spin_words<16>", 16, 2},
      {"spin_words<16>", 16, 4}, {"spin_words<16>", 16, 8},
      {"spin_words<64>", 64, 1}, {"spin_words<64>", 64, 2},
      {"spin_words<64>", 64, 4}, {"spin_words<64>", 64, 8},
      {"spin_shared", 0, 1},     {"spin_shared", 0, 2},
      {"spin_shared", 0, 4},     {"spin_shared", 0, 8},
  };
  for (const DrainConfig &cfg : configs)
    drains.push_back(drain_config(cfg, sms, s, preemptions, rng, &failures));
  out.array("drain_vs_blocks", drains);

  std::vector<Json> costs;
  {
    const uint32_t grid = (uint32_t)(sms * blocks_per_sm(spin_words<16>, kThreads));
    SpinState st;
    st.init((size_t)grid * kThreads * 16, 316, s, sms);
    uint32_t iters = 0;
    Workload w = spin_words_workload<16>(&st, grid, &iters);
    size_workload(w, s, &iters, 40);
    costs.push_back(cost_per_preemption(w, s, 20, rng, &failures));
    CHECK_CUDA(cudaFree(st.d));
  }
  {
    const uint32_t grid = (uint32_t)(sms * blocks_per_sm(spin_shared, kThreads));
    SpinState st;
    st.init((size_t)grid * kSharedWords, 300, s, sms);
    uint32_t iters = 0;
    Workload w = spin_shared_workload(&st, grid, &iters);
    size_workload(w, s, &iters, 40);
    costs.push_back(cost_per_preemption(w, s, 20, rng, &failures));
    CHECK_CUDA(cudaFree(st.d));
  }
  {
    BeWork be;
    be.init(s, sms);
    /* ~40 ms of each: a sequence of launches as the BE benchmark runs. */
    Workload gemm{"be_sgemm x12",
                  [&](cudaStream_t stream) {
                    for (int l = 0; l < 12; ++l)
                      be.launch_gemm(stream);
                  },
                  [] { return std::string("ok"); }};
    Workload stream{"be_stream x80",
                    [&](cudaStream_t st) {
                      for (int l = 0; l < 80; ++l)
                        be.launch_stream(st);
                    },
                    [] { return std::string("ok"); }};
    Json g = cost_per_preemption(gemm, s, 20, rng, &failures);
    Json m = cost_per_preemption(stream, s, 20, rng, &failures);
    CHECK_CUDA(cudaDeviceSynchronize());
    const std::string verdict = be.check();
    failures += verdict != "ok";
    g.str("be_check", verdict);
    m.str("be_check", verdict);
    costs.push_back(g);
    costs.push_back(m);
    CHECK_CUDA(cudaFree(be.a));
    CHECK_CUDA(cudaFree(be.b));
    CHECK_CUDA(cudaFree(be.c));
    CHECK_CUDA(cudaFree(be.x));
    CHECK_CUDA(cudaFree(be.y));
  }
  out.array("cost_per_preemption", costs);

  out.object("relaunch", relaunch_delay(sms, s, lc, preemptions, rng, &failures));

  gp_stats st;
  CHECK_GP(gp_get_stats(&st));
  Json gp;
  gp.integer("preemptions", st.preemptions).integer("relaunches", st.relaunches);
  gp.integer("preemptible_launches", st.launches_preemptible - preemptible_before);
  gp.integer("unpreempted_launches", st.launches_unpreempted);
  out.object("gp", gp);
  out.integer("failures", (uint64_t)failures);
  out.print_result();
  return failures ? 1 : 0;
}
