/*
 * scan - inclusive prefix sum of a large array in three kernels
 * (scan-then-propagate):
 *   scan_segments     each block scans its segment, chunk by chunk: the
 *                     chunk is staged in shared memory (coalesced loads,
 *                     padded against bank conflicts), each thread scans its
 *                     8 consecutive items, a warp scan (__shfl_up_sync)
 *                     and a scan of the warp totals in shared memory give
 *                     each thread its offset, and a running carry links the
 *                     chunks; writes the segment's local scan and its total;
 *   scan_totals       one block: exclusive scan of the segment totals;
 *   add_offsets       adds each segment's offset.
 *
 * Scan k (of `scans`) scans x[i] + k, and add_offsets also accumulates the
 * result into acc: acc[i] += y[i], which must happen exactly once per scan.
 * uint32 arithmetic (mod 2^32), exact. With S the scan of x, the CPU expects
 *     y[i]   = S[i] + (scans - 1) (i + 1)
 *     acc[i] = scans S[i] + (i + 1) scans (scans - 1) / 2.
 * By default 16M elements are scanned 1536 times; --small scans 4M elements
 * 3 times (still several chunks per segment and several rounds of
 * scan_totals), for compute-sanitizer.
 *
 *     zoo_scan [--check] [--small] [--time] [--repeat R] ...
 */
#include "zoo_util.h"

static constexpr uint32_t kBlock = 256;
static constexpr uint32_t kWarps = kBlock / 32;
static constexpr uint32_t kItems = 8; /* consecutive items per thread */
static constexpr uint32_t kChunk = kBlock * kItems;
static constexpr uint32_t kAddGrid = 1024;
static constexpr uint32_t kFullMask = 0xFFFFFFFFu;

/* n elements in `segments` segments (blocks of scan_segments), scanned
 * `scans` times (three launches each). */
struct Workload {
  uint32_t n, segments, scans;
  constexpr uint32_t segment() const { return n / segments; }
};
static constexpr Workload kDefault = {1u << 24, 1024, 1536};
static constexpr Workload kSmall = {1u << 22, 512, 3};

static_assert(kDefault.segment() % kChunk == 0 &&
                  kSmall.segment() % kChunk == 0 &&
                  kDefault.n % kDefault.segments == 0 &&
                  kSmall.n % kSmall.segments == 0,
              "segments are whole chunks");
static_assert(kWarps <= 32, "one warp scans the warp totals");

__device__ __forceinline__ uint32_t warp_inclusive_scan(uint32_t v,
                                                        unsigned lane) {
#pragma unroll
  for (unsigned offset = 1; offset < 32; offset <<= 1) {
    const uint32_t below = __shfl_up_sync(kFullMask, v, offset);
    if (lane >= offset)
      v += below;
  }
  return v;
}

/* One padding word every 32: thread t's items 8t..8t+7 then sit in
 * different banks across the warp. */
__device__ __forceinline__ uint32_t padded(uint32_t i) { return i + i / 32; }

/* Scans x[i] + bias over each segment; writes the local scan to out and the
 * segment's total to totals[blockIdx.x]. blockDim.x == kBlock. */
__global__ void scan_segments(uint32_t segment, uint32_t bias,
                              const uint32_t *__restrict__ in,
                              uint32_t *__restrict__ out,
                              uint32_t *__restrict__ totals) {
  __shared__ uint32_t stage[kChunk + kChunk / 32];
  __shared__ uint32_t warp_totals[kWarps];
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const size_t begin = (size_t)blockIdx.x * segment;

  uint32_t carry = 0; /* sum of the segment's earlier chunks */
  for (uint32_t c0 = 0; c0 < segment; c0 += kChunk) {
    const uint32_t *src = in + begin + c0;
#pragma unroll
    for (uint32_t j = 0; j < kItems; ++j) {
      const uint32_t i = j * kBlock + threadIdx.x;
      stage[padded(i)] = src[i] + bias;
    }
    __syncthreads();

    uint32_t items[kItems], total = 0;
#pragma unroll
    for (uint32_t j = 0; j < kItems; ++j) {
      total += stage[padded(threadIdx.x * kItems + j)];
      items[j] = total;
    }
    const uint32_t inclusive = warp_inclusive_scan(total, lane);
    if (lane == 31)
      warp_totals[warp] = inclusive;
    __syncthreads();
    if (warp == 0) {
      uint32_t w = lane < kWarps ? warp_totals[lane] : 0;
      w = warp_inclusive_scan(w, lane);
      if (lane < kWarps)
        warp_totals[lane] = w;
    }
    __syncthreads();

    const uint32_t offset =
        carry + (warp > 0 ? warp_totals[warp - 1] : 0) + inclusive - total;
#pragma unroll
    for (uint32_t j = 0; j < kItems; ++j)
      stage[padded(threadIdx.x * kItems + j)] = items[j] + offset;
    carry += warp_totals[kWarps - 1];
    __syncthreads();
    /* No barrier after this: each thread reads back exactly the slots it
     * fills in the next chunk's load, and warp_totals is next written after
     * that chunk's first barrier. */
    uint32_t *dst = out + begin + c0;
#pragma unroll
    for (uint32_t j = 0; j < kItems; ++j) {
      const uint32_t i = j * kBlock + threadIdx.x;
      dst[i] = stage[padded(i)];
    }
  }
  if (threadIdx.x == 0)
    totals[blockIdx.x] = carry;
}

/* Exclusive scan of totals[0..count), in place, by one block of kBlock. */
__global__ void scan_totals(uint32_t count, uint32_t *__restrict__ totals) {
  __shared__ uint32_t warp_totals[kWarps];
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  uint32_t carry = 0;
  for (uint32_t base = 0; base < count; base += blockDim.x) {
    const uint32_t i = base + threadIdx.x;
    const uint32_t v = i < count ? totals[i] : 0;
    const uint32_t inclusive = warp_inclusive_scan(v, lane);
    if (lane == 31)
      warp_totals[warp] = inclusive;
    __syncthreads();
    if (warp == 0) {
      uint32_t w = lane < kWarps ? warp_totals[lane] : 0;
      w = warp_inclusive_scan(w, lane);
      if (lane < kWarps)
        warp_totals[lane] = w;
    }
    __syncthreads();
    if (i < count)
      totals[i] =
          carry + (warp > 0 ? warp_totals[warp - 1] : 0) + inclusive - v;
    carry += warp_totals[kWarps - 1];
    __syncthreads(); /* the next round overwrites warp_totals */
  }
}

/* y = local scan + segment offset, in place; acc += y. */
__global__ void add_offsets(uint32_t n, uint32_t segment,
                            const uint32_t *__restrict__ offsets,
                            uint32_t *__restrict__ y,
                            uint32_t *__restrict__ acc) {
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += blockDim.x * gridDim.x) {
    const uint32_t v = y[i] + offsets[i / segment];
    y[i] = v;
    acc[i] += v;
  }
}

int main(int argc, char **argv) {
  init_output();
  ZooOptions opt = zoo_parse_options(
      argc, argv, "three-kernel inclusive prefix scan with warp shuffles",
      kZooSmallAndTime);
  start_watchdog(opt.timeout_s);
  const Workload w = opt.small ? kSmall : kDefault;

  std::vector<uint32_t> x(w.n);
  Xorshift64 rng(0x5CA11EDull);
  for (uint32_t &v : x)
    v = rng.u32() | 1; /* odd: never zero */

  uint32_t *d_x = device_alloc<uint32_t>(w.n);
  uint32_t *d_y = device_alloc<uint32_t>(w.n);
  uint32_t *d_acc = device_alloc<uint32_t>(w.n);
  uint32_t *d_totals = device_alloc<uint32_t>(w.segments);
  cudaStream_t stream = make_be_stream();
  upload(d_x, x, stream);

  RepeatChecksums repeats;
  RepeatTimer timer(opt);
  std::vector<uint32_t> y, acc;
  uint64_t launches = 0;
  double gpu_s = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    poison_device(d_y, w.n, stream);
    poison_device(d_totals, w.segments, stream);
    CHECK_CUDA(cudaMemsetAsync(d_acc, 0, w.n * sizeof(uint32_t), stream));
    CHECK_CUDA(cudaStreamSynchronize(stream));
    double t0 = now_us();
    timer.begin(stream);
    for (uint32_t k = 0; k < w.scans; ++k) {
      scan_segments<<<w.segments, kBlock, 0, stream>>>(w.segment(), k, d_x, d_y,
                                                       d_totals);
      CHECK_LAUNCH();
      scan_totals<<<1, kBlock, 0, stream>>>(w.segments, d_totals);
      CHECK_LAUNCH();
      add_offsets<<<kAddGrid, kBlock, 0, stream>>>(w.n, w.segment(), d_totals,
                                                   d_y, d_acc);
      CHECK_LAUNCH();
      launches += 3;
    }
    timer.end(stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    gpu_s += (now_us() - t0) * 1e-6;
    download(y, d_y, w.n, stream);
    download(acc, d_acc, w.n, stream);
    repeats.add(checksum_of(acc, checksum_of(y)));
  }

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    double t1 = now_us();
    const uint32_t last_bias = w.scans - 1;
    const uint32_t bias_sum = w.scans * (w.scans - 1) / 2;
    uint32_t s = 0;
    uint64_t bad_y = 0, bad_acc = 0;
    for (uint32_t i = 0; i < w.n; ++i) {
      s += x[i];
      const uint32_t want_y = s + last_bias * (i + 1);
      const uint32_t want_acc = w.scans * s + bias_sum * (i + 1);
      if (y[i] != want_y && bad_y++ < 5)
        printf("mismatch y[%u]: gpu %u cpu %u\n", i, y[i], want_y);
      if (acc[i] != want_acc && bad_acc++ < 5)
        printf("mismatch acc[%u]: gpu %u cpu %u\n", i, acc[i], want_acc);
    }
    printf("check: %" PRIu64 " wrong y, %" PRIu64 " wrong acc of %u, cpu %.3f "
           "s\n",
           bad_y, bad_acc, w.n, (now_us() - t1) * 1e-6);
    failures += bad_y || bad_acc;
    verdict = bad_y || bad_acc ? "WRONG" : "ok";
  }

  printf("scan: n %u, %u scans, %" PRIu64 " launches, gpu %.3f s (%.1f "
         "Gelem/s), check %s\n",
         w.n, w.scans, launches, gpu_s,
         (double)w.n * w.scans * opt.repeat / gpu_s * 1e-9, verdict);
  print_checksum(repeats.last);
  timer.print();

  failures += repeats.failures();
  failures += report_gp_stats(opt, launches);
  CHECK_CUDA(cudaFree(d_x));
  CHECK_CUDA(cudaFree(d_y));
  CHECK_CUDA(cudaFree(d_acc));
  CHECK_CUDA(cudaFree(d_totals));
  CHECK_CUDA(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
