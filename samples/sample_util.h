/*
 * sample_util.h - what the samples and the GPU tests share: error checks,
 * deterministic inputs, a watchdog, output checksums, LCG arithmetic that the
 * CPU can jump ahead, and the common command-line options.
 *
 * Exit codes of every program that uses it:
 *   0 success, 1 wrong result (or a requirement such as --min-preemptions not
 *   met), 2 a CUDA/gpreempt call failed or bad usage, 3 watchdog timeout.
 *
 * Header-only on purpose: each program is one .cu file built by gpreempt-cc,
 * the way a user builds theirs.
 */
#ifndef GPREEMPT_SAMPLE_UTIL_H
#define GPREEMPT_SAMPLE_UTIL_H

#include <cuda_runtime.h>
#include <gpreempt.h>

#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

/* ------------------------------------------------------------------------ */
/* Error checks. A failed call ends the process at once with status 2; _exit
 * rather than exit because another thread may be inside the CUDA runtime, and
 * running its static destructors under that thread can hang. */

[[noreturn]] static inline void die_now(int status) {
  fflush(stdout);
  fflush(stderr);
  _exit(status);
}

#define CHECK_CUDA(call)                                                       \
  do {                                                                         \
    cudaError_t check_err_ = (call);                                           \
    if (check_err_ != cudaSuccess) {                                           \
      fprintf(stderr, "%s:%d: %s failed: %s (%d)\n", __FILE__, __LINE__,       \
              #call, cudaGetErrorString(check_err_), (int)check_err_);         \
      die_now(2);                                                              \
    }                                                                          \
  } while (0)

/* After every <<<>>> launch: the launch itself reports errors only here. */
#define CHECK_LAUNCH() CHECK_CUDA(cudaGetLastError())

#define CHECK_GP(call)                                                         \
  do {                                                                         \
    gp_status check_st_ = (call);                                              \
    if (check_st_ != GP_SUCCESS) {                                             \
      fprintf(stderr, "%s:%d: %s failed: %s (%d), last CUDA error %d\n",       \
              __FILE__, __LINE__, #call, gp_status_string(check_st_),          \
              (int)check_st_, gp_last_cuda_error());                           \
      die_now(2);                                                              \
    }                                                                          \
  } while (0)

/* A test assertion: report and count, keep going. */
#define EXPECT(cond, ...)                                                      \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stdout, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);          \
      fprintf(stdout, __VA_ARGS__);                                            \
      fputc('\n', stdout);                                                     \
      ++g_failures;                                                            \
    }                                                                          \
  } while (0)
static int g_failures = 0;

/* ------------------------------------------------------------------------ */
/* Watchdog: a hung kernel or a stream that never completes must fail the
 * test, not block the GPU machine. alarm() fires even while the main thread
 * is stuck inside a CUDA call. */

static void watchdog_fire(int) {
  static const char msg[] = "TIMEOUT: watchdog fired, the program hung\n";
  ssize_t ignored = write(STDOUT_FILENO, msg, sizeof msg - 1);
  ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
  _exit(3);
}

static inline void start_watchdog(unsigned seconds) {
  signal(SIGALRM, watchdog_fire);
  alarm(seconds);
}

/* ------------------------------------------------------------------------ */
/* Time. */

static inline double now_us() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static inline void sleep_us(double us) {
  if (us <= 0)
    return;
  struct timespec ts;
  ts.tv_sec = (time_t)(us / 1e6);
  ts.tv_nsec = (long)((us - (double)ts.tv_sec * 1e6) * 1e3);
  while (nanosleep(&ts, &ts) != 0) {
  }
}

/* Nearest-rank percentile (q in [0,1]) of unsorted samples; 0 if empty. */
static inline double percentile(std::vector<double> v, double q) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  size_t rank = (size_t)(q * (double)v.size() + 0.999999);
  if (rank < 1)
    rank = 1;
  if (rank > v.size())
    rank = v.size();
  return v[rank - 1];
}

/* ------------------------------------------------------------------------ */
/* Deterministic inputs: xorshift64 (Marsaglia 2003) with a fixed seed. */

struct Xorshift64 {
  uint64_t s;
  explicit Xorshift64(uint64_t seed) : s(seed ? seed : 0x9E3779B97F4A7C15ull) {}
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  uint32_t u32() { return (uint32_t)(next() >> 32); }
  /* Uniform in [lo, hi], inclusive. */
  uint32_t range(uint32_t lo, uint32_t hi) {
    uint64_t span = (uint64_t)hi - lo + 1;
    return lo + (uint32_t)(((next() >> 32) * span) >> 32);
  }
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * (double)(next() >> 11) * (1.0 / 9007199254740992.0);
  }
};

/* A stateless 32-bit hash (lowbias32, Chris Wellons): per-element inputs that
 * any thread can compute. */
static inline __host__ __device__ uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

/* ------------------------------------------------------------------------ */
/* Checksum of output bytes: FNV-1a, 64 bits. Two runs print the same line
 * exactly when their outputs are identical (barring a collision). */

static inline uint64_t fnv1a64(const void *data, size_t bytes,
                               uint64_t h = 0xcbf29ce484222325ull) {
  const unsigned char *p = (const unsigned char *)data;
  for (size_t i = 0; i < bytes; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

/* ------------------------------------------------------------------------ */
/* Linear congruential steps x' = a*x + c (mod 2^32). The GPU iterates them
 * one by one; the CPU reference jumps n steps in O(log n): n steps compose to
 * x' = mult*x + plus (F. Brown, "Random number generation with arbitrary
 * strides", 1994). All four multipliers are 1 mod 4 with odd increments. */

#define LCG_A0 1664525u
#define LCG_C0 1013904223u
#define LCG_A1 22695477u
#define LCG_C1 1u
#define LCG_A2 1103515245u
#define LCG_C2 12345u
#define LCG_A3 134775813u
#define LCG_C3 2531011u

struct LcgJump {
  uint32_t mult, plus;
  uint32_t apply(uint32_t x) const { return mult * x + plus; }
};

static inline LcgJump lcg_jump(uint32_t a, uint32_t c, uint64_t n) {
  uint32_t acc_mult = 1, acc_plus = 0, cur_mult = a, cur_plus = c;
  while (n) {
    if (n & 1) {
      acc_mult *= cur_mult;
      acc_plus = acc_plus * cur_mult + cur_plus;
    }
    cur_plus = (cur_mult + 1) * cur_plus;
    cur_mult *= cur_mult;
    n >>= 1;
  }
  return LcgJump{acc_mult, acc_plus};
}

/* How many of `got` differ from what `launches` launches of a kernel that
 * adds to out[i] the LCG (a, c) run `iters` steps from hash32(i) leave
 * there, starting from `start` (the GPU tests' churn kernels). */
static inline long count_wrong_lcg_sums(const std::vector<uint32_t> &got,
                                        const std::vector<uint32_t> &start,
                                        uint32_t launches, uint32_t a,
                                        uint32_t c, uint64_t iters) {
  const LcgJump jump = lcg_jump(a, c, iters);
  long wrong = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != start[i] + launches * jump.apply(hash32((uint32_t)i)))
      ++wrong;
  return wrong;
}

/* ------------------------------------------------------------------------ */
/* CPU reference work spread over all cores: f(begin, end) on disjoint
 * ranges of [0, n). */

template <class F> static void parallel_for(size_t n, F f) {
  size_t workers = std::max(1u, std::thread::hardware_concurrency());
  workers = std::min<size_t>(workers, 64);
  if (n < 4096 || workers == 1) {
    f((size_t)0, n);
    return;
  }
  std::vector<std::thread> pool;
  size_t chunk = (n + workers - 1) / workers;
  for (size_t begin = 0; begin < n; begin += chunk)
    pool.emplace_back(f, begin, std::min(n, begin + chunk));
  for (std::thread &t : pool)
    t.join();
}

/* ------------------------------------------------------------------------ */
/* Streams. Best-effort work goes on a stream of default priority;
 * latency-critical work on the highest priority, non-blocking (gpreempt.h:
 * a blocking stream would wait for the preempted kernel). BE streams are
 * non-blocking too, so that nothing on the legacy default stream ever waits
 * for a preempted kernel. */

static inline cudaStream_t make_be_stream() {
  cudaStream_t s;
  CHECK_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  return s;
}

static inline cudaStream_t make_lc_stream() {
  int least = 0, greatest = 0;
  CHECK_CUDA(cudaDeviceGetStreamPriorityRange(&least, &greatest));
  if (greatest >= 0) {
    fprintf(stderr, "stream priorities unsupported (range %d..%d)\n", least,
            greatest);
    die_now(2);
  }
  cudaStream_t s;
  CHECK_CUDA(cudaStreamCreateWithPriority(&s, cudaStreamNonBlocking, greatest));
  return s;
}

/* ------------------------------------------------------------------------ */
/* Options every sample takes. */

struct CommonOptions {
  bool check = false;               /* --check: compare with the CPU */
  uint64_t min_preemptions = 0;     /* --min-preemptions N */
  bool require_preemptible = false; /* --require-preemptible */
  unsigned repeat = 1;              /* --repeat R */
  unsigned timeout_s = 120;         /* --timeout S (watchdog) */
};

static inline uint64_t parse_u64_arg(const char *text, const char *option) {
  char *end = nullptr;
  unsigned long long v = text ? strtoull(text, &end, 0) : 0;
  if (!text || !*text || *end || text[0] == '-') {
    fprintf(stderr, "%s needs a non-negative integer, got '%s'\n", option,
            text ? text : "");
    die_now(2);
  }
  return (uint64_t)v;
}

/* Consumes argv[*i] (and its value) if it is a common option. */
static inline bool parse_common_option(CommonOptions *o, int argc, char **argv,
                                       int *i) {
  const char *a = argv[*i];
  const char *value = *i + 1 < argc ? argv[*i + 1] : nullptr;
  if (!strcmp(a, "--check")) {
    o->check = true;
  } else if (!strcmp(a, "--require-preemptible")) {
    o->require_preemptible = true;
  } else if (!strcmp(a, "--min-preemptions")) {
    o->min_preemptions = parse_u64_arg(value, a);
    ++*i;
  } else if (!strcmp(a, "--repeat")) {
    uint64_t r = parse_u64_arg(value, a);
    if (r < 1 || r > 100000) {
      fprintf(stderr, "--repeat must be in 1..100000\n");
      die_now(2);
    }
    o->repeat = (unsigned)r;
    ++*i;
  } else if (!strcmp(a, "--timeout")) {
    o->timeout_s = (unsigned)parse_u64_arg(value, a);
    ++*i;
  } else {
    return false;
  }
  return true;
}

#define COMMON_OPTIONS_HELP                                                    \
  "  --check               compare with the CPU reference, exit 1 if wrong\n"  \
  "  --min-preemptions N   exit 1 unless gpreempt counted >= N preemptions\n"  \
  "  --require-preemptible exit 1 unless every BE launch was preemptible\n"    \
  "  --repeat R            run the workload R times on the same data\n"        \
  "  --timeout S           watchdog: exit 3 after S seconds\n"

/* One line with gpreempt's counters, then the checks that
 * --min-preemptions and --require-preemptible ask for. `be_launches` is the
 * number of launches the program made that gpreempt should have preempted.
 * Returns the number of failed checks. */
static inline int report_gp_stats(const CommonOptions &o,
                                  uint64_t be_launches) {
  gp_stats st;
  CHECK_GP(gp_get_stats(&st));
  printf(
      "gp stats: preemptions %" PRIu64 " resumes %" PRIu64
      " relaunches %" PRIu64 " launches preemptible %" PRIu64
      " unpreempted %" PRIu64 " (not instrumented %" PRIu64 ", refused %" PRIu64
      ", latency-critical %" PRIu64 ", other %" PRIu64 ") drain p50 %" PRIu64
      " us p99 %" PRIu64 " us (%" PRIu64 " samples)\n",
      st.preemptions, st.resumes, st.relaunches, st.launches_preemptible,
      st.launches_unpreempted, st.unpreempted_not_instrumented,
      st.unpreempted_refused, st.unpreempted_latency_critical,
      st.unpreempted_other, st.drain_p50_us, st.drain_p99_us, st.drain_samples);
  int failures = 0;
  if (st.preemptions < o.min_preemptions) {
    printf("FAIL: %" PRIu64 " preemptions, --min-preemptions wants %" PRIu64
           "\n",
           st.preemptions, o.min_preemptions);
    ++failures;
  }
  if (o.require_preemptible && st.launches_preemptible < be_launches) {
    printf("FAIL: only %" PRIu64 " of %" PRIu64
           " best-effort launches were preemptible\n",
           st.launches_preemptible, be_launches);
    ++failures;
  }
  return failures;
}

/* Line-buffered stdout: the checksum line and the runtime's stderr lines
 * never interleave mid-line when both go to one pipe. */
static inline void init_output() { setvbuf(stdout, nullptr, _IOLBF, 0); }

/* ------------------------------------------------------------------------ */
/* Kernels that several programs share, compiled only where asked for with
 * #define SAMPLE_UTIL_LCG_KERNELS before the #include. */
#ifdef SAMPLE_UTIL_LCG_KERNELS

/* Best-effort work whose result the CPU can check in O(log iters): four
 * independent LCG chains per element, kBurnStepsPerIter steps per loop
 * iteration (unrolled, so the back-edge where gpreempt polls comes every 32
 * multiply-adds). In place: a launch applied twice, or half, shows.
 *
 * The multiplier and increment are kernel parameters on purpose: with
 * constants, the compiler folds consecutive steps into one (x*a + c)*a + c =
 * x*a^2 + (c*a + c), and the kernel does a fraction of the work it claims. */
static constexpr uint32_t kBurnStepsPerIter = 8;

__global__ void lcg_burn(uint32_t n, uint32_t iters, uint32_t a, uint32_t c,
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

/* What one lcg_burn launch does to `state`. */
inline void lcg_burn_reference(std::vector<uint32_t> &state, uint32_t iters,
                               uint32_t a, uint32_t c) {
  const LcgJump j = lcg_jump(a, c, (uint64_t)iters * kBurnStepsPerIter);
  for (uint32_t &s : state)
    s = j.apply(s) ^ (j.apply(s ^ 0x9E3779B9u) << 1) ^
        (j.apply(s + 0x7F4A7C15u) << 2) ^ (j.apply(~s) << 3);
}

/* Latency-critical work: one dependent chain of `iters` LCG steps per
 * element, so its duration is set by `iters` (times the multiply-add's
 * latency), not by the GPU's width. GP_NO_PREEMPT: it runs exactly as
 * compiled, on any stream. */
GP_NO_PREEMPT __global__ void lc_transform(uint32_t n, uint32_t iters,
                                           uint32_t a, uint32_t c,
                                           const uint32_t *__restrict__ in,
                                           uint32_t *__restrict__ out) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  uint32_t x = in[i];
  for (uint32_t k = 0; k < iters; ++k)
    x = x * a + c;
  out[i] = x;
}

#endif /* SAMPLE_UTIL_LCG_KERNELS */

#endif /* GPREEMPT_SAMPLE_UTIL_H */
