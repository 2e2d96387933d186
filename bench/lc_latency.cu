/*
 * lc_latency - latency of latency-critical (LC) requests beside best-effort
 * (BE) work, and how much BE throughput is kept (bench/, issue 4).
 *
 * An LC request is shaped like one inference step: its input (512 KiB) is
 * copied in from pinned memory, three kernels run one after the other
 * (calibrated at start-up to about 20, 200 and 60 us alone), and the result
 * is copied out. The host waits for the input to land before it launches
 * the kernels, as a framework with synchronous copies does; that gap is
 * what preempting at arrival can hide. Requests come from their own host
 * thread at random times (a random gap after each result); latency is from
 * arrival to the result on the host (CLOCK_MONOTONIC). Every result is
 * compared with the CPU.
 *
 * The BE work keeps the whole GPU busy all the time, on two streams of
 * default priority: a tiled SGEMM (compute bound, blocks of ~1 ms) and a
 * streaming y = y*a + x (memory bound, every block as long as its launch),
 * each kept two launches deep. Their results are checked at the end.
 *
 * --situation picks one of four (one process each, so that GPREEMPT_DISABLE
 * can apply to a whole process):
 *   alone               no BE work;
 *   priority            BE work, LC on the highest-priority stream and
 *                       nothing else: run it with GPREEMPT_DISABLE=1, the
 *                       wait-based baseline (BE blocks must end first);
 *   preempt-at-launch   gp_preempt() just before the first LC kernel,
 *                       gp_resume_after(lc_stream) after the last;
 *   preempt-at-arrival  gp_preempt() when the request arrives, before the
 *                       copy-in (GPreempt's hint), gp_resume_after as above;
 *                       with --hint-after-copy, just after the copy-in is
 *                       enqueued, so that gp_preempt's driver call (~10 us
 *                       of host time) overlaps the copy.
 * --wait-drained (the two preempting situations): gp_wait_drained() before
 * the LC kernels are launched, so that they start on an empty GPU;
 * --stream-wait-drained instead: gp_stream_wait_drained(lc_stream), so
 * that the GPU waits for the drain and the host launches meanwhile;
 * --no-wait-drained undoes either (the last of the three wins), so that an
 * A/B can drop the wait the harness asks for at launch.
 * --resume-after-copy (the two preempting situations): gp_resume_after()
 * once the copy-out is enqueued instead of between the LC kernels and the
 * copy-out (as the README shows): the copy runs beside no BE work, and BE
 * resumes after it. Measured in session 19: the copy is no faster for it,
 * and BE keeps 3 points less at a request per ms.
 * --trace-placement: each LC kernel block records its SM and when it ran
 * (%globaltimer), and events split the kernels' time per kernel; the JSON
 * then has one row per request (client.trace). A diagnostic: it adds two
 * event records and a store per block to every request.
 * --throughput instead measures BE throughput: a fixed amount of BE work
 * alone (before and after), then with an LC request (preempting at
 * arrival) every --period-us, and the LC kernels' GPU time alone.
 *
 * Prints one "bench-json {...}" line (bench_util.h). Exit status as the
 * samples' (sample_util.h): 0 ok, 1 a wrong result or a requirement not
 * met, 2 a failed call, 3 watchdog.
 *
 *   bench_lc_latency --situation S [--requests N] [--max-seconds S]
 *                    [--gap-us LO HI] [--lc-iters I1,I2,I3] [--timeout S]
 *                    [--hint-after-copy] [--wait-drained]
 *                    [--stream-wait-drained] [--trace-placement]
 *   bench_lc_latency --throughput [--periods-us P1,P2] [--be-seconds S]
 *                    [--lc-iters I1,I2,I3] [--timeout S]
 */
#include "bench_util.h"

#include <algorithm>
#include <deque>

/* ------------------------------------------------------------------------ */
/* The LC request. */

static constexpr uint32_t kLcElems = 1u << 17; /* 512 KiB in, 512 KiB out */
static constexpr uint32_t kLcBlock = 256;
static constexpr int kLcKernels = 3;
static const double kLcTargetUs[kLcKernels] = {20, 200, 60};
static const uint32_t kLcA[kLcKernels] = {LCG_A1, LCG_A2, LCG_A3};
static const uint32_t kLcC[kLcKernels] = {LCG_C1, LCG_C2, LCG_C3};

enum class Situation { Alone, Priority, PreemptAtLaunch, PreemptAtArrival };

static const char *situation_name(Situation s) {
  switch (s) {
  case Situation::Alone:
    return "alone";
  case Situation::Priority:
    return "priority";
  case Situation::PreemptAtLaunch:
    return "preempt-at-launch";
  case Situation::PreemptAtArrival:
    return "preempt-at-arrival";
  }
  return "?";
}

/* Where and when one block of an LC kernel ran (--trace-placement). */
struct BlockTrace {
  uint64_t start_ns, end_ns; /* %globaltimer, thread 0 */
  uint32_t sm, unused;
};

/* lc_chain, and thread 0 of each block records its SM and its start and
 * end: whether a kernel's blocks were spread over the GPU or packed onto
 * the SMs that were free when it started. */
GP_NO_PREEMPT __global__ void lc_chain_traced(uint32_t n, uint32_t iters,
                                              uint32_t a, uint32_t c,
                                              const uint32_t *__restrict__ in,
                                              uint32_t *__restrict__ out,
                                              BlockTrace *__restrict__ trace) {
  const uint64_t start = (uint64_t)__nvvm_read_ptx_sreg_globaltimer();
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  out[i] = lcg_steps(in[i], iters, a, c);
  if (threadIdx.x == 0)
    trace[blockIdx.x] = {start, (uint64_t)__nvvm_read_ptx_sreg_globaltimer(),
                         (uint32_t)__nvvm_read_ptx_sreg_smid(), 0};
}

static constexpr uint32_t kLcBlocks = kLcElems / kLcBlock;

/* Requests cycle through kLcInputs different random inputs, whose results
 * the CPU computes once: per request the host only poisons the output and
 * compares it, so that it can keep up with a request every millisecond. */
static constexpr int kLcInputs = 8;

struct LcContext {
  cudaStream_t stream;
  uint32_t *h_in[kLcInputs], *h_out; /* pinned */
  std::vector<uint32_t> want[kLcInputs];
  uint32_t *d_buf[kLcKernels + 1]; /* input, then each kernel's output */
  cudaEvent_t ev_start, ev_copied, ev_launch, ev_kernels, ev_end;
  uint32_t iters[kLcKernels];
  int current = 0; /* the input of the request being served */
  /* --trace-placement: each kernel's block records, and events between the
   * kernels (ev_between[k] after kernel k). */
  bool trace = false;
  BlockTrace *d_trace = nullptr, *h_trace = nullptr;
  cudaEvent_t ev_between[kLcKernels - 1];

  void init(bool with_trace) {
    stream = make_lc_stream();
    for (int i = 0; i < kLcInputs; ++i) {
      CHECK_CUDA(cudaMallocHost(&h_in[i], kLcElems * sizeof(uint32_t)));
      for (uint32_t j = 0; j < kLcElems; ++j)
        h_in[i][j] = input_u32(0x1C000000u + (uint32_t)i, j);
    }
    CHECK_CUDA(cudaMallocHost(&h_out, kLcElems * sizeof(uint32_t)));
    for (uint32_t *&b : d_buf)
      CHECK_CUDA(cudaMalloc(&b, kLcElems * sizeof(uint32_t)));
    CHECK_CUDA(cudaEventCreate(&ev_start));
    CHECK_CUDA(cudaEventCreate(&ev_copied));
    CHECK_CUDA(cudaEventCreate(&ev_launch));
    CHECK_CUDA(cudaEventCreate(&ev_kernels));
    CHECK_CUDA(cudaEventCreate(&ev_end));
    trace = with_trace;
    if (trace) {
      const size_t bytes = kLcKernels * kLcBlocks * sizeof(BlockTrace);
      CHECK_CUDA(cudaMalloc(&d_trace, bytes));
      CHECK_CUDA(cudaMallocHost(&h_trace, bytes));
      for (cudaEvent_t &e : ev_between)
        CHECK_CUDA(cudaEventCreate(&e));
    }
  }
  /* Sets each kernel's length and what the CPU expects of every input. */
  void set_iters(const uint32_t *it) {
    LcgJump jump[kLcKernels];
    for (int k = 0; k < kLcKernels; ++k) {
      iters[k] = it[k];
      jump[k] = lcg_jump(kLcA[k], kLcC[k], it[k]);
    }
    for (int i = 0; i < kLcInputs; ++i) {
      want[i].resize(kLcElems);
      for (uint32_t j = 0; j < kLcElems; ++j) {
        uint32_t x = h_in[i][j];
        for (int k = 0; k < kLcKernels; ++k)
          x = jump[k].apply(x);
        want[i][j] = x;
      }
    }
  }
  void launch_kernel(int k, uint32_t kernel_iters) {
    if (trace)
      lc_chain_traced<<<kLcBlocks, kLcBlock, 0, stream>>>(
          kLcElems, kernel_iters, kLcA[k], kLcC[k], d_buf[k], d_buf[k + 1],
          d_trace + k * kLcBlocks);
    else
      lc_chain<<<kLcBlocks, kLcBlock, 0, stream>>>(
          kLcElems, kernel_iters, kLcA[k], kLcC[k], d_buf[k], d_buf[k + 1]);
    CHECK_LAUNCH();
  }
  /* The request's kernels, in turn, with the events between them when
   * tracing. */
  void launch_kernels() {
    for (int k = 0; k < kLcKernels; ++k) {
      launch_kernel(k, iters[k]);
      if (trace && k + 1 < kLcKernels)
        CHECK_CUDA(cudaEventRecord(ev_between[k], stream));
    }
  }
};

/* GPU time of one lc_chain launch of `iters` steps, alone: median of 15. */
static double time_lc_kernel(LcContext &lc, uint32_t iters) {
  std::vector<double> us;
  for (int r = 0; r < 16; ++r) {
    CHECK_CUDA(cudaEventRecord(lc.ev_start, lc.stream));
    lc.launch_kernel(0, iters);
    CHECK_CUDA(cudaEventRecord(lc.ev_kernels, lc.stream));
    CHECK_CUDA(cudaEventSynchronize(lc.ev_kernels));
    float ms = 0;
    CHECK_CUDA(cudaEventElapsedTime(&ms, lc.ev_start, lc.ev_kernels));
    if (r > 0) /* the first is a warm-up */
      us.push_back(ms * 1e3);
  }
  return percentile(us, 0.5);
}

/* Steps per kernel for the target durations, from the slope between two
 * lengths (what a launch costs regardless of length cancels out). */
static void calibrate(LcContext &lc, uint32_t *iters) {
  const uint32_t lo = 2048, hi = 32768;
  const double t_lo = time_lc_kernel(lc, lo), t_hi = time_lc_kernel(lc, hi);
  const double us_per_step = (t_hi - t_lo) / (double)(hi - lo);
  const double fixed_us = t_lo - us_per_step * lo;
  for (int k = 0; k < kLcKernels; ++k) {
    double steps = (kLcTargetUs[k] - fixed_us) / std::max(us_per_step, 1e-6);
    iters[k] = (uint32_t)std::min(std::max(steps, 16.0), 1e8);
  }
}

/* Host clock from arrival to result; CUDA events for the copy-in and for
 * the kernels (from the point of their launch in the stream to the end of
 * the last: the GPU time the request's kernels take). A slow request is
 * split into phases, host and GPU, so that its tail can be placed: in a
 * gpreempt call, in a CUDA call that blocked, or on the GPU. */
struct RequestTiming {
  double latency_us, copy_in_us, kernels_us;
  /* Host time inside gp_preempt and gp_resume_after (0 where the situation
   * makes no such call): a tail there is the runtime's, not the GPU's. */
  double preempt_call_us = 0, resume_call_us = 0;
  /* Host: from the copy-in's enqueue until the input has landed (with
   * --hint-after-copy, gp_preempt included); the LC launch calls (events
   * and kernels); from after gp_resume_after until the result is on the
   * host. */
  double copy_wait_us = 0, launch_calls_us = 0, finish_us = 0;
  /* GPU: the copy-out (after the kernels), and the whole request's span in
   * its stream (copy-in start to copy-out end). latency - span is what the
   * GPU did not account for: host calls and the wait to get started. */
  double copy_out_us = 0, gpu_span_us = 0;
  /* --wait-drained: host time in gp_wait_drained before the launches;
   * --stream-wait-drained: in gp_stream_wait_drained. */
  double drain_wait_us = 0;
  /* --trace-placement, per kernel: its GPU time (events), the SMs its
   * blocks ran on and the most on one SM, from its first block's start to
   * its last block's start (blocks waiting for room), and from the
   * previous kernel's last block's end to its first block's start. */
  struct Placement {
    double us = 0, start_spread_us = 0, gap_us = 0;
    unsigned sms = 0, max_per_sm = 0;
  } kernel[kLcKernels];
  bool wrong;
};

/* How a request calls gpreempt. */
struct RequestPlan {
  Situation situation = Situation::Alone;
  /* preempt-at-arrival: enqueue the copy-in first, then gp_preempt(). */
  bool hint_after_copy = false;
  /* Preempting situations: gp_wait_drained() before the LC launches. */
  bool wait_drained = false;
  /* Preempting situations: gp_stream_wait_drained(lc_stream) before them
   * instead (the GPU waits for the drain, the host goes on launching). */
  bool stream_wait_drained = false;
  /* Preempting situations: gp_resume_after() once the copy-out is enqueued,
   * not between the kernels and the copy-out (as the README's example):
   * the copy then runs beside no BE work, and BE waits for it. */
  bool resume_after_copy = false;
};

/* Fills t.kernel[]'s placement from the block records of the request just
 * served (--trace-placement); serve_request adds each kernel's time. */
static void read_placement(LcContext &lc, RequestTiming &t) {
  /* On the LC stream, not the legacy default one (gpreempt.h says why). */
  CHECK_CUDA(cudaMemcpyAsync(lc.h_trace, lc.d_trace,
                             kLcKernels * kLcBlocks * sizeof(BlockTrace),
                             cudaMemcpyDeviceToHost, lc.stream));
  CHECK_CUDA(cudaStreamSynchronize(lc.stream));
  uint64_t prev_end = 0;
  for (int k = 0; k < kLcKernels; ++k) {
    const BlockTrace *b = lc.h_trace + k * kLcBlocks;
    std::vector<unsigned> per_sm(1024, 0);
    uint64_t first = UINT64_MAX, last = 0, end = 0;
    RequestTiming::Placement &p = t.kernel[k];
    for (uint32_t i = 0; i < kLcBlocks; ++i) {
      unsigned &n = per_sm[b[i].sm % per_sm.size()];
      p.sms += n++ == 0;
      p.max_per_sm = std::max(p.max_per_sm, n);
      first = std::min(first, b[i].start_ns);
      last = std::max(last, b[i].start_ns);
      end = std::max(end, b[i].end_ns);
    }
    p.start_spread_us = (double)(last - first) * 1e-3;
    p.gap_us = k == 0 ? 0 : ((double)first - (double)prev_end) * 1e-3;
    prev_end = end;
  }
}

/* Picks the input of request `id` and poisons the output (before the
 * request arrives: not timed). */
static void prepare_request(LcContext &lc, uint32_t id) {
  lc.current = (int)(id % kLcInputs);
  memset(lc.h_out, 0xA5, kLcElems * sizeof(uint32_t));
}

/* Serves one request that arrives now; returns its timing and whether its
 * result matched the CPU. */
static RequestTiming serve_request(LcContext &lc, const RequestPlan &plan) {
  const Situation sit = plan.situation;
  const bool hint_after_copy = plan.hint_after_copy;
  const size_t bytes = kLcElems * sizeof(uint32_t);
  const bool preempts = sit == Situation::PreemptAtLaunch ||
                        sit == Situation::PreemptAtArrival;
  const double t_arrival = now_us();
  RequestTiming t;
  auto preempt = [&] {
    const double t0 = now_us();
    CHECK_GP(gp_preempt(0));
    t.preempt_call_us = now_us() - t0;
  };
  const bool at_arrival = sit == Situation::PreemptAtArrival;
  if (at_arrival && !hint_after_copy)
    preempt();
  double t_call = now_us();
  CHECK_CUDA(cudaEventRecord(lc.ev_start, lc.stream));
  CHECK_CUDA(cudaMemcpyAsync(lc.d_buf[0], lc.h_in[lc.current], bytes,
                             cudaMemcpyHostToDevice, lc.stream));
  CHECK_CUDA(cudaEventRecord(lc.ev_copied, lc.stream));
  if (at_arrival && hint_after_copy)
    preempt(); /* its driver call overlaps the copy */
  CHECK_CUDA(cudaEventSynchronize(lc.ev_copied)); /* the input has landed */
  t.copy_wait_us = now_us() - t_call;
  if (sit == Situation::PreemptAtLaunch)
    preempt();
  if (preempts && plan.wait_drained) {
    t_call = now_us();
    CHECK_GP(gp_wait_drained(0, 0, nullptr));
    t.drain_wait_us = now_us() - t_call;
  } else if (preempts && plan.stream_wait_drained) {
    t_call = now_us();
    CHECK_GP(gp_stream_wait_drained(0, (struct CUstream_st *)lc.stream));
    t.drain_wait_us = now_us() - t_call;
  }
  t_call = now_us();
  CHECK_CUDA(cudaEventRecord(lc.ev_launch, lc.stream));
  lc.launch_kernels();
  CHECK_CUDA(cudaEventRecord(lc.ev_kernels, lc.stream));
  t.launch_calls_us = now_us() - t_call;
  auto resume = [&] {
    const double t0 = now_us();
    CHECK_GP(gp_resume_after(0, (struct CUstream_st *)lc.stream));
    t.resume_call_us = now_us() - t0;
  };
  if (preempts && !plan.resume_after_copy)
    resume();
  t_call = now_us();
  CHECK_CUDA(cudaMemcpyAsync(lc.h_out, lc.d_buf[kLcKernels], bytes,
                             cudaMemcpyDeviceToHost, lc.stream));
  CHECK_CUDA(cudaEventRecord(lc.ev_end, lc.stream));
  if (preempts && plan.resume_after_copy)
    resume();
  CHECK_CUDA(cudaStreamSynchronize(lc.stream));
  const double t_done = now_us();
  t.finish_us = t_done - t_call;
  t.latency_us = t_done - t_arrival;
  auto elapsed_us = [](cudaEvent_t a, cudaEvent_t b) {
    float ms = 0;
    CHECK_CUDA(cudaEventElapsedTime(&ms, a, b));
    return ms * 1e3;
  };
  t.copy_in_us = elapsed_us(lc.ev_start, lc.ev_copied);
  t.kernels_us = elapsed_us(lc.ev_launch, lc.ev_kernels);
  t.copy_out_us = elapsed_us(lc.ev_kernels, lc.ev_end);
  t.gpu_span_us = elapsed_us(lc.ev_start, lc.ev_end);
  if (lc.trace) {
    read_placement(lc, t);
    for (int k = 0; k < kLcKernels; ++k)
      t.kernel[k].us = elapsed_us(k == 0 ? lc.ev_launch : lc.ev_between[k - 1],
                                  k + 1 < kLcKernels ? lc.ev_between[k]
                                                     : lc.ev_kernels);
  }
  t.wrong = memcmp(lc.h_out, lc.want[lc.current].data(),
                   kLcElems * sizeof(uint32_t)) != 0;
  return t;
}

struct ClientConfig {
  RequestPlan plan;
  unsigned max_requests = 1000;
  double max_seconds = 60;
  double gap_lo_us = 200, gap_hi_us = 1000; /* after each result */
  double period_us = 0; /* > 0: arrivals on a fixed period instead */
  const std::atomic<bool> *stop = nullptr; /* e.g. the BE work is done */
  uint64_t seed = 1;
};

struct ClientResult {
  std::vector<double> latency_us, copy_in_us, kernels_us;
  std::vector<double> preempt_call_us, resume_call_us;
  std::vector<RequestTiming> requests; /* every request, in order */
  unsigned wrong = 0;
  unsigned late = 0; /* periodic arrivals that found the previous one busy */
  bool bounded = false; /* stopped by max_seconds */
  bool traced = false;  /* requests carry placement (--trace-placement) */
  double seconds = 0;
};

/* The LC client: runs on its own host thread. */
static void run_client(LcContext *lc, ClientConfig cfg, ClientResult *out) {
  Xorshift64 rng(cfg.seed);
  const double t0 = now_us();
  double arrival = t0 + rng.uniform(cfg.gap_lo_us, cfg.gap_hi_us);
  if (cfg.period_us > 0)
    arrival = t0 + cfg.period_us;
  for (unsigned r = 0; r < cfg.max_requests; ++r) {
    prepare_request(*lc, r);
    if (cfg.stop && cfg.stop->load())
      break;
    if (now_us() - t0 > cfg.max_seconds * 1e6) {
      out->bounded = true;
      break;
    }
    if (cfg.period_us > 0 && now_us() > arrival)
      ++out->late;
    sleep_us(arrival - now_us());
    RequestTiming t = serve_request(*lc, cfg.plan);
    out->latency_us.push_back(t.latency_us);
    out->copy_in_us.push_back(t.copy_in_us);
    out->kernels_us.push_back(t.kernels_us);
    out->preempt_call_us.push_back(t.preempt_call_us);
    out->resume_call_us.push_back(t.resume_call_us);
    out->requests.push_back(t);
    if (t.wrong && out->wrong++ < 3)
      printf("LC request %u: wrong result\n", r);
    if (cfg.period_us > 0)
      arrival = std::max(arrival + cfg.period_us, now_us());
    else
      arrival = now_us() + rng.uniform(cfg.gap_lo_us, cfg.gap_hi_us);
  }
  out->seconds = (now_us() - t0) * 1e-6;
  out->traced = lc->trace;
}

/* ------------------------------------------------------------------------ */
/* The BE work (BeWork, bench_util.h), fed by the main thread. */

/* Keeps each BE stream `depth` launches deep until told to stop or until
 * its launch limit; counts completions. The main thread runs it. */
struct Feeder {
  struct Lane {
    cudaStream_t stream;
    bool gemm;
    uint64_t launched = 0, completed = 0, limit = UINT64_MAX;
    std::deque<cudaEvent_t> in_flight;
    std::vector<cudaEvent_t> spare;
  };
  BeWork &be;
  Lane lanes[2];
  unsigned depth = 2;

  Feeder(BeWork &work, cudaStream_t gemm, cudaStream_t stream) : be(work) {
    lanes[0].stream = gemm;
    lanes[0].gemm = true;
    lanes[1].stream = stream;
    lanes[1].gemm = false;
  }
  /* Launches what is missing and retires what finished; true while
   * anything is in flight. `launch_more` false: only retire. */
  bool pump(bool launch_more) {
    bool busy = false;
    for (Lane &l : lanes) {
      while (!l.in_flight.empty()) {
        cudaError_t q = cudaEventQuery(l.in_flight.front());
        if (q == cudaErrorNotReady)
          break;
        CHECK_CUDA(q);
        l.spare.push_back(l.in_flight.front());
        l.in_flight.pop_front();
        ++l.completed;
      }
      while (launch_more && l.in_flight.size() < depth && l.launched < l.limit) {
        if (l.gemm)
          be.launch_gemm(l.stream);
        else
          be.launch_stream(l.stream);
        cudaEvent_t ev;
        if (l.spare.empty()) {
          CHECK_CUDA(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
        } else {
          ev = l.spare.back();
          l.spare.pop_back();
        }
        CHECK_CUDA(cudaEventRecord(ev, l.stream));
        l.in_flight.push_back(ev);
        ++l.launched;
      }
      busy = busy || !l.in_flight.empty();
    }
    return busy;
  }
  /* Polls rather than blocking in a CUDA call: the LC thread may be
   * preempting and resuming meanwhile. */
  void drain() {
    while (pump(false))
      sleep_us(100);
  }
};

/* Runs the client on its own thread while the feeder keeps the BE streams
 * full (if `with_be`), then lets the BE work finish. */
static ClientResult run_with_be(LcContext &lc, Feeder *feeder,
                                const ClientConfig &cfg) {
  ClientResult res;
  if (feeder) {
    feeder->pump(true);
    sleep_us(3000); /* BE blocks fill the GPU before the first request */
  }
  std::atomic<bool> done{false};
  std::thread client([&] {
    run_client(&lc, cfg, &res);
    done = true;
  });
  while (!done) {
    if (feeder)
      feeder->pump(true);
    sleep_us(100);
  }
  client.join();
  if (feeder)
    feeder->drain();
  return res;
}

/* The slowest requests, phase by phase (with their index: tails that come
 * in runs of consecutive requests point at a state, not at one event). */
static constexpr size_t kSlowestShown = 12;

/* A request the machine stalled, whatever gpreempt did: more than this
 * much host time outside the GPU's span and gpreempt's own calls (the
 * thread was not running, or saw its result late), or copies this slow
 * on the GPU (25 us is their usual time). Counted in every situation; in
 * alone, where no gpreempt call is made, they are the machine's noise, and
 * when they are a percent of the requests they set the p99 (session 25:
 * 0.4-2.7 ms stalls on one H100 host, alone's p99 744-925 us). */
static constexpr double kStallUs = 200;

static bool stalled(const RequestTiming &t) {
  const double host_us = t.latency_us - t.gpu_span_us - t.preempt_call_us -
                         t.resume_call_us - t.drain_wait_us;
  return host_us > kStallUs || t.copy_in_us + t.copy_out_us > kStallUs;
}

static Json timing_json(size_t index, const RequestTiming &t) {
  Json j;
  j.integer("index", index).num("latency_us", t.latency_us);
  j.num("preempt_call_us", t.preempt_call_us).num("copy_wait_us", t.copy_wait_us);
  j.num("launch_calls_us", t.launch_calls_us).num("resume_call_us", t.resume_call_us);
  j.num("finish_us", t.finish_us).num("copy_in_us", t.copy_in_us);
  j.num("kernels_us", t.kernels_us).num("copy_out_us", t.copy_out_us);
  j.num("gpu_span_us", t.gpu_span_us).num("drain_wait_us", t.drain_wait_us);
  return j;
}

/* One request's placement row (--trace-placement): k<K>_us, _sms,
 * _max_per_sm, _start_spread_us, _gap_us for each kernel K. */
static Json trace_json(size_t index, const RequestTiming &t) {
  Json j = timing_json(index, t);
  for (int k = 0; k < kLcKernels; ++k) {
    const RequestTiming::Placement &p = t.kernel[k];
    auto key = [&](const char *what) {
      return "k" + std::to_string(k) + "_" + what;
    };
    j.num(key("us").c_str(), p.us).integer(key("sms").c_str(), p.sms);
    j.integer(key("max_per_sm").c_str(), p.max_per_sm);
    j.num(key("start_spread_us").c_str(), p.start_spread_us);
    j.num(key("gap_us").c_str(), p.gap_us);
  }
  return j;
}

static Json client_json(const ClientResult &r) {
  Json j;
  j.integer("requests", r.latency_us.size()).boolean("bounded", r.bounded);
  j.num("seconds", r.seconds).integer("wrong_requests", r.wrong);
  j.integer("late_arrivals", r.late);
  j.summary("latency_us", summarize(r.latency_us));
  j.summary("copy_in_us", summarize(r.copy_in_us));
  j.summary("kernels_us", summarize(r.kernels_us));
  j.summary("preempt_call_us", summarize(r.preempt_call_us));
  j.summary("resume_call_us", summarize(r.resume_call_us));
  std::vector<double> drain_wait_us;
  for (const RequestTiming &t : r.requests)
    drain_wait_us.push_back(t.drain_wait_us);
  j.summary("drain_wait_us", summarize(drain_wait_us));
  j.integer("stalled_requests", (uint64_t)std::count_if(r.requests.begin(),
                                                       r.requests.end(),
                                                       stalled));
  j.num("stall_threshold_us", kStallUs);
  if (r.traced) {
    std::vector<Json> rows;
    for (size_t i = 0; i < r.requests.size(); ++i)
      rows.push_back(trace_json(i, r.requests[i]));
    j.array("trace", rows);
  }
  std::vector<size_t> order(r.requests.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return r.requests[a].latency_us > r.requests[b].latency_us;
  });
  std::vector<Json> slowest;
  for (size_t i = 0; i < order.size() && i < kSlowestShown; ++i)
    slowest.push_back(timing_json(order[i], r.requests[order[i]]));
  j.array("slowest", slowest);
  if (!order.empty())
    j.object("median_request", timing_json(order[order.size() / 2],
                                           r.requests[order[order.size() / 2]]));
  return j;
}

/* ------------------------------------------------------------------------ */

struct Options {
  bool throughput = false;
  Situation situation = Situation::Alone;
  bool situation_set = false;
  unsigned requests = 1000;
  double max_seconds = 60;
  double gap_lo_us = 200, gap_hi_us = 1000;
  std::vector<double> periods_us = {1000, 10000};
  double be_seconds = 1.5;
  uint32_t lc_iters[kLcKernels] = {0, 0, 0};
  unsigned timeout_s = 300;
  RequestPlan plan; /* the flags; main sets plan.situation */
  bool trace_placement = false;
};

static void usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s --situation alone|priority|preempt-at-launch|"
          "preempt-at-arrival [--requests N] [--max-seconds S] [--gap-us LO "
          "HI]\n"
          "       %s --throughput [--periods-us P1,P2,...] [--be-seconds S]\n"
          "common: [--lc-iters I1,I2,I3] [--hint-after-copy]\n"
          "        [--wait-drained|--stream-wait-drained|--no-wait-drained]\n"
          "        [--resume-after-copy]\n"
          "        [--trace-placement] [--timeout S]\n",
          argv0, argv0);
  die_now(2);
}

static double parse_double(const char *text, const char *argv0) {
  char *end = nullptr;
  double v = text ? strtod(text, &end) : 0;
  if (!text || !*text || *end || !(v >= 0))
    usage(argv0);
  return v;
}

static Options parse_options(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (!strcmp(a, "--throughput")) {
      o.throughput = true;
    } else if (!strcmp(a, "--situation") && v) {
      const Situation all[] = {Situation::Alone, Situation::Priority,
                               Situation::PreemptAtLaunch,
                               Situation::PreemptAtArrival};
      o.situation_set = false;
      for (Situation s : all)
        if (!strcmp(v, situation_name(s))) {
          o.situation = s;
          o.situation_set = true;
        }
      if (!o.situation_set)
        usage(argv[0]);
      ++i;
    } else if (!strcmp(a, "--requests") && v) {
      o.requests = (unsigned)parse_u64_arg(v, a);
      ++i;
    } else if (!strcmp(a, "--max-seconds") && v) {
      o.max_seconds = parse_double(v, argv[0]);
      ++i;
    } else if (!strcmp(a, "--gap-us") && i + 2 < argc) {
      o.gap_lo_us = parse_double(argv[i + 1], argv[0]);
      o.gap_hi_us = parse_double(argv[i + 2], argv[0]);
      if (o.gap_hi_us < o.gap_lo_us)
        usage(argv[0]);
      i += 2;
    } else if (!strcmp(a, "--periods-us") && v) {
      o.periods_us.clear();
      for (const char *p = v; *p;) {
        char *end = nullptr;
        double period = strtod(p, &end);
        if (end == p || !(period > 0))
          usage(argv[0]);
        o.periods_us.push_back(period);
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
          usage(argv[0]);
      }
      ++i;
    } else if (!strcmp(a, "--be-seconds") && v) {
      o.be_seconds = parse_double(v, argv[0]);
      ++i;
    } else if (!strcmp(a, "--lc-iters") && v) {
      unsigned n[kLcKernels];
      if (sscanf(v, "%u,%u,%u", &n[0], &n[1], &n[2]) != kLcKernels)
        usage(argv[0]);
      for (int k = 0; k < kLcKernels; ++k)
        o.lc_iters[k] = n[k];
      ++i;
    } else if (!strcmp(a, "--hint-after-copy")) {
      o.plan.hint_after_copy = true;
    } else if (!strcmp(a, "--wait-drained")) {
      o.plan.wait_drained = true;
      o.plan.stream_wait_drained = false;
    } else if (!strcmp(a, "--stream-wait-drained")) {
      o.plan.stream_wait_drained = true;
      o.plan.wait_drained = false;
    } else if (!strcmp(a, "--no-wait-drained")) {
      o.plan.wait_drained = false;
      o.plan.stream_wait_drained = false;
    } else if (!strcmp(a, "--resume-after-copy")) {
      o.plan.resume_after_copy = true;
    } else if (!strcmp(a, "--trace-placement")) {
      o.trace_placement = true;
    } else if (!strcmp(a, "--timeout") && v) {
      o.timeout_s = (unsigned)parse_u64_arg(v, a);
      ++i;
    } else {
      usage(argv[0]);
    }
  }
  if (o.throughput == o.situation_set)
    usage(argv[0]); /* exactly one of the two modes */
  return o;
}

int main(int argc, char **argv) {
  init_output();
  Options opt = parse_options(argc, argv);
  start_watchdog(opt.timeout_s);

  cudaDeviceProp prop;
  CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
  const int sms = prop.multiProcessorCount;
  const bool disabled = getenv("GPREEMPT_DISABLE") &&
                        strcmp(getenv("GPREEMPT_DISABLE"), "0") != 0;

  LcContext lc;
  lc.init(opt.trace_placement);
  uint32_t iters[kLcKernels];
  bool calibrated = opt.lc_iters[0] == 0;
  if (calibrated)
    calibrate(lc, iters);
  else
    memcpy(iters, opt.lc_iters, sizeof iters);
  lc.set_iters(iters);
  double kernel_alone_us[kLcKernels];
  for (int k = 0; k < kLcKernels; ++k)
    kernel_alone_us[k] = time_lc_kernel(lc, iters[k]);
  for (uint32_t r = 0; r < 5; ++r) { /* warm-up, and the first checks */
    prepare_request(lc, r);
    if (serve_request(lc, RequestPlan()).wrong) {
      printf("FAIL: the LC request is wrong even alone\n");
      die_now(1);
    }
  }

  Json out;
  out.str("program", "lc_latency");
  {
    Json dev;
    dev.str("name", prop.name).integer("sms", (uint64_t)sms);
    out.object("device", dev);
    Json shape;
    shape.integer("elements", kLcElems).integer("kernels", kLcKernels);
    std::vector<Json> ks;
    for (int k = 0; k < kLcKernels; ++k) {
      Json kj;
      kj.integer("iters", iters[k]).num("target_us", kLcTargetUs[k]);
      kj.num("alone_us", kernel_alone_us[k]);
      ks.push_back(kj);
    }
    shape.array("kernel", ks).boolean("calibrated", calibrated);
    char it[64];
    snprintf(it, sizeof it, "%u,%u,%u", iters[0], iters[1], iters[2]);
    shape.str("iters", it).str("copy_in", "sync");
    out.object("lc", shape);
  }

  const bool with_be = opt.throughput || opt.situation != Situation::Alone;
  BeWork be;
  cudaStream_t gemm_stream = nullptr, stream_stream = nullptr;
  if (with_be) {
    gemm_stream = make_be_stream();
    stream_stream = make_be_stream();
    be.init(gemm_stream, sms);
  }
  int failures = 0;
  const uint64_t preemptible_before = preemptible_launches();

  if (!opt.throughput) {
    ClientConfig cfg;
    cfg.plan = opt.plan;
    cfg.plan.situation = opt.situation;
    cfg.max_requests = opt.requests;
    cfg.max_seconds = opt.max_seconds;
    cfg.gap_lo_us = opt.gap_lo_us;
    cfg.gap_hi_us = opt.gap_hi_us;
    cfg.seed = 0x5EED0000u + (uint64_t)opt.situation;
    Feeder feeder(be, gemm_stream, stream_stream);
    ClientResult r = run_with_be(lc, with_be ? &feeder : nullptr, cfg);
    out.str("mode", "latency").str("situation", situation_name(opt.situation));
    out.boolean("hint_after_copy", opt.plan.hint_after_copy);
    out.boolean("wait_drained", opt.plan.wait_drained);
    out.boolean("stream_wait_drained", opt.plan.stream_wait_drained);
    out.boolean("resume_after_copy", opt.plan.resume_after_copy);
    out.boolean("trace_placement", opt.trace_placement);
    out.integer("requested", opt.requests).num("max_seconds", opt.max_seconds);
    out.num("gap_lo_us", opt.gap_lo_us).num("gap_hi_us", opt.gap_hi_us);
    out.object("client", client_json(r));
    out.samples("samples_us", r.latency_us);
    failures += r.wrong != 0;
    if (r.latency_us.empty()) {
      printf("FAIL: no request was served\n");
      ++failures;
    }
  } else {
    /* LC's GPU time alone: the kernels' span, per request. */
    ClientConfig alone;
    alone.max_requests = 200;
    alone.gap_lo_us = 100;
    alone.gap_hi_us = 300;
    ClientResult lc_alone = run_with_be(lc, nullptr, alone);
    out.str("mode", "throughput");
    out.object("lc_alone", client_json(lc_alone));
    failures += lc_alone.wrong != 0;

    /* How much BE work makes about --be-seconds alone: each kernel's time
     * per launch alone (after a warm-up launch), and half the time for
     * each, as the two streams share the GPU. */
    auto seconds_per_launch = [&](bool gemm) {
      cudaStream_t s = gemm ? gemm_stream : stream_stream;
      (gemm ? be.launch_gemm(s) : be.launch_stream(s));
      CHECK_CUDA(cudaStreamSynchronize(s));
      const double t0 = now_us();
      for (int l = 0; l < 4; ++l)
        (gemm ? be.launch_gemm(s) : be.launch_stream(s));
      CHECK_CUDA(cudaStreamSynchronize(s));
      return (now_us() - t0) * 1e-6 / 4;
    };
    const double gemm_s = seconds_per_launch(true);
    const double stream_s = seconds_per_launch(false);
    const uint64_t gemm_launches =
        std::max<uint64_t>(4, (uint64_t)(opt.be_seconds / 2 / gemm_s));
    const uint64_t stream_launches =
        std::max<uint64_t>(4, (uint64_t)(opt.be_seconds / 2 / stream_s));

    auto timed_be = [&](double period_us, ClientResult *lc_res) {
      Feeder f(be, gemm_stream, stream_stream);
      f.lanes[0].limit = gemm_launches;
      f.lanes[1].limit = stream_launches;
      std::atomic<bool> be_done{false};
      ClientConfig cfg;
      cfg.plan = opt.plan;
      cfg.plan.situation = Situation::PreemptAtArrival;
      cfg.max_requests = UINT32_MAX;
      cfg.max_seconds = 1e9;
      cfg.period_us = period_us;
      cfg.stop = &be_done;
      cfg.seed = 0xBEEF + (uint64_t)period_us;
      const double start = now_us();
      std::thread client;
      if (period_us > 0)
        client = std::thread(run_client, &lc, cfg, lc_res);
      while (f.pump(true))
        sleep_us(100);
      const double seconds = (now_us() - start) * 1e-6;
      be_done = true;
      if (client.joinable())
        client.join();
      return seconds;
    };
    ClientResult unused;
    const double alone_before = timed_be(0, &unused);
    std::vector<Json> runs;
    for (double period : opt.periods_us) {
      ClientResult r;
      const double s = timed_be(period, &r);
      Json j;
      j.num("period_us", period).num("be_seconds", s);
      j.object("client", client_json(r));
      runs.push_back(j);
      failures += r.wrong != 0;
    }
    const double alone_after = timed_be(0, &unused);
    Json work;
    work.integer("sgemm_launches", gemm_launches);
    work.integer("stream_launches", stream_launches);
    work.num("sgemm_ms_per_launch_alone", gemm_s * 1e3);
    work.num("stream_ms_per_launch_alone", stream_s * 1e3);
    out.object("be_work", work);
    out.num("be_alone_seconds_before", alone_before);
    out.num("be_alone_seconds_after", alone_after);
    out.array("runs", runs);
  }

  if (with_be) {
    CHECK_CUDA(cudaDeviceSynchronize());
    const uint64_t preemptible = preemptible_launches() - preemptible_before;
    Json bej;
    bej.integer("sgemm_launches", be.gemm_plus + be.gemm_minus);
    bej.integer("stream_launches", be.stream_launches);
    bej.integer("preemptible_launches", preemptible);
    bej.integer("sgemm_blocks_per_sm", be.gemm_blocks_per_sm);
    bej.integer("stream_blocks_per_sm", be.stream_blocks_per_sm);
    bej.boolean("gpreempt_disabled", disabled);
    const std::string verdict = be.check();
    bej.str("check", verdict);
    failures += verdict != "ok";
    /* The situation must be what it claims: the baseline unpreempted,
     * gpreempt's situations with every BE launch preemptible. */
    const bool want_preemptible =
        opt.throughput || opt.situation == Situation::PreemptAtLaunch ||
        opt.situation == Situation::PreemptAtArrival;
    std::string setup = "ok";
    if (want_preemptible && preemptible != be.launches())
      setup = "not every BE launch was preemptible";
    if (!want_preemptible && preemptible != 0)
      setup = "BE launches were preemptible: run it with GPREEMPT_DISABLE=1";
    bej.str("setup", setup);
    if (setup != "ok") {
      printf("FAIL: %s\n", setup.c_str());
      ++failures;
    }
    out.object("be", bej);
  }
  gp_stats st;
  CHECK_GP(gp_get_stats(&st));
  Json gp;
  gp.integer("preemptions", st.preemptions).integer("resumes", st.resumes);
  gp.integer("relaunches", st.relaunches);
  out.object("gp", gp);
  out.integer("failures", (uint64_t)failures);
  out.print_result();
  return failures ? 1 : 0;
}
