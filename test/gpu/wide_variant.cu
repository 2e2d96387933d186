/*
 * wide_variant - built with -mllvm -gpreempt-wide-variant=64: the runtime
 * launches a kernel's wide form (more registers) only where the whole grid
 * fits on the GPU at its occupancy, and either form computes the same. The
 * kernel is an n-body step (shared-memory tiles, an unrolled inner loop),
 * which ptxas holds at 32 registers in the variant and gives ~60 in the
 * wide form (session 21). A small grid (two blocks an SM at most) must run
 * wide, a grid of 32 blocks per SM must not (at 128 threads and ~60
 * registers only 8 fit). Each launch adds to its outputs (not idempotent),
 * checked against a CPU reference in double.
 *   exit 0: results right; 1: wrong; 2: CUDA error.
 * The .test file checks "launches wide" in GPREEMPT_STATS's summary.
 */
#include "../../samples/sample_util.h"

#include <cmath>
#include <cstdlib>
#include <vector>

static constexpr int kTile = 128; /* = blockDim.x */

/* accel[i] += the softened pull of the first `n` bodies on body i. */
__global__ void pull(int n, const float4 *__restrict__ pos,
                     float4 *__restrict__ accel) {
  __shared__ float4 tile[kTile];
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  const float4 p = pos[i];
  float ax = 0.0f, ay = 0.0f, az = 0.0f;
  for (int base = 0; base < n; base += kTile) {
    tile[threadIdx.x] = pos[base + threadIdx.x];
    __syncthreads();
#pragma unroll 8
    for (int j = 0; j < kTile; ++j) {
      const float4 q = tile[j];
      const float dx = q.x - p.x, dy = q.y - p.y, dz = q.z - p.z;
      const float inv_r = rsqrtf(dx * dx + dy * dy + dz * dz + 1e-4f);
      const float s = q.w * inv_r * inv_r * inv_r;
      ax += dx * s;
      ay += dy * s;
      az += dz * s;
    }
    __syncthreads();
  }
  float4 a = accel[i];
  accel[i] = make_float4(a.x + ax, a.y + ay, a.z + az, a.w + 1.0f);
}

/* Launch `blocks` blocks over `blocks * kTile` bodies, twice (each adds),
 * and compare with the CPU. Returns the number of wrong bodies. */
static long run(int blocks, int n, unsigned seed) {
  const int bodies = blocks * kTile;
  std::vector<float4> pos(bodies), accel(bodies);
  srand(seed);
  for (auto &b : pos)
    b = make_float4(rand() / (float)RAND_MAX, rand() / (float)RAND_MAX,
                    rand() / (float)RAND_MAX, 0.5f + rand() / (float)RAND_MAX);
  for (int i = 0; i < bodies; ++i)
    accel[i] = make_float4(0.25f * i, -1.0f, 2.0f, 3.0f); /* never zero */
  float4 *d_pos = nullptr, *d_accel = nullptr;
  CHECK_CUDA(cudaMalloc(&d_pos, bodies * sizeof(float4)));
  CHECK_CUDA(cudaMalloc(&d_accel, bodies * sizeof(float4)));
  CHECK_CUDA(cudaMemcpy(d_pos, pos.data(), bodies * sizeof(float4),
                        cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemcpy(d_accel, accel.data(), bodies * sizeof(float4),
                        cudaMemcpyHostToDevice));
  for (int l = 0; l < 2; ++l)
    pull<<<blocks, kTile>>>(n, d_pos, d_accel);
  CHECK_LAUNCH();
  std::vector<float4> got(bodies);
  CHECK_CUDA(cudaMemcpy(got.data(), d_accel, bodies * sizeof(float4),
                        cudaMemcpyDeviceToHost));
  CHECK_CUDA(cudaFree(d_pos));
  CHECK_CUDA(cudaFree(d_accel));

  long wrong = 0;
  /* Every 97th body: the CPU sum costs n per body. */
  for (int i = 0; i < bodies; i += 97) {
    double sum[3] = {0, 0, 0}, scale[3] = {0, 0, 0};
    for (int j = 0; j < n; ++j) {
      const double d[3] = {pos[j].x - pos[i].x, pos[j].y - pos[i].y,
                           pos[j].z - pos[i].z};
      double inv_r =
          1.0 / std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2] + 1e-4);
      double s = pos[j].w * inv_r * inv_r * inv_r;
      for (int c = 0; c < 3; ++c) {
        sum[c] += d[c] * s;
        scale[c] += std::fabs(d[c] * s);
      }
    }
    /* fp32 sums of n terms that cancel: the error scales with the terms'
     * magnitudes, not with the sum's. A lost or repeated launch is off by
     * a whole sum (or the count in w by 1). */
    const double start[3] = {0.25 * i, -1.0, 2.0};
    const double have[3] = {got[i].x, got[i].y, got[i].z};
    for (int c = 0; c < 3; ++c)
      if (std::fabs(have[c] - (start[c] + 2 * sum[c])) >
          1e-4 * (2 * scale[c] + std::fabs(start[c])) + 1e-6)
        ++wrong;
    if (got[i].w != 5.0f)
      ++wrong;
  }
  return wrong;
}

int main() {
  int device = 0, sms = 0;
  CHECK_CUDA(cudaGetDevice(&device));
  CHECK_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount,
                                    device));
  /* Two blocks an SM fit at any register count: wide. */
  long small = run(2 * sms, 16 * kTile, 1);
  /* 32 blocks an SM: more than fit at 32 registers, so never all resident
   * wide. A short pull (two tiles) keeps it quick. */
  long large = run(32 * sms, 2 * kTile, 2);
  printf("wide_variant: %d SMs, wrong values: small grid %ld, large "
              "grid %ld\n",
              sms, small, large);
  return small == 0 && large == 0 ? 0 : 1;
}
