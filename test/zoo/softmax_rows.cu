/*
 * softmax_rows - row softmax, one warp per row (the form used for attention
 * scores and classifier outputs with rows of ~1K): each lane holds 32 of
 * the row's 1024 values in registers (float4 loads), the row maximum and
 * the sum of exponentials come from butterfly reductions with
 * __shfl_xor_sync, so every lane ends with both. Warps stride over the rows
 * (a loop around the shuffles: a yield there must leave the warp in step).
 *
 * Each launch adds the softmax to an accumulator, acc += softmax(x) (as a
 * sum over heads or samples would): not idempotent, so a row processed twice
 * or not at all after a resume is off by 1/kLaunches of its value, far
 * outside the tolerance. fp32 with expf: deterministic, so runs agree
 * bitwise (checksum). The check computes softmax in double and compares
 * acc with kLaunches * softmax(x): relative L2 within 3e-5, and every element
 * within 1e-4 relative. (Adding the same value kLaunches times in fp32
 * rounds the same way within each binade of the sum: up to 1.5e-5 relative
 * per element, about 5e-6 on average.)
 *
 *     zoo_softmax_rows [--check] [--time] [--repeat R] ...
 */
#include "zoo_util.h"

static constexpr uint32_t kRows = 1u << 17;
static constexpr uint32_t kCols = 1024;
static constexpr uint32_t kPerLane = kCols / 32 / 4; /* float4 per lane */
static constexpr uint32_t kBlock = 256;              /* 8 warps */
static constexpr uint32_t kGrid = 1024;              /* 16 rows per warp */
static constexpr uint32_t kLaunches = 512;           /* per repeat */
static constexpr double kTolerance = 3e-5;           /* relative L2 */
static constexpr double kElementTolerance = 1e-4;    /* relative, each */
static constexpr unsigned kFullMask = 0xFFFFFFFFu;

static_assert(kCols % 128 == 0, "float4 per lane, whole warps per row");

__global__ void softmax_accumulate(uint32_t rows, const float *__restrict__ x,
                                   float *__restrict__ acc) {
  const uint32_t lane = threadIdx.x % 32;
  const uint32_t warps = gridDim.x * blockDim.x / 32;
  for (uint32_t row = (blockIdx.x * blockDim.x + threadIdx.x) / 32; row < rows;
       row += warps) {
    const float4 *in = (const float4 *)(x + (size_t)row * kCols);
    float4 v[kPerLane];
    float max = -INFINITY;
#pragma unroll
    for (uint32_t j = 0; j < kPerLane; ++j) {
      v[j] = in[lane + 32 * j];
      max = fmaxf(max, fmaxf(fmaxf(v[j].x, v[j].y), fmaxf(v[j].z, v[j].w)));
    }
#pragma unroll
    for (int mask = 16; mask > 0; mask >>= 1)
      max = fmaxf(max, __shfl_xor_sync(kFullMask, max, mask));

    float sum = 0.0f;
#pragma unroll
    for (uint32_t j = 0; j < kPerLane; ++j) {
      v[j].x = expf(v[j].x - max);
      v[j].y = expf(v[j].y - max);
      v[j].z = expf(v[j].z - max);
      v[j].w = expf(v[j].w - max);
      sum += (v[j].x + v[j].y) + (v[j].z + v[j].w);
    }
#pragma unroll
    for (int mask = 16; mask > 0; mask >>= 1)
      sum += __shfl_xor_sync(kFullMask, sum, mask);

    const float inv = 1.0f / sum;
    float4 *out = (float4 *)(acc + (size_t)row * kCols);
#pragma unroll
    for (uint32_t j = 0; j < kPerLane; ++j) {
      float4 a = out[lane + 32 * j];
      a.x += v[j].x * inv;
      a.y += v[j].y * inv;
      a.z += v[j].z * inv;
      a.w += v[j].w * inv;
      out[lane + 32 * j] = a;
    }
  }
}

int main(int argc, char **argv) {
  init_output();
  ZooOptions opt = zoo_parse_options(
      argc, argv, "row softmax, one warp per row, __shfl_xor_sync reductions");
  start_watchdog(opt.timeout_s);

  const size_t elements = (size_t)kRows * kCols;
  std::vector<float> x(elements);
  Xorshift64 rng(0x50F7AA11ull);
  for (float &v : x) {
    const float m = (float)rng.uniform(0.01, 4.0);
    v = (rng.next() & 1) ? m : -m;
  }

  float *d_x = device_alloc<float>(elements);
  float *d_acc = device_alloc<float>(elements);
  cudaStream_t stream = make_be_stream();
  upload(d_x, x, stream);

  RepeatChecksums repeats;
  RepeatTimer timer(opt);
  std::vector<float> acc;
  uint64_t launches = 0;
  double gpu_s = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    CHECK_CUDA(cudaMemsetAsync(d_acc, 0, elements * sizeof(float), stream));
    CHECK_CUDA(cudaStreamSynchronize(stream));
    double t0 = now_us();
    timer.begin(stream);
    for (uint32_t l = 0; l < kLaunches; ++l) {
      softmax_accumulate<<<kGrid, kBlock, 0, stream>>>(kRows, d_x, d_acc);
      CHECK_LAUNCH();
      ++launches;
    }
    timer.end(stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    gpu_s += (now_us() - t0) * 1e-6;
    download(acc, d_acc, elements, stream);
    repeats.add(checksum_of(acc));
  }

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    double t1 = now_us();
    std::vector<ErrorMeasure> parts(kRows);
    std::vector<double> worst_rel(kRows, 0.0);
    parallel_for(kRows, [&](size_t begin, size_t end) {
      std::vector<double> e(kCols);
      for (size_t row = begin; row < end; ++row) {
        const float *xr = &x[row * kCols];
        double max = -INFINITY, sum = 0;
        for (uint32_t c = 0; c < kCols; ++c)
          max = std::max(max, (double)xr[c]);
        for (uint32_t c = 0; c < kCols; ++c)
          sum += e[c] = exp((double)xr[c] - max);
        for (uint32_t c = 0; c < kCols; ++c) {
          const double want = kLaunches * e[c] / sum;
          const float got = acc[row * kCols + c];
          parts[row].add(row * kCols + c, got, want);
          worst_rel[row] = std::max(worst_rel[row], fabs(got - want) / want);
        }
      }
    });
    ErrorMeasure err;
    double worst = 0;
    for (uint32_t row = 0; row < kRows; ++row) {
      err.merge(parts[row]);
      worst = std::max(worst, worst_rel[row]);
    }
    bool ok = err.report("acc", kTolerance);
    printf("check: largest relative error of one element %.3g (tolerance "
           "%.3g), cpu %.3f s\n",
           worst, kElementTolerance, (now_us() - t1) * 1e-6);
    ok = ok && worst <= kElementTolerance;
    failures += !ok;
    verdict = ok ? "ok" : "WRONG";
  }

  printf("softmax_rows: %u rows of %u, %" PRIu64 " launches, gpu %.3f s (%.0f "
         "GB/s), check %s\n",
         kRows, kCols, launches, gpu_s,
         (double)elements * 12 * (double)launches / gpu_s * 1e-9, verdict);
  print_checksum(repeats.last);
  timer.print();

  failures += repeats.failures();
  failures += report_gp_stats(opt, launches);
  CHECK_CUDA(cudaFree(d_x));
  CHECK_CUDA(cudaFree(d_acc));
  CHECK_CUDA(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
