/*
 * zoo_util.h - what the kernel zoo's programs share beyond
 * samples/sample_util.h (error checks, inputs, watchdog, checksums, the
 * common options): option parsing, device buffers, copies on the best-effort
 * stream, error measures for the checks that need a tolerance, the check
 * that repeats agree, and the GPU timer behind --time.
 *
 * Conventions of every zoo program:
 *   - Each repeat (--repeat R) starts again from the same inputs, so a
 *     deterministic program must produce the same output every time; a
 *     repeat that differs is a failure. The checksum line and --check are
 *     about the last repeat.
 *   - Outputs that kernels write from scratch are poisoned on the device
 *     (0xFF bytes: NaN as float, all ones as an integer) before the kernels
 *     run, accumulators start from their inputs, and host copies of results
 *     are poisoned (0xA5) before the copy: nothing unwritten passes.
 *   - All copies go through one non-blocking stream (make_be_stream): nothing
 *     ever waits on the legacy default stream behind a preempted kernel.
 */
#ifndef GPREEMPT_ZOO_UTIL_H
#define GPREEMPT_ZOO_UTIL_H

#include "../../samples/sample_util.h"

#include <math.h>

/* The common options plus the zoo's own two. */
struct ZooOptions : CommonOptions {
  bool small = false; /* --small: a small workload (for compute-sanitizer) */
  bool time = false;  /* --time: print the kernels' GPU time */
};

/* What a program accepts besides the common options. */
enum ZooOptionSet { kZooTimeOnly, kZooSmallAndTime };

#define ZOO_TIME_HELP                                                          \
  "  --time                print the GPU time of each repeat's kernels as\n"   \
  "                        kernel_time_us median M min A max B repeats R\n"
#define ZOO_SMALL_HELP                                                         \
  "  --small               a small workload, for slow tools such as\n"         \
  "                        compute-sanitizer (the checksum differs)\n"

/* Parses the options; a usage error exits with status 2. `--small` is a
 * usage error where the program has no small workload, so that nobody runs
 * a large one by mistake under a sanitizer. */
static inline ZooOptions zoo_parse_options(int argc, char **argv,
                                           const char *what,
                                           ZooOptionSet set = kZooTimeOnly) {
  ZooOptions opt;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--time")) {
      opt.time = true;
    } else if (!strcmp(argv[i], "--small") && set == kZooSmallAndTime) {
      opt.small = true;
    } else if (!parse_common_option(&opt, argc, argv, &i)) {
      fprintf(stderr,
              "%s\nusage: %s [options]\n" COMMON_OPTIONS_HELP ZOO_TIME_HELP
              "%s",
              what, argv[0], set == kZooSmallAndTime ? ZOO_SMALL_HELP : "");
      die_now(2);
    }
  }
  return opt;
}

/* ------------------------------------------------------------------------ */
/* Device buffers and copies. A failure is reported at the caller's line
 * (__builtin_FILE/__builtin_LINE as default arguments), like CHECK_CUDA. */

static inline void check_cuda_at(cudaError_t err, const char *what,
                                 const char *file, int line) {
  if (err != cudaSuccess) {
    fprintf(stderr, "%s:%d: %s failed: %s (%d)\n", file, line, what,
            cudaGetErrorString(err), (int)err);
    die_now(2);
  }
}

template <class T>
static inline T *device_alloc(size_t count, const char *file = __builtin_FILE(),
                              int line = __builtin_LINE()) {
  T *p = nullptr;
  check_cuda_at(cudaMalloc(&p, count * sizeof(T)), "cudaMalloc", file, line);
  return p;
}

template <class T>
static inline void
upload(T *dst, const std::vector<T> &src, cudaStream_t stream,
       const char *file = __builtin_FILE(), int line = __builtin_LINE()) {
  check_cuda_at(cudaMemcpyAsync(dst, src.data(), src.size() * sizeof(T),
                                cudaMemcpyHostToDevice, stream),
                "cudaMemcpyAsync to the device", file, line);
}

/* 0xFF bytes: what a kernel fails to write reads as NaN or all ones. */
template <class T>
static inline void poison_device(T *p, size_t count, cudaStream_t stream,
                                 const char *file = __builtin_FILE(),
                                 int line = __builtin_LINE()) {
  check_cuda_at(cudaMemsetAsync(p, 0xFF, count * sizeof(T), stream),
                "cudaMemsetAsync", file, line);
}

/* Copy `count` elements back into a poisoned host buffer, and wait: errors
 * of earlier kernels on the stream surface here. */
template <class T>
static inline void
download(std::vector<T> &dst, const T *src, size_t count, cudaStream_t stream,
         const char *file = __builtin_FILE(), int line = __builtin_LINE()) {
  dst.resize(count);
  memset((void *)dst.data(), 0xA5, count * sizeof(T));
  check_cuda_at(cudaMemcpyAsync(dst.data(), src, count * sizeof(T),
                                cudaMemcpyDeviceToHost, stream),
                "cudaMemcpyAsync to the host", file, line);
  check_cuda_at(cudaStreamSynchronize(stream), "cudaStreamSynchronize", file,
                line);
}

template <class T>
static inline uint64_t checksum_of(const std::vector<T> &v,
                                   uint64_t h = 0xcbf29ce484222325ull) {
  return fnv1a64(v.data(), v.size() * sizeof(T), h);
}

static inline void print_checksum(uint64_t sum) {
  printf("checksum %016" PRIx64 "\n", sum);
}

/* ------------------------------------------------------------------------ */
/* CPU references: parallel_for (sample_util.h) runs small ranges on one
 * thread, which suits cheap elements; this one always splits, for a few
 * expensive items (a BFS, a sampled row of a GEMM). */

template <class F> static inline void parallel_items(size_t n, F f) {
  size_t workers = std::max(1u, std::thread::hardware_concurrency());
  workers = std::min<size_t>(std::min<size_t>(workers, 64), n);
  if (workers <= 1) {
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
/* Error of a floating-point result against a reference: relative L2 norm
 * of the difference (the usual measure for GEMM-like results), the largest
 * absolute difference and where it is, and values that are not finite
 * (poison reads as NaN). */

struct ErrorMeasure {
  double diff2 = 0, ref2 = 0, max_abs = 0;
  size_t worst = 0; /* index of the largest difference */
  size_t first_nonfinite = 0;
  size_t count = 0, nonfinite = 0;

  void add(size_t index, double got, double want) {
    ++count;
    if (!std::isfinite(got)) {
      if (nonfinite++ == 0)
        first_nonfinite = index;
      return;
    }
    double d = fabs(got - want);
    diff2 += d * d;
    ref2 += want * want;
    if (d > max_abs) {
      max_abs = d;
      worst = index;
    }
  }
  /* For references computed in parallel pieces. */
  void merge(const ErrorMeasure &o) {
    diff2 += o.diff2;
    ref2 += o.ref2;
    if (o.max_abs > max_abs) {
      max_abs = o.max_abs;
      worst = o.worst;
    }
    if (o.nonfinite && !nonfinite)
      first_nonfinite = o.first_nonfinite;
    nonfinite += o.nonfinite;
    count += o.count;
  }
  double rel_l2() const {
    if (nonfinite)
      return INFINITY;
    return ref2 > 0 ? sqrt(diff2 / ref2) : sqrt(diff2);
  }
  /* Prints one line; true if within `tolerance` (relative L2). */
  bool report(const char *what, double tolerance) const {
    bool ok = nonfinite == 0 && count > 0 && rel_l2() <= tolerance;
    printf("check %s: rel L2 %.3g (tolerance %.3g), max abs diff %.3g at %zu, "
           "%zu of %zu not finite (first at %zu): %s\n",
           what, rel_l2(), tolerance, max_abs, worst, nonfinite, count,
           first_nonfinite, ok ? "ok" : "WRONG");
    return ok;
  }
};

/* ------------------------------------------------------------------------ */
/* Every repeat starts from the same inputs: a deterministic program must
 * give the same output each time, however it was preempted. */

struct RepeatChecksums {
  uint64_t first = 0, last = 0;
  unsigned seen = 0, differing = 0;

  void add(uint64_t sum) {
    if (seen == 0)
      first = sum;
    else if (sum != first && differing++ < 5)
      printf("FAIL: repeat %u: checksum %016" PRIx64 ", repeat 0: %016" PRIx64
             "\n",
             seen, sum, first);
    last = sum;
    ++seen;
  }
  int failures() const { return differing ? 1 : 0; }
};

/* ------------------------------------------------------------------------ */
/* --time: the GPU time of each repeat's kernel section, measured with events
 * on the stream the kernels run on (so preemptions and relaunches in between
 * count, and uploads, downloads and CPU references do not). begin() before
 * the repeat's first launch, end() after its last; end() waits for the
 * kernels. print() writes the one line a benchmark harness reads:
 *     kernel_time_us median <m> min <a> max <b> repeats <R>
 * Without --time every call does nothing. */

struct RepeatTimer {
  bool enabled;
  cudaEvent_t start = nullptr, stop = nullptr;
  std::vector<double> us;

  explicit RepeatTimer(const ZooOptions &opt) : enabled(opt.time) {
    if (!enabled)
      return;
    CHECK_CUDA(cudaEventCreate(&start));
    CHECK_CUDA(cudaEventCreate(&stop));
  }
  ~RepeatTimer() {
    if (start)
      cudaEventDestroy(start);
    if (stop)
      cudaEventDestroy(stop);
  }
  RepeatTimer(const RepeatTimer &) = delete;
  RepeatTimer &operator=(const RepeatTimer &) = delete;

  void begin(cudaStream_t stream) {
    if (enabled)
      CHECK_CUDA(cudaEventRecord(start, stream));
  }
  void end(cudaStream_t stream) {
    if (!enabled)
      return;
    CHECK_CUDA(cudaEventRecord(stop, stream));
    CHECK_CUDA(cudaEventSynchronize(stop));
    float ms = 0;
    CHECK_CUDA(cudaEventElapsedTime(&ms, start, stop));
    us.push_back((double)ms * 1e3);
  }
  void print() const {
    if (!enabled || us.empty())
      return;
    printf("kernel_time_us median %.1f min %.1f max %.1f repeats %zu\n",
           percentile(us, 0.5), *std::min_element(us.begin(), us.end()),
           *std::max_element(us.begin(), us.end()), us.size());
  }
};

#endif /* GPREEMPT_ZOO_UTIL_H */
