/*
 * jacobi2d - Jacobi iteration for a 2-D Poisson problem, 5-point stencil,
 * one launch per sweep with ping-pong buffers:
 *     u'(x,y) = (u(x-1,y) + u(x+1,y) + u(x,y-1) + u(x,y+1) + f(x,y)) / 4
 * on the interior; the boundary keeps its (Dirichlet) values.
 *
 * A batch of kProblems independent 512x512 grids (blockIdx.z), each block
 * marching down a 32x128 strip of its grid in 32x8 tiles: per tile, the
 * threads stage the tile plus its one-cell halo in shared memory,
 * __syncthreads, compute from shared memory, and __syncthreads again
 * before the next tile overwrites it. The strip is 16 tiles, a short loop
 * for gpreempt (docs/design.md): blocks yield between strips, not between
 * tiles; sgemm_tiled, nbody and scan yield between their barriers.
 *
 * fp32 on the GPU: deterministic, so runs agree bitwise (checksum). The check
 * runs the first and the last grid of the batch through all sweeps in
 * double on the CPU and compares within a relative L2 tolerance; every value
 * of every grid must be finite (poison is NaN).
 *
 *     zoo_jacobi2d [--check] [--time] [--repeat R] ...
 */
#include "zoo_util.h"

static constexpr int kSide = 512;     /* points per side, boundary included */
static constexpr int kProblems = 128; /* independent grids */
static constexpr int kSweeps = 1000;  /* launches per repeat */
static constexpr int kTileX = 32, kTileY = 8; /* = blockDim */
static constexpr int kStrip = 128;            /* rows per block */
static constexpr double kTolerance = 1e-5;    /* relative L2, fp32 vs double */

static_assert(kSide % kTileX == 0 && kSide % kStrip == 0 &&
                  kStrip % kTileY == 0,
              "no edge handling: the grid is a whole number of tiles");
static_assert(kSweeps % 2 == 0, "the result ends in the first buffer");

__global__ void jacobi_sweep(int side, const float *__restrict__ in,
                             const float *__restrict__ source,
                             float *__restrict__ out) {
  __shared__ float tile[kTileY + 2][kTileX + 2];
  const size_t plane = (size_t)blockIdx.z * side * side;
  const float *u = in + plane, *f = source + plane;
  float *v = out + plane;
  const int x = blockIdx.x * kTileX + threadIdx.x;
  const int tx = threadIdx.x + 1, ty = threadIdx.y + 1;

  for (int y0 = blockIdx.y * kStrip; y0 < (int)(blockIdx.y + 1) * kStrip;
       y0 += kTileY) {
    const int y = y0 + threadIdx.y;
    tile[ty][tx] = u[y * side + x];
    /* Halo: edge threads load the neighbouring row or column (none beyond
     * the grid: boundary points do not use their neighbours). */
    if (threadIdx.y == 0 && y > 0)
      tile[0][tx] = u[(y - 1) * side + x];
    if (threadIdx.y == kTileY - 1 && y + 1 < side)
      tile[kTileY + 1][tx] = u[(y + 1) * side + x];
    if (threadIdx.x == 0 && x > 0)
      tile[ty][0] = u[y * side + x - 1];
    if (threadIdx.x == kTileX - 1 && x + 1 < side)
      tile[ty][kTileX + 1] = u[y * side + x + 1];
    __syncthreads();

    float result = tile[ty][tx];
    if (x > 0 && y > 0 && x < side - 1 && y < side - 1)
      result = 0.25f * (tile[ty - 1][tx] + tile[ty + 1][tx] + tile[ty][tx - 1] +
                        tile[ty][tx + 1] + f[y * side + x]);
    v[y * side + x] = result;
    __syncthreads(); /* the next tile overwrites this one */
  }
}

/* kSweeps sweeps of grid `problem` in double; returns the final grid. */
static std::vector<double> reference_grid(const std::vector<float> &u0,
                                          const std::vector<float> &f,
                                          int problem) {
  const size_t plane = (size_t)problem * kSide * kSide;
  std::vector<double> u(u0.begin() + plane, u0.begin() + plane + kSide * kSide);
  std::vector<double> src(f.begin() + plane, f.begin() + plane + kSide * kSide);
  std::vector<double> next = u; /* the boundary stays as it is */
  for (int s = 0; s < kSweeps; ++s) {
    for (int y = 1; y < kSide - 1; ++y) {
      const double *up = &u[(y - 1) * kSide], *mid = &u[y * kSide],
                   *down = &u[(y + 1) * kSide], *fr = &src[y * kSide];
      double *out = &next[y * kSide];
      for (int x = 1; x < kSide - 1; ++x)
        out[x] = 0.25 * (up[x] + down[x] + mid[x - 1] + mid[x + 1] + fr[x]);
    }
    u.swap(next);
  }
  return u;
}

int main(int argc, char **argv) {
  init_output();
  ZooOptions opt = zoo_parse_options(
      argc, argv, "batched 2-D Jacobi sweeps, shared-memory tiles with halos");
  start_watchdog(opt.timeout_s);

  const size_t cells = (size_t)kProblems * kSide * kSide;
  std::vector<float> u0(cells), f(cells);
  Xorshift64 rng(0x7AC0B12Dull);
  for (size_t i = 0; i < cells; ++i) {
    const int x = (int)(i % kSide), y = (int)(i / kSide % kSide);
    const bool boundary = x == 0 || y == 0 || x == kSide - 1 || y == kSide - 1;
    u0[i] =
        boundary ? (float)rng.uniform(1.0, 2.0) : (float)rng.uniform(0.5, 1.5);
    const float s = (float)rng.uniform(0.001, 0.01);
    f[i] = (rng.next() & 1) ? s : -s;
  }

  float *d_u = device_alloc<float>(cells);
  float *d_next = device_alloc<float>(cells);
  float *d_f = device_alloc<float>(cells);
  cudaStream_t stream = make_be_stream();
  upload(d_f, f, stream);

  const dim3 block(kTileX, kTileY);
  const dim3 grid(kSide / kTileX, kSide / kStrip, kProblems);
  RepeatChecksums repeats;
  RepeatTimer timer(opt);
  std::vector<float> u;
  uint64_t launches = 0;
  double gpu_s = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    upload(d_u, u0, stream);
    poison_device(d_next, cells, stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    double t0 = now_us();
    timer.begin(stream);
    for (int s = 0; s < kSweeps; ++s) {
      jacobi_sweep<<<grid, block, 0, stream>>>(kSide, s % 2 ? d_next : d_u, d_f,
                                               s % 2 ? d_u : d_next);
      CHECK_LAUNCH();
      ++launches;
    }
    timer.end(stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    gpu_s += (now_us() - t0) * 1e-6;
    download(u, d_u, cells, stream);
    repeats.add(checksum_of(u));
  }

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    double t1 = now_us();
    const int checked[2] = {0, kProblems - 1};
    std::vector<double> want[2];
    parallel_items(2, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i)
        want[i] = reference_grid(u0, f, checked[i]);
    });
    ErrorMeasure err;
    for (int i = 0; i < 2; ++i) {
      const size_t plane = (size_t)checked[i] * kSide * kSide;
      for (size_t j = 0; j < (size_t)kSide * kSide; ++j)
        err.add(plane + j, u[plane + j], want[i][j]);
    }
    bool ok = err.report("grids 0 and last", kTolerance);
    size_t nonfinite = 0;
    for (float v : u)
      nonfinite += !std::isfinite(v);
    if (nonfinite)
      printf("check: %zu values are not finite (poison)\n", nonfinite);
    ok = ok && nonfinite == 0;
    printf("check: cpu %.3f s\n", (now_us() - t1) * 1e-6);
    failures += !ok;
    verdict = ok ? "ok" : "WRONG";
  }

  printf("jacobi2d: %d grids of %dx%d, %" PRIu64 " launches, gpu %.3f s "
         "(%.1f Gcell/s), check %s\n",
         kProblems, kSide, kSide, launches, gpu_s,
         (double)cells * (double)launches / gpu_s * 1e-9, verdict);
  print_checksum(repeats.last);
  timer.print();

  failures += repeats.failures();
  failures += report_gp_stats(opt, launches);
  CHECK_CUDA(cudaFree(d_u));
  CHECK_CUDA(cudaFree(d_next));
  CHECK_CUDA(cudaFree(d_f));
  CHECK_CUDA(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
