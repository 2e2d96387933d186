/*
 * iterative_nested - nested loops with data-dependent trip counts, and
 * per-thread local memory that lives across yields.
 *
 * walk_rows: each element runs an outer loop of `iters` steps; each step picks
 * a row of a CSR-like table from its current state and folds the row's
 * values, a row of random length (0..2*kAvgRow, so some rows are empty). A
 * yield can land in either loop, with the other loop's counters live.
 *
 * collatz_histogram: grid-stride over elements; per element, capped Collatz
 * runs from starts derived from walk_rows's output (so it must see all of
 * it), counting the values it meets in a per-thread array `hist` indexed by
 * the data: the array stays in local memory and is live across every yield.
 * It adds its counts to the previous ones in global memory, and its step
 * count to a global atomic counter: nothing may run twice.
 *
 * All arithmetic is on uint32_t (3v+1 wraps the same way on both sides), so
 * the CPU reference is exact. It folds each row once (the fold does not
 * depend on the walker) and then walks in O(1) per step.
 *
 *     iterative_nested [--check] [--min-preemptions N] [--repeat R] ...
 */
#include "sample_util.h"

static constexpr uint32_t kN = 1u << 20;    /* walkers / Collatz seeds */
static constexpr uint32_t kRows = 1u << 16; /* power of two: row = s & mask */
static constexpr uint32_t kAvgRow = 48;     /* row lengths 0 .. 2*kAvgRow */
static constexpr uint32_t kWalkIters = 768; /* outer steps per launch */
static constexpr uint32_t kWalkBlock = 256;
static constexpr uint32_t kCollatzBlock = 128;
static constexpr uint32_t kCollatzGrid = 264; /* grid-stride, 2 blocks per SM */
static constexpr uint32_t kCollatzRounds = 2; /* Collatz runs per element */
static constexpr uint32_t kCollatzCap = 512;  /* steps per run at most */
static constexpr uint32_t kLaunches = 4; /* walk+collatz pairs per repeat */
static constexpr uint32_t kBins = 16;    /* local histogram entries */

static inline __host__ __device__ uint32_t walk_mix(uint32_t s, uint32_t h,
                                                    uint32_t t) {
  s = (s ^ h) * 0x9E3779B1u + t;
  return s ^ (s >> 15);
}

static inline __host__ __device__ uint32_t collatz_start(uint32_t seed,
                                                         uint32_t round) {
  return (hash32(seed ^ (round * 0x9E3779B9u)) & 0xFFFFFu) | 1u;
}

static inline __host__ __device__ uint32_t collatz_next(uint32_t v) {
  return (v & 1u) ? 3u * v + 1u : v >> 1;
}

__global__ void walk_rows(uint32_t n, uint32_t iters, uint32_t row_mask,
                          const uint32_t *__restrict__ row_start,
                          const uint32_t *__restrict__ vals,
                          uint32_t *__restrict__ state) {
  const uint32_t e = blockIdx.x * blockDim.x + threadIdx.x;
  if (e >= n)
    return;
  uint32_t s = state[e];
  for (uint32_t t = 0; t < iters; ++t) {
    const uint32_t row = s & row_mask;
    uint32_t h = 0;
    for (uint32_t j = row_start[row], end = row_start[row + 1]; j < end; ++j)
      h = h * 33u + vals[j];
    s = walk_mix(s, h, t);
  }
  state[e] = s; /* in place: running a launch twice would walk twice */
}

__global__ void
collatz_histogram(uint32_t n, uint32_t rounds, uint32_t cap,
                  const uint32_t *__restrict__ state,
                  uint32_t *__restrict__ hist_out,
                  unsigned long long *__restrict__ total_steps) {
  const uint32_t tid = blockIdx.x * blockDim.x + threadIdx.x;
  const uint32_t threads = blockDim.x * gridDim.x;
  uint32_t hist[kBins]; /* indexed by data: local memory, live across yields */
  for (uint32_t b = 0; b < kBins; ++b)
    hist[b] = 0;
  uint32_t steps = 0;
  for (uint32_t e = tid; e < n; e += threads) {
    const uint32_t seed = state[e];
    for (uint32_t r = 0; r < rounds; ++r) {
      uint32_t v = collatz_start(seed, r);
      uint32_t k = 0;
      while (v != 1u && k < cap) {
        v = collatz_next(v);
        ++hist[v & (kBins - 1)];
        ++k;
      }
      steps += k;
    }
  }
  for (uint32_t b = 0; b < kBins; ++b)
    hist_out[b * threads + tid] += hist[b];
  atomicAdd(total_steps, (unsigned long long)steps);
}

/* ------------------------------------------------------------------------ */
/* CPU reference, launch by launch, exactly as the kernels define it. */

struct HostData {
  std::vector<uint32_t> row_start, vals, state, hist;
  uint64_t total_steps;
};

static void cpu_walk(const std::vector<uint32_t> &row_hash,
                     std::vector<uint32_t> &state) {
  parallel_for(kN, [&](size_t begin, size_t end) {
    /* Several walkers at once: independent chains keep the core busy. */
    const size_t kLanes = 16;
    for (size_t e0 = begin; e0 < end; e0 += kLanes) {
      size_t lanes = std::min(kLanes, end - e0);
      uint32_t s[kLanes];
      for (size_t l = 0; l < lanes; ++l)
        s[l] = state[e0 + l];
      for (uint32_t t = 0; t < kWalkIters; ++t)
        for (size_t l = 0; l < lanes; ++l)
          s[l] = walk_mix(s[l], row_hash[s[l] & (kRows - 1)], t);
      for (size_t l = 0; l < lanes; ++l)
        state[e0 + l] = s[l];
    }
  });
}

static void cpu_collatz(const std::vector<uint32_t> &state,
                        std::vector<uint32_t> &hist_out,
                        uint64_t *total_steps) {
  const uint32_t threads = kCollatzGrid * kCollatzBlock;
  std::vector<uint64_t> steps_of(threads);
  parallel_for(threads, [&](size_t begin, size_t end) {
    for (size_t tid = begin; tid < end; ++tid) {
      uint32_t hist[kBins] = {0};
      uint32_t steps = 0;
      for (size_t e = tid; e < kN; e += threads) {
        for (uint32_t r = 0; r < kCollatzRounds; ++r) {
          uint32_t v = collatz_start(state[e], r);
          uint32_t k = 0;
          while (v != 1u && k < kCollatzCap) {
            v = collatz_next(v);
            ++hist[v & (kBins - 1)];
            ++k;
          }
          steps += k;
        }
      }
      for (uint32_t b = 0; b < kBins; ++b)
        hist_out[b * threads + tid] += hist[b];
      steps_of[tid] = steps;
    }
  });
  for (uint64_t s : steps_of)
    *total_steps += s;
}

static void usage(const char *argv0) {
  fprintf(stderr, "usage: %s [options]\n" COMMON_OPTIONS_HELP, argv0);
}

int main(int argc, char **argv) {
  init_output();
  CommonOptions opt;
  for (int i = 1; i < argc; ++i) {
    if (!parse_common_option(&opt, argc, argv, &i)) {
      usage(argv[0]);
      return 2;
    }
  }
  start_watchdog(opt.timeout_s);

  const uint32_t hist_words = kBins * kCollatzGrid * kCollatzBlock;
  HostData in;
  Xorshift64 rng(0x1357BEEFull);
  in.row_start.resize(kRows + 1);
  in.row_start[0] = 0;
  for (uint32_t r = 0; r < kRows; ++r)
    in.row_start[r + 1] = in.row_start[r] + rng.range(0, 2 * kAvgRow);
  const uint32_t nnz = in.row_start[kRows];
  in.vals.resize(nnz);
  for (uint32_t &v : in.vals)
    v = rng.u32();
  in.state.resize(kN);
  for (uint32_t &s : in.state)
    s = rng.u32() | 1u;
  in.hist.resize(hist_words);
  for (uint32_t &h : in.hist)
    h = rng.range(1, 1000);
  in.total_steps = rng.range(1, 1u << 30);

  uint32_t *d_row_start, *d_vals, *d_state, *d_hist;
  unsigned long long *d_total;
  CHECK_CUDA(cudaMalloc(&d_row_start, (kRows + 1) * sizeof(uint32_t)));
  CHECK_CUDA(cudaMalloc(&d_vals, nnz * sizeof(uint32_t)));
  CHECK_CUDA(cudaMalloc(&d_state, kN * sizeof(uint32_t)));
  CHECK_CUDA(cudaMalloc(&d_hist, hist_words * sizeof(uint32_t)));
  CHECK_CUDA(cudaMalloc(&d_total, sizeof(unsigned long long)));
  cudaStream_t stream = make_be_stream();
  CHECK_CUDA(cudaMemcpyAsync(d_row_start, in.row_start.data(),
                             (kRows + 1) * sizeof(uint32_t),
                             cudaMemcpyHostToDevice, stream));
  CHECK_CUDA(cudaMemcpyAsync(d_vals, in.vals.data(), nnz * sizeof(uint32_t),
                             cudaMemcpyHostToDevice, stream));
  CHECK_CUDA(cudaMemcpyAsync(d_state, in.state.data(), kN * sizeof(uint32_t),
                             cudaMemcpyHostToDevice, stream));
  CHECK_CUDA(cudaMemcpyAsync(d_hist, in.hist.data(),
                             hist_words * sizeof(uint32_t),
                             cudaMemcpyHostToDevice, stream));
  unsigned long long total0 = in.total_steps;
  CHECK_CUDA(cudaMemcpyAsync(d_total, &total0, sizeof total0,
                             cudaMemcpyHostToDevice, stream));
  CHECK_CUDA(cudaStreamSynchronize(stream));

  double t0 = now_us();
  uint64_t launches = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    for (uint32_t l = 0; l < kLaunches; ++l) {
      walk_rows<<<(kN + kWalkBlock - 1) / kWalkBlock, kWalkBlock, 0, stream>>>(
          kN, kWalkIters, kRows - 1, d_row_start, d_vals, d_state);
      CHECK_LAUNCH();
      collatz_histogram<<<kCollatzGrid, kCollatzBlock, 0, stream>>>(
          kN, kCollatzRounds, kCollatzCap, d_state, d_hist, d_total);
      CHECK_LAUNCH();
      launches += 2;
    }
  }
  CHECK_CUDA(cudaStreamSynchronize(stream));
  double gpu_s = (now_us() - t0) * 1e-6;

  std::vector<uint32_t> state(kN), hist(hist_words);
  unsigned long long total = 0;
  memset(state.data(), 0xA5, kN * sizeof(uint32_t));
  memset(hist.data(), 0xA5, hist_words * sizeof(uint32_t));
  memset(&total, 0xA5, sizeof total);
  CHECK_CUDA(cudaMemcpyAsync(state.data(), d_state, kN * sizeof(uint32_t),
                             cudaMemcpyDeviceToHost, stream));
  CHECK_CUDA(cudaMemcpyAsync(hist.data(), d_hist, hist_words * sizeof(uint32_t),
                             cudaMemcpyDeviceToHost, stream));
  CHECK_CUDA(cudaMemcpyAsync(&total, d_total, sizeof total,
                             cudaMemcpyDeviceToHost, stream));
  CHECK_CUDA(cudaStreamSynchronize(stream));

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    double t1 = now_us();
    std::vector<uint32_t> row_hash(kRows);
    for (uint32_t r = 0; r < kRows; ++r) {
      uint32_t h = 0;
      for (uint32_t j = in.row_start[r]; j < in.row_start[r + 1]; ++j)
        h = h * 33u + in.vals[j];
      row_hash[r] = h;
    }
    std::vector<uint32_t> want_state = in.state, want_hist = in.hist;
    uint64_t want_total = in.total_steps;
    for (uint64_t l = 0; l < (uint64_t)kLaunches * opt.repeat; ++l) {
      cpu_walk(row_hash, want_state);
      cpu_collatz(want_state, want_hist, &want_total);
    }
    uint64_t bad_state = 0, bad_hist = 0;
    for (uint32_t e = 0; e < kN; ++e)
      if (state[e] != want_state[e] && bad_state++ < 5)
        printf("mismatch state[%u]: gpu %08x cpu %08x\n", e, state[e],
               want_state[e]);
    for (uint32_t w = 0; w < hist_words; ++w)
      if (hist[w] != want_hist[w] && bad_hist++ < 5)
        printf("mismatch hist[%u]: gpu %u cpu %u\n", w, hist[w], want_hist[w]);
    if (total != want_total)
      printf("mismatch total steps: gpu %llu cpu %" PRIu64 "\n", total,
             want_total);
    printf("check: %" PRIu64 " wrong states, %" PRIu64
           " wrong histogram entries, total steps %s, cpu %.3f s\n",
           bad_state, bad_hist, total == want_total ? "ok" : "WRONG",
           (now_us() - t1) * 1e-6);
    failures += bad_state || bad_hist || total != want_total;
    verdict = failures ? "WRONG" : "ok";
  }

  printf("iterative_nested: %u walkers, %u rows (%u entries), %" PRIu64
         " launches (walk %u steps, collatz %u runs/element), gpu %.3f s, "
         "collatz steps %llu, check %s\n",
         kN, kRows, nnz, launches, kWalkIters, kCollatzRounds, gpu_s,
         total - in.total_steps, verdict);
  uint64_t sum = fnv1a64(state.data(), kN * sizeof(uint32_t));
  sum = fnv1a64(hist.data(), hist_words * sizeof(uint32_t), sum);
  sum = fnv1a64(&total, sizeof total, sum);
  printf("checksum %016" PRIx64 "\n", sum);

  failures += report_gp_stats(opt, launches);

  CHECK_CUDA(cudaFree(d_row_start));
  CHECK_CUDA(cudaFree(d_vals));
  CHECK_CUDA(cudaFree(d_state));
  CHECK_CUDA(cudaFree(d_hist));
  CHECK_CUDA(cudaFree(d_total));
  CHECK_CUDA(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
