/*
 * histogram - privatized histogram: each block counts into its own 256 bins
 * in shared memory with shared atomics (cleared, __syncthreads, grid-stride
 * over the data, __syncthreads), then adds its non-zero bins to the global
 * histogram with global atomics.
 *
 * The data are 32-bit words whose four bytes follow different
 * distributions, from uniform to a few hot values that most threads of a
 * warp hit at once (the contended case privatization is for). Launch l
 * counts byte l % 4 into histogram l % 4, adding to what earlier launches
 * counted: the bins end at (launches per byte) x (the byte's CPU histogram),
 * exactly, so a block that counted twice or not at all after a resume
 * shows. Integer counts: deterministic, exact.
 *
 *     zoo_histogram [--check] [--time] [--repeat R] ...
 */
#include "zoo_util.h"

static constexpr uint32_t kN = 1u << 26; /* words, 256 MiB */
static constexpr uint32_t kBins = 256;
static constexpr uint32_t kLanes = 4; /* byte lanes, one histogram each */
static constexpr uint32_t kBlock = 256;
static constexpr uint32_t kGrid = 1024;
static constexpr uint32_t kLaunches = 2048; /* per repeat */

__global__ void histogram_bytes(uint32_t n, uint32_t shift,
                                const uint32_t *__restrict__ words,
                                unsigned long long *__restrict__ bins) {
  __shared__ uint32_t local[kBins];
  for (uint32_t b = threadIdx.x; b < kBins; b += blockDim.x)
    local[b] = 0;
  __syncthreads();
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += blockDim.x * gridDim.x)
    atomicAdd(&local[(words[i] >> shift) & (kBins - 1)], 1u);
  __syncthreads();
  for (uint32_t b = threadIdx.x; b < kBins; b += blockDim.x)
    if (local[b] != 0)
      atomicAdd(&bins[b], (unsigned long long)local[b]);
}

/* Byte lane 0 uniform, 1 triangular (the mean of two), 2 skewed to small
 * values (the least of three), 3 mostly (7 in 8) one of four hot values. */
static uint32_t make_word(Xorshift64 &rng) {
  uint32_t u = rng.u32(), v = rng.u32(), w = rng.u32();
  uint32_t b0 = u & 0xFF;
  uint32_t b1 = (((u >> 8) & 0xFF) + ((v >> 8) & 0xFF)) / 2;
  uint32_t b2 = std::min({(u >> 16) & 0xFF, (v >> 16) & 0xFF, w & 0xFF});
  uint32_t b3 = (w >> 8) & 7 ? 0x10u << ((w >> 12) & 3) : u >> 24;
  return b0 | b1 << 8 | b2 << 16 | b3 << 24;
}

int main(int argc, char **argv) {
  init_output();
  ZooOptions opt = zoo_parse_options(
      argc, argv, "byte histograms with shared-memory then global atomics");
  start_watchdog(opt.timeout_s);

  std::vector<uint32_t> words(kN);
  Xorshift64 rng(0x4157064Dull);
  for (uint32_t &w : words) {
    w = make_word(rng);
    w = w ? w : 1; /* no zero words */
  }

  uint32_t *d_words = device_alloc<uint32_t>(kN);
  unsigned long long *d_bins = device_alloc<unsigned long long>(kLanes * kBins);
  cudaStream_t stream = make_be_stream();
  upload(d_words, words, stream);

  RepeatChecksums repeats;
  RepeatTimer timer(opt);
  std::vector<unsigned long long> bins;
  uint64_t launches = 0;
  double gpu_s = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    CHECK_CUDA(
        cudaMemsetAsync(d_bins, 0, kLanes * kBins * sizeof(*d_bins), stream));
    CHECK_CUDA(cudaStreamSynchronize(stream));
    double t0 = now_us();
    timer.begin(stream);
    for (uint32_t l = 0; l < kLaunches; ++l) {
      const uint32_t lane = l % kLanes;
      histogram_bytes<<<kGrid, kBlock, 0, stream>>>(kN, 8 * lane, d_words,
                                                    d_bins + lane * kBins);
      CHECK_LAUNCH();
      ++launches;
    }
    timer.end(stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    gpu_s += (now_us() - t0) * 1e-6;
    download(bins, d_bins, kLanes * kBins, stream);
    repeats.add(checksum_of(bins));
  }

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    double t1 = now_us();
    std::vector<uint64_t> want(kLanes * kBins, 0);
    for (uint32_t w : words)
      for (uint32_t lane = 0; lane < kLanes; ++lane)
        ++want[lane * kBins + ((w >> (8 * lane)) & 0xFF)];
    uint32_t bad = 0;
    for (uint32_t lane = 0; lane < kLanes; ++lane) {
      const uint64_t per_lane =
          kLaunches / kLanes + (lane < kLaunches % kLanes);
      for (uint32_t b = 0; b < kBins; ++b) {
        const uint64_t expect = want[lane * kBins + b] * per_lane;
        const unsigned long long got = bins[lane * kBins + b];
        if (got != expect && bad++ < 5)
          printf("mismatch byte %u bin %u: gpu %llu cpu %" PRIu64 "\n", lane, b,
                 got, expect);
      }
    }
    printf("check: %u wrong bins of %u, cpu %.3f s\n", bad, kLanes * kBins,
           (now_us() - t1) * 1e-6);
    failures += bad != 0;
    verdict = bad ? "WRONG" : "ok";
  }

  uint64_t counted = 0;
  for (unsigned long long c : bins)
    counted += c;
  printf("histogram: n %u, %" PRIu64 " launches, gpu %.3f s, counted %" PRIu64
         " of %" PRIu64 ", check %s\n",
         kN, launches, gpu_s, counted, (uint64_t)kN * kLaunches, verdict);
  print_checksum(repeats.last);
  timer.print();

  failures += repeats.failures();
  failures += report_gp_stats(opt, launches);
  CHECK_CUDA(cudaFree(d_words));
  CHECK_CUDA(cudaFree(d_bins));
  CHECK_CUDA(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
