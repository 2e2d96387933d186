/*
 * saxpy_accumulate - the simplest kernel that must not run anything twice.
 *
 * y[i] += a * x[i], many passes inside each launch and many launches, plus
 * one atomicAdd per element processed into a sharded counter. If preemption
 * ever re-ran an iteration after a resume, or skipped one, y and the counters
 * would show it: the counters must come out at exactly n * passes, and y
 * bitwise equal to the CPU's result.
 *
 * The floats hold small integers (every sum stays below 2^24), so float
 * arithmetic is exact and the CPU reference is a closed form:
 *     y_final[i] = y0[i] + passes_total * a * x[i].
 *
 *     saxpy_accumulate [--check] [--min-preemptions N] [--repeat R] ...
 */
#include "sample_util.h"

static constexpr uint32_t kN = 1u << 24; /* elements */
static constexpr uint32_t kCounterShards = 1u << 16;
static constexpr uint32_t kBlock = 256;
static constexpr uint32_t kGrid = 1024; /* grid-stride loop */
static constexpr uint32_t kPassesPerLaunch = 32;
static constexpr uint32_t kLaunches = 96; /* per repeat */
static constexpr float kA = 3.0f;
static constexpr uint32_t kMaxX = 8, kMaxY0 = 64;

/* Non-idempotent on purpose: every pass adds to y and counts itself. */
__global__ void saxpy_accumulate(uint32_t n, uint32_t passes, float a,
                                 const float *__restrict__ x,
                                 float *__restrict__ y,
                                 uint32_t *__restrict__ counters,
                                 uint32_t shard_mask) {
  const uint32_t stride = blockDim.x * gridDim.x;
  for (uint32_t p = 0; p < passes; ++p) {
    for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += stride) {
      y[i] += a * x[i];
      atomicAdd(&counters[i & shard_mask], 1u);
    }
  }
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

  const uint64_t passes_total =
      (uint64_t)kPassesPerLaunch * kLaunches * opt.repeat;
  /* Keep every value an exact float integer and every counter in 32 bits. */
  if ((double)kMaxY0 + (double)passes_total * kA * kMaxX >= 16777216.0 ||
      (uint64_t)(kN / kCounterShards + 1) * passes_total > 0xFFFFFFFFull) {
    fprintf(stderr, "--repeat %u is too large for exact arithmetic\n",
            opt.repeat);
    return 2;
  }

  /* Inputs: small positive integers, never zero. */
  std::vector<float> x(kN), y0(kN);
  Xorshift64 rng(0x5A5A1234ull);
  for (uint32_t i = 0; i < kN; ++i) {
    x[i] = (float)rng.range(1, kMaxX);
    y0[i] = (float)rng.range(1, kMaxY0);
  }

  float *d_x, *d_y;
  uint32_t *d_counters;
  CHECK_CUDA(cudaMalloc(&d_x, kN * sizeof(float)));
  CHECK_CUDA(cudaMalloc(&d_y, kN * sizeof(float)));
  CHECK_CUDA(cudaMalloc(&d_counters, kCounterShards * sizeof(uint32_t)));
  cudaStream_t stream = make_be_stream();
  CHECK_CUDA(cudaMemcpyAsync(d_x, x.data(), kN * sizeof(float),
                             cudaMemcpyHostToDevice, stream));
  CHECK_CUDA(cudaMemcpyAsync(d_y, y0.data(), kN * sizeof(float),
                             cudaMemcpyHostToDevice, stream));
  CHECK_CUDA(cudaMemsetAsync(d_counters, 0, kCounterShards * sizeof(uint32_t),
                             stream));
  CHECK_CUDA(cudaStreamSynchronize(stream));

  double t0 = now_us();
  uint64_t launches = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    for (uint32_t l = 0; l < kLaunches; ++l) {
      saxpy_accumulate<<<kGrid, kBlock, 0, stream>>>(
          kN, kPassesPerLaunch, kA, d_x, d_y, d_counters, kCounterShards - 1);
      CHECK_LAUNCH();
      ++launches;
    }
  }
  CHECK_CUDA(cudaStreamSynchronize(stream));
  double gpu_s = (now_us() - t0) * 1e-6;

  /* Results into poisoned buffers: a copy that did not happen shows. */
  std::vector<float> y(kN);
  std::vector<uint32_t> counters(kCounterShards);
  memset(y.data(), 0xA5, kN * sizeof(float));
  memset(counters.data(), 0xA5, kCounterShards * sizeof(uint32_t));
  CHECK_CUDA(cudaMemcpyAsync(y.data(), d_y, kN * sizeof(float),
                             cudaMemcpyDeviceToHost, stream));
  CHECK_CUDA(cudaMemcpyAsync(counters.data(), d_counters,
                             kCounterShards * sizeof(uint32_t),
                             cudaMemcpyDeviceToHost, stream));
  CHECK_CUDA(cudaStreamSynchronize(stream));

  uint64_t processed = 0;
  for (uint32_t c : counters)
    processed += c;
  const uint64_t expected_processed = (uint64_t)kN * passes_total;

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    double t1 = now_us();
    uint64_t bad_y = 0, bad_counters = 0;
    for (uint32_t i = 0; i < kN; ++i) {
      float want = (float)((uint64_t)y0[i] +
                           passes_total * (uint64_t)kA * (uint64_t)x[i]);
      if (memcmp(&want, &y[i], sizeof want) != 0 && bad_y++ < 5)
        printf("mismatch y[%u]: gpu %.1f cpu %.1f\n", i, (double)y[i],
               (double)want);
    }
    for (uint32_t s = 0; s < kCounterShards; ++s) {
      uint64_t want =
          ((uint64_t)(kN / kCounterShards) + (s < kN % kCounterShards)) *
          passes_total;
      if (counters[s] != want && bad_counters++ < 5)
        printf("mismatch counter[%u]: gpu %u cpu %" PRIu64 "\n", s, counters[s],
               want);
    }
    if (processed != expected_processed)
      ++bad_counters;
    printf("check: %" PRIu64 " wrong elements, %" PRIu64
           " wrong counters, cpu %.3f s\n",
           bad_y, bad_counters, (now_us() - t1) * 1e-6);
    failures += bad_y || bad_counters;
    verdict = failures ? "WRONG" : "ok";
  }

  printf("saxpy_accumulate: n %u, %" PRIu64
         " launches x %u passes, gpu %.3f s, "
         "processed %" PRIu64 " of %" PRIu64 ", check %s\n",
         kN, launches, kPassesPerLaunch, gpu_s, processed, expected_processed,
         verdict);
  uint64_t sum = fnv1a64(y.data(), kN * sizeof(float));
  sum = fnv1a64(counters.data(), kCounterShards * sizeof(uint32_t), sum);
  printf("checksum %016" PRIx64 "\n", sum);

  failures += report_gp_stats(opt, launches);

  CHECK_CUDA(cudaFree(d_x));
  CHECK_CUDA(cudaFree(d_y));
  CHECK_CUDA(cudaFree(d_counters));
  CHECK_CUDA(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
