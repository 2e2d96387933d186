/*
 * converged_passes - a converged loop inside a uniform loop, under
 * preemption.
 *
 * The inner loop is a grid-stride loop whose trip count differs between the
 * threads of a block (n is not a multiple of the stride), in a kernel with
 * shared memory and __syncthreads: gpreempt converges it, and its threads
 * meet at its exit (pass/ConvergeLoops.cpp) once per pass of the outer
 * loop, many times per logical block. The grid is four waves, so a
 * physical block runs several logical blocks and the meeting word goes on
 * from one to the next without a reset; a preempted block saves its
 * threads at the inner loop or at its exit, and shared memory, and the
 * resumed one meets again.
 *
 * Launch l adds, per block b and pass p, the block's words mixed with p
 * into out[b % kOut]: integer sums mod 2^64, exact, so a block that counted
 * twice or lost a pass after a resume shows in --check.
 *
 *     converged_passes [--check] [--repeat R] [--min-preemptions N] ...
 */
#include "../zoo/zoo_util.h"

static constexpr uint32_t kN = (1u << 25) + 12345; /* not a multiple of the stride */
static constexpr uint32_t kBlock = 256;
static constexpr uint32_t kGrid = 4096;
static constexpr uint32_t kPasses = 8;
static constexpr uint32_t kOut = 64;
static constexpr uint32_t kLaunches = 48;
static constexpr uint32_t kMix = 0x9E3779B9u;

__global__ void passes_sum(uint32_t n, uint32_t passes,
                           const uint32_t *__restrict__ words,
                           unsigned long long *__restrict__ out) {
  __shared__ unsigned long long acc[kBlock];
  acc[threadIdx.x] = 0;
  __syncthreads();
  for (uint32_t p = 0; p < passes; ++p) {
    unsigned long long s = 0;
    for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += blockDim.x * gridDim.x)
      s += words[i] ^ (p * kMix);
    acc[threadIdx.x] += s;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    unsigned long long total = 0;
    for (uint32_t t = 0; t < blockDim.x; ++t)
      total += acc[t];
    atomicAdd(&out[blockIdx.x % kOut], total);
  }
}

int main(int argc, char **argv) {
  init_output();
  ZooOptions opt = zoo_parse_options(
      argc, argv, "grid-stride sums in a loop of passes (a converged loop)");
  start_watchdog(opt.timeout_s);

  std::vector<uint32_t> words(kN);
  Xorshift64 rng(0xC0471E5Dull);
  for (uint32_t &w : words)
    w = rng.u32() | 1; /* never zero */

  uint32_t *d_words = device_alloc<uint32_t>(kN);
  unsigned long long *d_out = device_alloc<unsigned long long>(kOut);
  cudaStream_t stream = make_be_stream();
  upload(d_words, words, stream);

  RepeatChecksums repeats;
  std::vector<unsigned long long> out;
  uint64_t launches = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    CHECK_CUDA(cudaMemsetAsync(d_out, 0, kOut * sizeof(*d_out), stream));
    for (uint32_t l = 0; l < kLaunches; ++l) {
      passes_sum<<<kGrid, kBlock, 0, stream>>>(kN, kPasses, d_words, d_out);
      CHECK_LAUNCH();
      ++launches;
    }
    CHECK_CUDA(cudaStreamSynchronize(stream));
    download(out, d_out, kOut, stream);
    repeats.add(checksum_of(out));
  }

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    /* Word i belongs to block (i % stride) / kBlock. */
    const uint32_t stride = kBlock * kGrid;
    std::vector<unsigned long long> want(kOut, 0);
    for (uint32_t i = 0; i < kN; ++i) {
      const uint32_t block = (i % stride) / kBlock;
      unsigned long long s = 0;
      for (uint32_t p = 0; p < kPasses; ++p)
        s += words[i] ^ (p * kMix);
      want[block % kOut] += s * kLaunches;
    }
    uint32_t bad = 0;
    for (uint32_t k = 0; k < kOut; ++k)
      if (out[k] != want[k] && bad++ < 5)
        printf("mismatch out[%u]: gpu %llu cpu %llu\n", k, out[k], want[k]);
    printf("check: %u wrong sums of %u\n", bad, kOut);
    failures += bad != 0;
    verdict = bad ? "WRONG" : "ok";
  }
  printf("converged_passes: n %u, %u passes, %" PRIu64 " launches, check %s\n",
         kN, kPasses, launches, verdict);
  print_checksum(repeats.last);

  failures += repeats.failures();
  failures += report_gp_stats(opt, launches);
  CHECK_CUDA(cudaFree(d_words));
  CHECK_CUDA(cudaFree(d_out));
  CHECK_CUDA(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
