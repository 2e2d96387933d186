/*
 * wmma_gemm - half-precision GEMM on the tensor cores through the CUDA WMMA
 * API (nvcuda::wmma, 16x16x16 fragments, fp32 accumulation), in the form of
 * the CUDA Programming Guide's example: each warp owns one 16x16 tile of C,
 * loads it into an accumulator fragment, walks K loading A and B fragments
 * from global memory and issuing mma_sync, and stores the tile back:
 *     C = A*B + C.
 * Every wmma call is warp-synchronous: a yield inside the K loop must leave
 * and resume the whole warp together, fragments included.
 *
 * Inputs are k/8 with k a non-zero integer in [-8, 8], C0 is q/64 with q in
 * [-64, 64]: products are exact multiples of 1/64 and every partial sum
 * stays below 1 + kLaunches * kK < 2^17 in magnitude, where fp32 holds every
 * multiple of 1/64, so fp32 accumulation is exact in any order (tensor cores
 * included) and the result is exact:
 *     C_final = C0 + kLaunches * A*B.
 * The CPU computes a sample of elements in integers (a full 4096^3
 * reference is too slow) and compares exactly; every element of C must be a
 * multiple of 1/64 within the bound (poison is NaN).
 *
 *     zoo_wmma_gemm [--check] [--time] [--repeat R] ...
 */
#include "zoo_util.h"

#include <cuda_fp16.h>
#include <mma.h>

using namespace nvcuda;

static constexpr int kM = 4096, kN = 4096, kK = 4096;
static constexpr int kFrag = 16;               /* WMMA m16n16k16 */
static constexpr int kWarpsX = 4, kWarpsY = 4; /* block: 128 x 4 threads */
static constexpr int kLaunches = 24;           /* per repeat */
static constexpr uint32_t kSampled = 1u << 16; /* elements checked */

static_assert(kM % (kFrag * kWarpsX) == 0 && kN % (kFrag * kWarpsY) == 0 &&
                  kK % kFrag == 0,
              "no edge handling: whole tiles per block");
/* |C| at most; fp32 holds every multiple of 1/64 below 2^18. */
static constexpr double kBound = 1.0 + (double)kLaunches * kK;
static_assert(kBound < 131072.0, "exact accumulation");

/* A: m x k row-major. B: k x n column-major (row j of B^T holds column j).
 * C: m x n row-major, fp32. */
__global__ void wmma_gemm(int m, int n, int k, const half *__restrict__ a,
                          const half *__restrict__ b, float *__restrict__ c) {
  const int tile_row = (blockIdx.x * blockDim.x + threadIdx.x) / warpSize;
  const int tile_col = blockIdx.y * blockDim.y + threadIdx.y;
  const int row = tile_row * kFrag, col = tile_col * kFrag;
  (void)m;

  wmma::fragment<wmma::matrix_a, kFrag, kFrag, kFrag, half, wmma::row_major>
      a_frag;
  wmma::fragment<wmma::matrix_b, kFrag, kFrag, kFrag, half, wmma::col_major>
      b_frag;
  wmma::fragment<wmma::accumulator, kFrag, kFrag, kFrag, float> acc;

  float *c_tile = c + (size_t)row * n + col;
  wmma::load_matrix_sync(acc, c_tile, n, wmma::mem_row_major);
  for (int kk = 0; kk < k; kk += kFrag) {
    wmma::load_matrix_sync(a_frag, a + (size_t)row * k + kk, k);
    wmma::load_matrix_sync(b_frag, b + (size_t)col * k + kk, k);
    wmma::mma_sync(acc, a_frag, b_frag, acc);
  }
  wmma::store_matrix_sync(c_tile, acc, n, wmma::mem_row_major);
}

/* A non-zero integer in [-8, 8]. */
static int8_t small_int(Xorshift64 &rng) {
  const int v = (int)rng.range(1, 8);
  return (int8_t)((rng.next() & 1) ? v : -v);
}

int main(int argc, char **argv) {
  init_output();
  ZooOptions opt = zoo_parse_options(
      argc, argv, "tensor-core half GEMM with nvcuda::wmma fragments");
  start_watchdog(opt.timeout_s);

  /* Integers scaled by 8 (A, B) and 64 (C), kept for the exact reference. */
  std::vector<int8_t> a_int((size_t)kM * kK), bt_int((size_t)kN * kK);
  std::vector<int8_t> c0_int((size_t)kM * kN);
  Xorshift64 rng(0x3A3A0E0Dull);
  for (int8_t &v : a_int)
    v = small_int(rng);
  for (int8_t &v : bt_int)
    v = small_int(rng);
  for (int8_t &v : c0_int) {
    const int q = (int)rng.range(1, 64);
    v = (int8_t)((rng.next() & 1) ? q : -q);
  }
  std::vector<half> a(a_int.size()), bt(bt_int.size());
  std::vector<float> c0(c0_int.size());
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = __float2half(a_int[i] / 8.0f);
  for (size_t i = 0; i < bt.size(); ++i)
    bt[i] = __float2half(bt_int[i] / 8.0f);
  for (size_t i = 0; i < c0.size(); ++i)
    c0[i] = c0_int[i] / 64.0f;

  half *d_a = device_alloc<half>(a.size());
  half *d_b = device_alloc<half>(bt.size());
  float *d_c = device_alloc<float>(c0.size());
  cudaStream_t stream = make_be_stream();
  upload(d_a, a, stream);
  upload(d_b, bt, stream);

  const dim3 block(32 * kWarpsX, kWarpsY);
  const dim3 grid(kM / (kFrag * kWarpsX), kN / (kFrag * kWarpsY));
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
    for (int l = 0; l < kLaunches; ++l) {
      wmma_gemm<<<grid, block, 0, stream>>>(kM, kN, kK, d_a, d_b, d_c);
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
    auto sample = [](uint32_t s, uint32_t *i, uint32_t *j) {
      *i = hash32(s * 2 + 1) % kM;
      *j = hash32(s * 2 + 2) % kN;
    };
    /* Exact C in units of 1/64: C0 is q/64, each product (a/8)(b/8) is
     * ab/64. */
    std::vector<int64_t> want(kSampled);
    parallel_for(kSampled, [&](size_t begin, size_t end) {
      for (size_t s = begin; s < end; ++s) {
        uint32_t i, j;
        sample((uint32_t)s, &i, &j);
        const int8_t *ar = &a_int[(size_t)i * kK],
                     *br = &bt_int[(size_t)j * kK];
        int32_t dot = 0;
        for (int kk = 0; kk < kK; ++kk)
          dot += ar[kk] * br[kk];
        want[s] = c0_int[(size_t)i * kN + j] + (int64_t)kLaunches * dot;
      }
    });
    uint64_t bad = 0, off_grid = 0;
    for (uint32_t s = 0; s < kSampled; ++s) {
      uint32_t i, j;
      sample(s, &i, &j);
      const float got = c[(size_t)i * kN + j];
      if ((double)got * 64.0 != (double)want[s] && bad++ < 5)
        printf("mismatch C[%u][%u]: gpu %.6f cpu %.6f\n", i, j, (double)got,
               (double)want[s] / 64.0);
    }
    for (float v : c) {
      const double scaled = (double)v * 64.0;
      off_grid += !(fabs((double)v) <= kBound) || scaled != floor(scaled);
    }
    printf("check: %" PRIu64 " wrong of %u sampled elements, %" PRIu64
           " elements of C not multiples of 1/64 within bounds (poison), cpu "
           "%.3f s\n",
           bad, kSampled, off_grid, (now_us() - t1) * 1e-6);
    failures += bad || off_grid;
    verdict = bad || off_grid ? "WRONG" : "ok";
  }

  printf("wmma_gemm: %dx%dx%d half, %" PRIu64 " launches, gpu %.3f s (%.1f "
         "TFLOP/s), check %s\n",
         kM, kN, kK, launches, gpu_s,
         2.0 * kM * kN * kK * (double)launches / gpu_s * 1e-12, verdict);
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
