/*
 * tiled_rows_dynamic - a tile in dynamic shared memory that lives across a
 * long loop. Each block loads one row of the state into `extern __shared__`
 * memory (kItems words per thread, sized at launch from the block size),
 * then runs `steps` relaxation steps on the tile in place, all threads in
 * every step (a uniform loop): each thread computes its items' new values
 * from the tile, __syncthreads, writes them back, __syncthreads. The row
 * goes back to global memory only after the last step, so between steps
 * the tile is the only copy of the row's state: a yield at the loop's
 * back-edge must save the dynamic shared memory and the resume must
 * restore it, or the row is lost.
 *
 * A step maps each item and its two neighbours (the row is periodic) and
 * the step's number through an integer hash, in one __host__ __device__
 * function, so the CPU replays rows bitwise: a step run twice or skipped,
 * or a tile restored wrong, changes the row, and the neighbours spread the
 * change along it. The rows carry over from launch to launch (launch l runs
 * steps l*steps .. (l+1)*steps - 1), so every launch builds on the last.
 * The check replays every 128th row (every row of --small) on the CPU
 * through all launches and compares bitwise; the checksum covers all rows.
 *
 * By default 8192 rows of 2048 words take 32 launches of 512 steps; --small
 * (128 rows, 3 launches of 16 steps) is for compute-sanitizer.
 *
 *     zoo_tiled_rows_dynamic [--check] [--small] [--time] [--repeat R] ...
 */
#include "zoo_util.h"

static constexpr uint32_t kBlock = 256;
static constexpr uint32_t kItems = 8; /* words of the row per thread */
static constexpr uint32_t kRowLength = kBlock * kItems;

/* rows of kRowLength words; `launches` launches of `steps` steps each; the
 * CPU replays 1 row in check_stride. */
struct Workload {
  uint32_t rows, steps, launches, check_stride;
};
static constexpr Workload kDefault = {8192, 512, 32, 128};
static constexpr Workload kSmall = {128, 16, 3, 1};

/* The dynamic shared memory a launch of `block` threads needs: its row. */
static size_t tile_bytes(uint32_t block) {
  return (size_t)block * kItems * sizeof(uint32_t);
}

/* The new value of an item from its left and right neighbours. */
__host__ __device__ inline uint32_t relax(uint32_t left, uint32_t self,
                                          uint32_t right, uint32_t step) {
  uint32_t x = self + (left ^ (right >> 3)) + step * 0x9E3779B9u;
  x ^= x >> 15;
  x *= 0x2C1B3C6Du;
  x ^= x >> 12;
  return x;
}

/* Row blockIdx.x of `rows` (kItems * blockDim.x words) through steps
 * first_step .. first_step + steps - 1, in place. The launch provides
 * tile_bytes(blockDim.x) bytes of dynamic shared memory. */
__global__ void relax_rows(uint32_t steps, uint32_t first_step,
                           uint32_t *__restrict__ rows) {
  extern __shared__ uint32_t tile[];
  const uint32_t length = kItems * blockDim.x;
  uint32_t *row = rows + (size_t)blockIdx.x * length;
#pragma unroll
  for (uint32_t j = 0; j < kItems; ++j)
    tile[j * blockDim.x + threadIdx.x] = row[j * blockDim.x + threadIdx.x];
  __syncthreads();

  for (uint32_t s = 0; s < steps; ++s) {
    uint32_t next[kItems];
#pragma unroll
    for (uint32_t j = 0; j < kItems; ++j) {
      const uint32_t i = j * blockDim.x + threadIdx.x;
      next[j] = relax(tile[i == 0 ? length - 1 : i - 1], tile[i],
                      tile[i + 1 == length ? 0 : i + 1], first_step + s);
    }
    __syncthreads(); /* everyone has read the old tile */
#pragma unroll
    for (uint32_t j = 0; j < kItems; ++j)
      tile[j * blockDim.x + threadIdx.x] = next[j];
    __syncthreads(); /* the next step reads the new tile */
  }

#pragma unroll
  for (uint32_t j = 0; j < kItems; ++j)
    row[j * blockDim.x + threadIdx.x] = tile[j * blockDim.x + threadIdx.x];
}

/* What the launches do to one row. */
static void replay_row(const Workload &w, const uint32_t *initial,
                       uint32_t *out) {
  std::vector<uint32_t> cur(initial, initial + kRowLength), next(kRowLength);
  const uint32_t total_steps = w.steps * w.launches;
  for (uint32_t step = 0; step < total_steps; ++step) {
    for (uint32_t i = 0; i < kRowLength; ++i)
      next[i] = relax(cur[i == 0 ? kRowLength - 1 : i - 1], cur[i],
                      cur[i + 1 == kRowLength ? 0 : i + 1], step);
    cur.swap(next);
  }
  std::copy(cur.begin(), cur.end(), out);
}

int main(int argc, char **argv) {
  init_output();
  ZooOptions opt = zoo_parse_options(
      argc, argv, "rows relaxed in dynamic shared memory across a long loop",
      kZooSmallAndTime);
  start_watchdog(opt.timeout_s);
  const Workload w = opt.small ? kSmall : kDefault;

  const size_t words = (size_t)w.rows * kRowLength;
  std::vector<uint32_t> rows0(words);
  Xorshift64 rng(0x711ED0D5ull);
  for (uint32_t &v : rows0)
    v = rng.u32();

  uint32_t *d_rows = device_alloc<uint32_t>(words);
  cudaStream_t stream = make_be_stream();

  RepeatChecksums repeats;
  RepeatTimer timer(opt);
  std::vector<uint32_t> rows;
  uint64_t launches = 0;
  double gpu_s = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    upload(d_rows, rows0, stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    double t0 = now_us();
    timer.begin(stream);
    for (uint32_t l = 0; l < w.launches; ++l) {
      relax_rows<<<w.rows, kBlock, tile_bytes(kBlock), stream>>>(
          w.steps, l * w.steps, d_rows);
      CHECK_LAUNCH();
      ++launches;
    }
    timer.end(stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    gpu_s += (now_us() - t0) * 1e-6;
    download(rows, d_rows, words, stream);
    repeats.add(checksum_of(rows));
  }

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    double t1 = now_us();
    const uint32_t checked = (w.rows + w.check_stride - 1) / w.check_stride;
    std::vector<uint32_t> wrong(checked, 0);
    parallel_items(checked, [&](size_t begin, size_t end) {
      std::vector<uint32_t> want(kRowLength);
      for (size_t c = begin; c < end; ++c) {
        const size_t at = c * w.check_stride * kRowLength;
        replay_row(w, &rows0[at], want.data());
        for (uint32_t i = 0; i < kRowLength; ++i)
          wrong[c] += rows[at + i] != want[i];
      }
    });
    uint64_t bad = 0;
    unsigned shown = 0;
    for (uint32_t c = 0; c < checked; ++c) {
      if (wrong[c] && shown++ < 5)
        printf("mismatch row %u: %u of %u words differ\n", c * w.check_stride,
               wrong[c], kRowLength);
      bad += wrong[c];
    }
    printf("check: %" PRIu64 " wrong words in %u replayed rows of %u, cpu "
           "%.3f s\n",
           bad, checked, w.rows, (now_us() - t1) * 1e-6);
    failures += bad != 0;
    verdict = bad ? "WRONG" : "ok";
  }

  printf("tiled_rows_dynamic: %u rows of %u words, %u steps per launch, "
         "%" PRIu64 " launches, gpu %.3f s (%.1f Gword-steps/s), check %s\n",
         w.rows, kRowLength, w.steps, launches, gpu_s,
         (double)words * w.steps * (double)launches / gpu_s * 1e-9, verdict);
  print_checksum(repeats.last);
  timer.print();

  failures += repeats.failures();
  failures += report_gp_stats(opt, launches);
  CHECK_CUDA(cudaFree(d_rows));
  CHECK_CUDA(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
