/*
 * sgemm_tiled - the textbook shared-memory SGEMM: C = alpha*A*B + beta*C.
 *
 * Each block computes a 32x32 tile of C with 32x8 threads (4 rows of C per
 * thread). For every 32-wide slice of K, the block stages a 32x32 tile of A
 * and one of B in shared memory, __syncthreads, multiplies out of shared
 * memory, and __syncthreads again before the next slice overwrites them. A
 * yield inside the K loop must keep the tiles and the block's barriers
 * consistent.
 *
 * beta = 1 and `launches` launches: C accumulates, so a tile computed twice
 * (or not at all) after a resume shows in the result:
 *     C_final = C0 + launches * A*B.
 * The check computes every 16th row of C in double on the CPU (a full
 * 2048^3 reference is too slow for a 2-core machine) and compares them with a
 * relative L2 tolerance suited to fp32 sums of 2048 products; every element
 * must be finite (the output starts as NaN poison). The kernel is
 * deterministic, so runs agree bitwise (checksum). --small multiplies
 * 256x256 matrices 4 times, for compute-sanitizer.
 *
 *     zoo_sgemm_tiled [--check] [--small] [--time] [--repeat R] ...
 */
#include "zoo_util.h"

static constexpr int kTile = 32;     /* C tile edge, and K slice */
static constexpr int kBlockRows = 8; /* threadIdx.y extent */
static constexpr int kRowsPerThread = kTile / kBlockRows;
static constexpr int kCheckRowStride = 16; /* CPU checks every 16th row */
static constexpr double kTolerance = 1e-4; /* relative L2, fp32 vs double */

/* C (m x n) += A (m x k) * B (k x n), `launches` times per repeat. */
struct Workload {
  int m, n, k, launches;
};
static constexpr Workload kDefault = {2048, 2048, 2048, 64};
static constexpr Workload kSmall = {256, 256, 256, 4};

static constexpr bool whole_tiles(Workload w) {
  return w.m % kTile == 0 && w.n % kTile == 0 && w.k % kTile == 0 &&
         w.m % kCheckRowStride == 0;
}
static_assert(whole_tiles(kDefault) && whole_tiles(kSmall),
              "no edge handling: sizes are multiples of the tile");

/* A is m x k, B is k x n, C is m x n, all row-major. */
__global__ void sgemm_tiled(int m, int n, int k, float alpha,
                            const float *__restrict__ a,
                            const float *__restrict__ b, float beta,
                            float *__restrict__ c) {
  __shared__ float a_tile[kTile][kTile];
  __shared__ float b_tile[kTile][kTile];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row0 = blockIdx.y * kTile, col = blockIdx.x * kTile + tx;
  (void)m;

  float acc[kRowsPerThread] = {};
  for (int k0 = 0; k0 < k; k0 += kTile) {
#pragma unroll
    for (int r = 0; r < kRowsPerThread; ++r) {
      const int row = ty + r * kBlockRows;
      a_tile[row][tx] = a[(size_t)(row0 + row) * k + k0 + tx];
      b_tile[row][tx] = b[(size_t)(k0 + row) * n + col];
    }
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < kTile; ++kk) {
      const float bv = b_tile[kk][tx]; /* consecutive: no bank conflict */
#pragma unroll
      for (int r = 0; r < kRowsPerThread; ++r)
        acc[r] += a_tile[ty + r * kBlockRows][kk] * bv; /* broadcast */
    }
    __syncthreads(); /* the next slice overwrites the tiles */
  }
#pragma unroll
  for (int r = 0; r < kRowsPerThread; ++r) {
    float *out = &c[(size_t)(row0 + ty + r * kBlockRows) * n + col];
    *out = alpha * acc[r] + beta * *out;
  }
}

/* Row `row` of C0 + launches * A*B, in double. */
static void reference_rows(const Workload &w, const std::vector<float> &a,
                           const std::vector<float> &b,
                           const std::vector<float> &c0, int row, double *out) {
  std::vector<double> acc(w.n, 0.0);
  for (int kk = 0; kk < w.k; ++kk) {
    const double aik = a[(size_t)row * w.k + kk];
    const float *brow = &b[(size_t)kk * w.n];
    for (int j = 0; j < w.n; ++j)
      acc[j] += aik * (double)brow[j];
  }
  for (int j = 0; j < w.n; ++j)
    out[j] = (double)c0[(size_t)row * w.n + j] + w.launches * acc[j];
}

/* Uniform in +-[0.1, 1]: never zero, random signs. */
static float signed_value(Xorshift64 &rng) {
  float v = (float)rng.uniform(0.1, 1.0);
  return (rng.next() & 1) ? v : -v;
}

int main(int argc, char **argv) {
  init_output();
  ZooOptions opt = zoo_parse_options(
      argc, argv, "tiled SGEMM C = A*B + C with shared-memory tiles",
      kZooSmallAndTime);
  start_watchdog(opt.timeout_s);
  const Workload w = opt.small ? kSmall : kDefault;

  std::vector<float> a((size_t)w.m * w.k), b((size_t)w.k * w.n),
      c0((size_t)w.m * w.n);
  Xorshift64 rng(0x5EE0A11Bull);
  for (float &v : a)
    v = signed_value(rng);
  for (float &v : b)
    v = signed_value(rng);
  for (float &v : c0)
    v = signed_value(rng);

  float *d_a = device_alloc<float>(a.size());
  float *d_b = device_alloc<float>(b.size());
  float *d_c = device_alloc<float>(c0.size());
  cudaStream_t stream = make_be_stream();
  upload(d_a, a, stream);
  upload(d_b, b, stream);

  const dim3 block(kTile, kBlockRows), grid(w.n / kTile, w.m / kTile);
  RepeatChecksums repeats;
  RepeatTimer timer(opt);
  std::vector<float> c;
  uint64_t launches = 0;
  double gpu_s = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    upload(d_c, c0, stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    double t0 = now_us();
    timer.begin(stream);
    for (int l = 0; l < w.launches; ++l) {
      sgemm_tiled<<<grid, block, 0, stream>>>(w.m, w.n, w.k, 1.0f, d_a, d_b,
                                              1.0f, d_c);
      CHECK_LAUNCH();
      ++launches;
    }
    timer.end(stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    gpu_s += (now_us() - t0) * 1e-6;
    download(c, d_c, c0.size(), stream);
    repeats.add(checksum_of(c));
  }

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    double t1 = now_us();
    const int checked_rows = w.m / kCheckRowStride;
    std::vector<ErrorMeasure> parts(checked_rows);
    parallel_items(checked_rows, [&](size_t begin, size_t end) {
      std::vector<double> want(w.n);
      for (size_t i = begin; i < end; ++i) {
        const int row = (int)i * kCheckRowStride;
        reference_rows(w, a, b, c0, row, want.data());
        for (int j = 0; j < w.n; ++j)
          parts[i].add((size_t)row * w.n + j, c[(size_t)row * w.n + j],
                       want[j]);
      }
    });
    ErrorMeasure err;
    for (const ErrorMeasure &p : parts)
      err.merge(p);
    bool ok = err.report("sampled rows of C", kTolerance);
    size_t nonfinite = 0;
    for (float v : c)
      nonfinite += !std::isfinite(v);
    if (nonfinite)
      printf("check: %zu elements of C are not finite (poison)\n", nonfinite);
    ok = ok && nonfinite == 0;
    printf("check: cpu %.3f s\n", (now_us() - t1) * 1e-6);
    failures += !ok;
    verdict = ok ? "ok" : "WRONG";
  }

  printf("sgemm_tiled: %dx%dx%d, %" PRIu64 " launches, gpu %.3f s (%.0f "
         "GFLOP/s), check %s\n",
         w.m, w.n, w.k, launches, gpu_s,
         2.0 * w.m * w.n * w.k * (double)launches / gpu_s * 1e-9, verdict);
  print_checksum(repeats.last);
  timer.print();

  failures += repeats.failures();
  failures += report_gp_stats(opt, launches);
  CHECK_CUDA(cudaFree(d_a));
  CHECK_CUDA(cudaFree(d_b));
  CHECK_CUDA(cudaFree(d_c));
  CHECK_CUDA(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
