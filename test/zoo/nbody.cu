/*
 * nbody - all-pairs gravitational n-body, the GPU Gems 3 scheme: one thread
 * per body; the block walks over all bodies in tiles of kTile, each tile
 * staged in shared memory by the block (__syncthreads), every thread
 * accumulating the softened accelerations from the tile (__syncthreads
 * again before the next tile). Then a semi-implicit Euler step:
 *     v' = v + a dt,  p' = p + v' dt.
 * One launch per step; every step's positions, velocities and accelerations
 * are kept on the device (the history), so the check can look at each.
 *
 * fp32 on the GPU: deterministic, so runs agree bitwise (checksum of the
 * whole history). A whole trajectory cannot be compared with a double
 * reference (n-body is chaotic: fp32 rounding grows without bound), so the
 * check verifies each step on its own: for kSampled bodies per step it
 * computes, in double, the acceleration and the step from the GPU's state
 * before the step, and compares within relative L2 tolerances.
 *
 *     zoo_nbody [--check] [--time] [--repeat R] ...
 */
#include "zoo_util.h"

static constexpr int kBodies = 32768;
static constexpr int kTile = 128; /* = blockDim.x */
static constexpr int kSteps = 100;
static constexpr float kDt = 1e-3f;
static constexpr float kSoftening2 = 1e-4f;     /* softening length 0.01 */
static constexpr int kSampled = 48;             /* bodies checked per step */
static constexpr double kAccelTolerance = 1e-4; /* relative L2 */
static constexpr double kVelTolerance = 1e-5;
static constexpr double kPosTolerance = 1e-6;

static_assert(kBodies % kTile == 0, "whole tiles");

/* pos: x, y, z, mass; vel: x, y, z, 0; accel: x, y, z, 0. */
__global__ void
nbody_step(int n, float dt, float softening2, const float4 *__restrict__ pos,
           const float4 *__restrict__ vel, float4 *__restrict__ new_pos,
           float4 *__restrict__ new_vel, float4 *__restrict__ accel) {
  __shared__ float4 tile[kTile];
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  const float4 p = pos[i];
  float ax = 0.0f, ay = 0.0f, az = 0.0f;
  for (int base = 0; base < n; base += kTile) {
    tile[threadIdx.x] = pos[base + threadIdx.x];
    __syncthreads();
#pragma unroll 8
    for (int j = 0; j < kTile; ++j) {
      const float4 q = tile[j]; /* broadcast */
      const float dx = q.x - p.x, dy = q.y - p.y, dz = q.z - p.z;
      const float r2 = dx * dx + dy * dy + dz * dz + softening2;
      const float inv_r = rsqrtf(r2);
      const float s = q.w * inv_r * inv_r * inv_r;
      ax += dx * s;
      ay += dy * s;
      az += dz * s;
    }
    __syncthreads(); /* the next tile overwrites this one */
  }
  float4 v = vel[i];
  v.x += ax * dt;
  v.y += ay * dt;
  v.z += az * dt;
  new_vel[i] = v;
  new_pos[i] = make_float4(p.x + v.x * dt, p.y + v.y * dt, p.z + v.z * dt, p.w);
  accel[i] = make_float4(ax, ay, az, 0.0f);
}

struct StepErrors {
  ErrorMeasure accel, vel, pos;
  size_t mass_changed = 0;
  void merge(const StepErrors &o) {
    accel.merge(o.accel);
    vel.merge(o.vel);
    pos.merge(o.pos);
    mass_changed += o.mass_changed;
  }
};

/* Body b's step from the GPU's state `pos`/`vel` in double, compared with
 * the GPU's results. */
static void check_body(const float4 *pos, const float4 *vel,
                       const float4 *new_pos, const float4 *new_vel,
                       const float4 *accel, int b, size_t index,
                       StepErrors &err) {
  const double px = pos[b].x, py = pos[b].y, pz = pos[b].z;
  double ax = 0, ay = 0, az = 0;
  for (int j = 0; j < kBodies; ++j) {
    const double dx = pos[j].x - px, dy = pos[j].y - py, dz = pos[j].z - pz;
    const double r2 = dx * dx + dy * dy + dz * dz + (double)kSoftening2;
    const double s = pos[j].w / (r2 * sqrt(r2));
    ax += dx * s;
    ay += dy * s;
    az += dz * s;
  }
  const double vx = vel[b].x + ax * kDt, vy = vel[b].y + ay * kDt,
               vz = vel[b].z + az * kDt;
  const double want[3][3] = {{ax, ay, az},
                             {vx, vy, vz},
                             {px + vx * kDt, py + vy * kDt, pz + vz * kDt}};
  const float4 got[3] = {accel[b], new_vel[b], new_pos[b]};
  ErrorMeasure *measure[3] = {&err.accel, &err.vel, &err.pos};
  for (int k = 0; k < 3; ++k) {
    measure[k]->add(index, got[k].x, want[k][0]);
    measure[k]->add(index, got[k].y, want[k][1]);
    measure[k]->add(index, got[k].z, want[k][2]);
  }
  err.mass_changed += new_pos[b].w != pos[b].w;
}

int main(int argc, char **argv) {
  init_output();
  ZooOptions opt = zoo_parse_options(
      argc, argv, "all-pairs n-body with shared-memory tiles");
  start_watchdog(opt.timeout_s);

  /* A rotating ball of bodies, total mass 1. */
  std::vector<float4> pos0(kBodies), vel0(kBodies);
  Xorshift64 rng(0x0B0D1E5ull);
  for (int i = 0; i < kBodies; ++i) {
    double x, y, z;
    do {
      x = rng.uniform(-1, 1);
      y = rng.uniform(-1, 1);
      z = rng.uniform(-1, 1);
    } while (x * x + y * y + z * z > 1 || x * x + y * y + z * z < 1e-4);
    const double mass = rng.uniform(0.5, 1.5) / kBodies;
    pos0[i] = make_float4((float)x, (float)y, (float)z, (float)mass);
    vel0[i] = make_float4((float)(-0.5 * y + rng.uniform(-0.1, 0.1)),
                          (float)(0.5 * x + rng.uniform(-0.1, 0.1)),
                          (float)rng.uniform(-0.1, 0.1), 0.0f);
  }

  /* History: state s at [s * kBodies]; accel of step s at [s * kBodies]. */
  const size_t states = (size_t)(kSteps + 1) * kBodies;
  float4 *d_pos = device_alloc<float4>(states);
  float4 *d_vel = device_alloc<float4>(states);
  float4 *d_accel = device_alloc<float4>((size_t)kSteps * kBodies);
  cudaStream_t stream = make_be_stream();

  RepeatChecksums repeats;
  RepeatTimer timer(opt);
  std::vector<float4> pos, vel, accel;
  uint64_t launches = 0;
  double gpu_s = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    poison_device(d_pos, states, stream);
    poison_device(d_vel, states, stream);
    poison_device(d_accel, (size_t)kSteps * kBodies, stream);
    upload(d_pos, pos0, stream);
    upload(d_vel, vel0, stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    double t0 = now_us();
    timer.begin(stream);
    for (int s = 0; s < kSteps; ++s) {
      const size_t at = (size_t)s * kBodies;
      nbody_step<<<kBodies / kTile, kTile, 0, stream>>>(
          kBodies, kDt, kSoftening2, d_pos + at, d_vel + at,
          d_pos + at + kBodies, d_vel + at + kBodies, d_accel + at);
      CHECK_LAUNCH();
      ++launches;
    }
    timer.end(stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    gpu_s += (now_us() - t0) * 1e-6;
    download(pos, d_pos, states, stream);
    download(vel, d_vel, states, stream);
    download(accel, d_accel, (size_t)kSteps * kBodies, stream);
    repeats.add(checksum_of(accel, checksum_of(vel, checksum_of(pos))));
  }

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    double t1 = now_us();
    const size_t samples = (size_t)kSteps * kSampled;
    std::vector<StepErrors> parts(samples);
    parallel_items(samples, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        const int s = (int)(i / kSampled);
        const int b = (int)(hash32((uint32_t)i) % kBodies);
        const size_t at = (size_t)s * kBodies;
        check_body(&pos[at], &vel[at], &pos[at + kBodies], &vel[at + kBodies],
                   &accel[at], b, at + b, parts[i]);
      }
    });
    StepErrors err;
    for (const StepErrors &p : parts)
      err.merge(p);
    bool ok = err.accel.report("accelerations", kAccelTolerance);
    ok = err.vel.report("velocities", kVelTolerance) && ok;
    ok = err.pos.report("positions", kPosTolerance) && ok;
    if (err.mass_changed)
      printf("check: %zu sampled bodies changed mass\n", err.mass_changed);
    ok = ok && err.mass_changed == 0;
    printf("check: %d bodies in each of %d steps, cpu %.3f s\n", kSampled,
           kSteps, (now_us() - t1) * 1e-6);
    failures += !ok;
    verdict = ok ? "ok" : "WRONG";
  }

  printf("nbody: %d bodies, %d steps, %" PRIu64 " launches, gpu %.3f s (%.1f "
         "Ginteractions/s), check %s\n",
         kBodies, kSteps, launches, gpu_s,
         (double)kBodies * kBodies * (double)launches / gpu_s * 1e-9, verdict);
  print_checksum(repeats.last);
  timer.print();

  failures += repeats.failures();
  failures += report_gp_stats(opt, launches);
  CHECK_CUDA(cudaFree(d_pos));
  CHECK_CUDA(cudaFree(d_vel));
  CHECK_CUDA(cudaFree(d_accel));
  CHECK_CUDA(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
