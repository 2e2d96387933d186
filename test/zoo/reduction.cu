/*
 * reduction - the two-pass parallel sum: grid-stride accumulation per
 * thread, a warp sum with __shfl_down_sync, warp sums through shared memory
 * and __syncthreads to one partial per block; then a second kernel, one
 * block, reduces the partials the same way. The warp sums live in dynamic
 * shared memory (extern __shared__, sized at launch from the block size),
 * the classic form for a block size chosen at run time.
 *
 * Each of the reductions sums a transformed view of the same data,
 * x[i] ^ mask (a transform-reduce; a different mask each time, so every
 * reduction has its own result and reads all the data again). Integers with
 * 64-bit sums: the result is exact whatever the order, and the CPU gets all
 * expected sums from two 1024-bin histograms of x's low and high
 * 10 bits, in one pass over the data:
 *     sum_i (x_i ^ m) = sum_v lo_count[v] (v ^ m_lo)
 *                       + 1024 sum_v hi_count[v] (v ^ m_hi).
 *
 * By default 256 MiB are summed 2048 times; --small sums 1 MiB 4 times,
 * for compute-sanitizer (racecheck took over 40 s on the 4 MiB one).
 *
 *     zoo_reduction [--check] [--small] [--time] [--repeat R] ...
 */
#include "zoo_util.h"

static constexpr uint32_t kValueBits = 20; /* x in [1, 2^20) */
static constexpr uint32_t kBlock = 256;
static constexpr uint32_t kGrid = 1024; /* partials per reduction */
static constexpr uint32_t kFinalBlock = 1024;
static constexpr uint32_t kFullMask = 0xFFFFFFFFu;

/* n elements, summed `reductions` times (two launches each). */
struct Workload {
  uint32_t n, reductions;
};
static constexpr Workload kDefault = {1u << 26, 2048};
static constexpr Workload kSmall = {1u << 18, 4};

/* The dynamic shared memory a launch of `block` threads needs: one sum per
 * warp. */
static size_t warp_sums_bytes(uint32_t block) {
  return block / 32 * sizeof(unsigned long long);
}

__device__ __forceinline__ unsigned long long warp_sum(unsigned long long v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1)
    v += __shfl_down_sync(kFullMask, v, offset);
  return v;
}

/* The block's sum, valid in thread 0. One call per kernel: the shared array
 * is not reused, so no barrier is needed after it. The launch provides
 * warp_sums_bytes(blockDim.x) bytes of dynamic shared memory. */
__device__ __forceinline__ unsigned long long block_sum(unsigned long long v) {
  extern __shared__ unsigned long long warp_sums[];
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = warp_sum(v);
  if (lane == 0)
    warp_sums[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < blockDim.x / 32 ? warp_sums[lane] : 0;
    v = warp_sum(v);
  }
  return v;
}

__global__ void reduce_xor_partials(uint32_t n, uint32_t mask,
                                    const uint32_t *__restrict__ x,
                                    unsigned long long *__restrict__ partials) {
  unsigned long long sum = 0;
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += blockDim.x * gridDim.x)
    sum += x[i] ^ mask;
  sum = block_sum(sum);
  if (threadIdx.x == 0)
    partials[blockIdx.x] = sum;
}

__global__ void reduce_final(uint32_t count,
                             const unsigned long long *__restrict__ partials,
                             unsigned long long *__restrict__ out) {
  unsigned long long sum = 0;
  for (uint32_t i = threadIdx.x; i < count; i += blockDim.x)
    sum += partials[i];
  sum = block_sum(sum);
  if (threadIdx.x == 0)
    *out = sum;
}

static uint32_t mask_of(uint32_t reduction) {
  return hash32(reduction + 1) & ((1u << kValueBits) - 1);
}

int main(int argc, char **argv) {
  init_output();
  ZooOptions opt =
      zoo_parse_options(argc, argv, "two-pass sum reduction with warp shuffles",
                        kZooSmallAndTime);
  start_watchdog(opt.timeout_s);
  const Workload w = opt.small ? kSmall : kDefault;

  std::vector<uint32_t> x(w.n);
  Xorshift64 rng(0x2EDC7105ull);
  for (uint32_t &v : x)
    v = rng.range(1, (1u << kValueBits) - 1);

  uint32_t *d_x = device_alloc<uint32_t>(w.n);
  unsigned long long *d_partials = device_alloc<unsigned long long>(kGrid);
  unsigned long long *d_sums = device_alloc<unsigned long long>(w.reductions);
  cudaStream_t stream = make_be_stream();
  upload(d_x, x, stream);

  RepeatChecksums repeats;
  RepeatTimer timer(opt);
  std::vector<unsigned long long> sums;
  uint64_t launches = 0;
  double gpu_s = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    poison_device(d_partials, kGrid, stream);
    poison_device(d_sums, w.reductions, stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    double t0 = now_us();
    timer.begin(stream);
    for (uint32_t k = 0; k < w.reductions; ++k) {
      reduce_xor_partials<<<kGrid, kBlock, warp_sums_bytes(kBlock), stream>>>(
          w.n, mask_of(k), d_x, d_partials);
      CHECK_LAUNCH();
      reduce_final<<<1, kFinalBlock, warp_sums_bytes(kFinalBlock), stream>>>(
          kGrid, d_partials, d_sums + k);
      CHECK_LAUNCH();
      launches += 2;
    }
    timer.end(stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    gpu_s += (now_us() - t0) * 1e-6;
    download(sums, d_sums, w.reductions, stream);
    repeats.add(checksum_of(sums));
  }

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    double t1 = now_us();
    std::vector<uint64_t> lo(1024, 0), hi(1024, 0);
    for (uint32_t v : x) {
      ++lo[v & 1023];
      ++hi[v >> 10];
    }
    uint32_t bad = 0;
    for (uint32_t k = 0; k < w.reductions; ++k) {
      const uint32_t m = mask_of(k);
      uint64_t want = 0;
      for (uint32_t v = 0; v < 1024; ++v)
        want += lo[v] * (v ^ (m & 1023)) + 1024 * hi[v] * (v ^ (m >> 10));
      if (sums[k] != want && bad++ < 5)
        printf("mismatch sum %u (mask %#x): gpu %llu cpu %" PRIu64 "\n", k, m,
               sums[k], want);
    }
    printf("check: %u wrong sums of %u, cpu %.3f s\n", bad, w.reductions,
           (now_us() - t1) * 1e-6);
    failures += bad != 0;
    verdict = bad ? "WRONG" : "ok";
  }

  printf("reduction: n %u, %u reductions, %" PRIu64 " launches, gpu %.3f s "
         "(%.0f GB/s), check %s\n",
         w.n, w.reductions, launches, gpu_s,
         (double)w.n * 4 * w.reductions * opt.repeat / gpu_s * 1e-9, verdict);
  print_checksum(repeats.last);
  timer.print();

  failures += repeats.failures();
  failures += report_gp_stats(opt, launches);
  CHECK_CUDA(cudaFree(d_x));
  CHECK_CUDA(cudaFree(d_partials));
  CHECK_CUDA(cudaFree(d_sums));
  CHECK_CUDA(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
