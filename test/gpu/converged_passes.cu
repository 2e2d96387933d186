/*
 * converged_passes - a converged loop inside a uniform loop, under
 * preemption.
 *
 * The inner loop is a grid-stride loop whose trip count differs between the
 * threads of a block (n is not a multiple of the stride), in a kernel with
 * shared memory and __syncthreads: gpreempt converges it, and its threads
 * meet at its exit (pass/ConvergeLoops.cpp) once per pass of the outer
 * loop, many times per logical block. The grid is more than one wave
 * (four of 256-thread blocks on an H100), so a physical block runs several
 * logical blocks and the meeting word goes on from one to the next without
 * a reset; a preempted block saves its threads at the inner loop or at its
 * exit, and shared memory, and the resumed one meets again.
 *
 * Launches alternate between two block shapes: 256 x 1 threads, and
 * 20 x 5 (100 threads: a partial last warp, and threads counted over two
 * dimensions at the meeting). Launch l adds, per block b and pass p, the
 * block's words mixed with p into its shape's out[b % kOut]: integer sums
 * mod 2^64, exact, so a block that counted twice or lost a pass after a
 * resume shows in --check.
 *
 *     converged_passes [--check] [--repeat R] [--min-preemptions N] ...
 */
#include "../zoo/zoo_util.h"

/* Not a multiple of either shape's stride: trip counts differ by one. */
static constexpr uint32_t kN = (1u << 25) + 12345;
static constexpr uint32_t kMaxThreads = 256;
static constexpr uint32_t kShapes = 2;
static const dim3 kBlocks[kShapes] = {dim3(256, 1, 1), dim3(20, 5, 1)};
static constexpr uint32_t kGrid = 4096;
static constexpr uint32_t kPasses = 8;
static constexpr uint32_t kOut = 64;
static constexpr uint32_t kLaunches = 48;
static constexpr uint32_t kMix = 0x9E3779B9u;

__global__ void passes_sum(uint32_t n, uint32_t passes,
                           const uint32_t *__restrict__ words,
                           unsigned long long *__restrict__ out) {
  __shared__ unsigned long long acc[kMaxThreads];
  const uint32_t t = threadIdx.x + blockDim.x * threadIdx.y;
  const uint32_t threads = blockDim.x * blockDim.y;
  acc[t] = 0;
  __syncthreads();
  for (uint32_t p = 0; p < passes; ++p) {
    unsigned long long s = 0;
    for (uint32_t i = blockIdx.x * threads + t; i < n;
         i += threads * gridDim.x)
      s += words[i] ^ (p * kMix);
    acc[t] += s;
  }
  __syncthreads();
  if (t == 0) {
    unsigned long long total = 0;
    for (uint32_t u = 0; u < threads; ++u)
      total += acc[u];
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
  unsigned long long *d_out =
      device_alloc<unsigned long long>(kShapes * kOut);
  cudaStream_t stream = make_be_stream();
  upload(d_words, words, stream);

  RepeatChecksums repeats;
  std::vector<unsigned long long> out;
  uint64_t launches = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    CHECK_CUDA(cudaMemsetAsync(d_out, 0, kShapes * kOut * sizeof(*d_out),
                               stream));
    for (uint32_t l = 0; l < kLaunches; ++l) {
      const uint32_t shape = l % kShapes;
      passes_sum<<<kGrid, kBlocks[shape], 0, stream>>>(
          kN, kPasses, d_words, d_out + shape * kOut);
      CHECK_LAUNCH();
      ++launches;
    }
    CHECK_CUDA(cudaStreamSynchronize(stream));
    download(out, d_out, kShapes * kOut, stream);
    repeats.add(checksum_of(out));
  }

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    /* With T threads per block, word i belongs to block (i % (T x grid)) / T. */
    std::vector<unsigned long long> want(kShapes * kOut, 0);
    for (uint32_t i = 0; i < kN; ++i) {
      unsigned long long s = 0;
      for (uint32_t p = 0; p < kPasses; ++p)
        s += words[i] ^ (p * kMix);
      for (uint32_t shape = 0; shape < kShapes; ++shape) {
        const uint32_t threads = kBlocks[shape].x * kBlocks[shape].y;
        const uint32_t block = (i % (threads * kGrid)) / threads;
        want[shape * kOut + block % kOut] += s * (kLaunches / kShapes);
      }
    }
    uint32_t bad = 0;
    for (uint32_t k = 0; k < kShapes * kOut; ++k)
      if (out[k] != want[k] && bad++ < 5)
        printf("mismatch shape %u out[%u]: gpu %llu cpu %llu\n", k / kOut,
               k % kOut, out[k], want[k]);
    printf("check: %u wrong sums of %u\n", bad, kShapes * kOut);
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
