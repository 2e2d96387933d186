/*
 * spmv_csr - sparse matrix-vector products y += A*x on a CSR matrix whose
 * rows have random lengths 0..200 (empty rows included), in the two
 * classic forms, alternating launch by launch:
 *   spmv_scalar  one thread per row: a data-dependent loop over the row;
 *   spmv_vector  one warp per row: lanes stride through the row, then a
 *                __shfl_down_sync reduction; lane 0 adds to y.
 * A yield can land anywhere in a row, with the partial dot product live.
 *
 * uint32 values, arithmetic mod 2^32 (as in path counting over a graph):
 * exact and order-independent. y += A*x is not idempotent: after kLaunches
 * launches y = y0 + kLaunches * (A*x), which the CPU gets from one product.
 *
 *     zoo_spmv_csr [--check] [--time] [--repeat R] ...
 */
#include "zoo_util.h"

static constexpr uint32_t kRows = 1u << 18, kCols = 1u << 18;
static constexpr uint32_t kMaxRowLength = 200;
static constexpr uint32_t kBlock = 256;
static constexpr uint32_t kLaunches = 512; /* per repeat, scalar/vector */
static constexpr uint32_t kFullMask = 0xFFFFFFFFu;

static_assert((kRows * 32ull) % kBlock == 0, "whole warps per row");

__global__ void spmv_scalar(uint32_t rows,
                            const uint32_t *__restrict__ row_start,
                            const uint32_t *__restrict__ cols,
                            const uint32_t *__restrict__ vals,
                            const uint32_t *__restrict__ x,
                            uint32_t *__restrict__ y) {
  const uint32_t row = blockIdx.x * blockDim.x + threadIdx.x;
  if (row >= rows)
    return;
  uint32_t dot = 0;
  const uint32_t end = row_start[row + 1];
  for (uint32_t j = row_start[row]; j < end; ++j)
    dot += vals[j] * x[cols[j]];
  y[row] += dot;
}

__global__ void spmv_vector(uint32_t rows,
                            const uint32_t *__restrict__ row_start,
                            const uint32_t *__restrict__ cols,
                            const uint32_t *__restrict__ vals,
                            const uint32_t *__restrict__ x,
                            uint32_t *__restrict__ y) {
  const uint32_t lane = threadIdx.x % 32;
  const uint32_t row = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
  if (row >= rows) /* the whole warp leaves together */
    return;
  uint32_t dot = 0;
  const uint32_t end = row_start[row + 1];
  for (uint32_t j = row_start[row] + lane; j < end; j += 32)
    dot += vals[j] * x[cols[j]];
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1)
    dot += __shfl_down_sync(kFullMask, dot, offset);
  if (lane == 0)
    y[row] += dot;
}

int main(int argc, char **argv) {
  init_output();
  ZooOptions opt = zoo_parse_options(
      argc, argv, "CSR SpMV y += A*x, thread-per-row and warp-per-row");
  start_watchdog(opt.timeout_s);

  Xorshift64 rng(0x5B3F0C52ull);
  std::vector<uint32_t> row_start(kRows + 1);
  row_start[0] = 0;
  for (uint32_t r = 0; r < kRows; ++r)
    row_start[r + 1] = row_start[r] + rng.range(0, kMaxRowLength);
  const uint32_t nnz = row_start[kRows];
  std::vector<uint32_t> cols(nnz), vals(nnz), x(kCols), y0(kRows);
  for (uint32_t j = 0; j < nnz; ++j) {
    cols[j] = rng.range(0, kCols - 1);
    vals[j] = rng.u32() | 1;
  }
  for (uint32_t &v : x)
    v = rng.u32() | 1;
  for (uint32_t &v : y0)
    v = rng.u32() | 1;

  uint32_t *d_row_start = device_alloc<uint32_t>(kRows + 1);
  uint32_t *d_cols = device_alloc<uint32_t>(nnz);
  uint32_t *d_vals = device_alloc<uint32_t>(nnz);
  uint32_t *d_x = device_alloc<uint32_t>(kCols);
  uint32_t *d_y = device_alloc<uint32_t>(kRows);
  cudaStream_t stream = make_be_stream();
  upload(d_row_start, row_start, stream);
  upload(d_cols, cols, stream);
  upload(d_vals, vals, stream);
  upload(d_x, x, stream);

  RepeatChecksums repeats;
  RepeatTimer timer(opt);
  std::vector<uint32_t> y;
  uint64_t launches = 0;
  double gpu_s = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    upload(d_y, y0, stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    double t0 = now_us();
    timer.begin(stream);
    for (uint32_t l = 0; l < kLaunches; ++l) {
      if (l % 2 == 0)
        spmv_scalar<<<kRows / kBlock, kBlock, 0, stream>>>(
            kRows, d_row_start, d_cols, d_vals, d_x, d_y);
      else
        spmv_vector<<<kRows * 32 / kBlock, kBlock, 0, stream>>>(
            kRows, d_row_start, d_cols, d_vals, d_x, d_y);
      CHECK_LAUNCH();
      ++launches;
    }
    timer.end(stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    gpu_s += (now_us() - t0) * 1e-6;
    download(y, d_y, kRows, stream);
    repeats.add(checksum_of(y));
  }

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    double t1 = now_us();
    std::vector<uint32_t> want(kRows);
    parallel_for(kRows, [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; ++r) {
        uint32_t dot = 0;
        for (uint32_t j = row_start[r]; j < row_start[r + 1]; ++j)
          dot += vals[j] * x[cols[j]];
        want[r] = y0[r] + kLaunches * dot;
      }
    });
    uint64_t bad = 0;
    for (uint32_t r = 0; r < kRows; ++r)
      if (y[r] != want[r] && bad++ < 5)
        printf("mismatch y[%u] (row length %u): gpu %u cpu %u\n", r,
               row_start[r + 1] - row_start[r], y[r], want[r]);
    printf("check: %" PRIu64 " wrong rows of %u, cpu %.3f s\n", bad, kRows,
           (now_us() - t1) * 1e-6);
    failures += bad != 0;
    verdict = bad ? "WRONG" : "ok";
  }

  printf("spmv_csr: %u rows, %u nonzeros, %" PRIu64 " launches, gpu %.3f s "
         "(%.1f Gnnz/s), check %s\n",
         kRows, nnz, launches, gpu_s,
         (double)nnz * (double)launches / gpu_s * 1e-9, verdict);
  print_checksum(repeats.last);
  timer.print();

  failures += repeats.failures();
  failures += report_gp_stats(opt, launches);
  CHECK_CUDA(cudaFree(d_row_start));
  CHECK_CUDA(cudaFree(d_cols));
  CHECK_CUDA(cudaFree(d_vals));
  CHECK_CUDA(cudaFree(d_x));
  CHECK_CUDA(cudaFree(d_y));
  CHECK_CUDA(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
