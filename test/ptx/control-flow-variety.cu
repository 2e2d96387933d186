// Kernels with the control flow real code has: break, continue, early
// return inside loops, a switch in a loop, do-while, a loop that only ends
// by break, three-deep nesting with inner loops in different branches,
// goto, struct and vector values live across loops, printf and atomics in
// loops, doubles. Every one must be made preemptible and the module must be
// valid for the verifier (checked by the pass itself: an invalid variant is
// reported as [internal]) and for ptxas, at -O0, -O1, -O2 and -O3, with -g.
// Every loop keeps a yield point of its own (-gpreempt-short-loop-limit=0):
// the small constant loops here would otherwise be left to the checks
// around them (short-loop-no-yield-point.ll).
// REQUIRES: cuda-toolkit
// RUN: %clang %cuda_flags -O0 -g --cuda-device-only -S -fpass-plugin=%gpreempt_plugin -mllvm -gpreempt-short-loop-limit=0 -Rpass-missed=gpreempt %s -o %t0.ptx 2>&1 | count 0
// RUN: %ptxas -arch=sm_90 %t0.ptx -o /dev/null
// RUN: %clang %cuda_flags -O1 --cuda-device-only -S -fpass-plugin=%gpreempt_plugin -mllvm -gpreempt-short-loop-limit=0 -Rpass-missed=gpreempt %s -o %t1.ptx 2>&1 | count 0
// RUN: %ptxas -arch=sm_90 %t1.ptx -o /dev/null
// RUN: %clang %cuda_flags -O2 -g --cuda-device-only -S -fpass-plugin=%gpreempt_plugin -mllvm -gpreempt-short-loop-limit=0 -Rpass-missed=gpreempt %s -o %t2.ptx 2>&1 | count 0
// RUN: %ptxas -arch=sm_90 %t2.ptx -o /dev/null
// RUN: %clang %cuda_flags -O3 --cuda-device-only -S -fpass-plugin=%gpreempt_plugin -mllvm -gpreempt-short-loop-limit=0 -Rpass-missed=gpreempt %s -o %t3.ptx 2>&1 | count 0
// RUN: %ptxas -arch=sm_90 %t3.ptx -o /dev/null
// RUN: FileCheck %s < %t2.ptx
#include <cstdio>

struct Particle { float x, y, vx, vy; };

__device__ __noinline__ float damp(float v, int k) {
  for (int i = 0; i < k; ++i) // runs to its end: no yield point of its own
    v *= 0.99f;
  return v;
}

__global__ void early_exit(int n, const int *keys, int *found) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  for (int i = t; i < n; i += gridDim.x * blockDim.x) {
    if (keys[i] < 0)
      return;
    if (keys[i] == 0)
      continue;
    if (keys[i] == 42) {
      atomicAdd(found, 1);
      break;
    }
  }
}

__global__ void switch_in_loop(int n, const int *ops, double *acc) {
  int t = threadIdx.x;
  double a = t;
  int i = 0;
  do {
    switch (ops[i % 64]) {
    case 0: a += 1.0; break;
    case 1: a *= 1.5; break;
    case 2: a -= i; break;
    default: a = -a; break;
    }
    ++i;
  } while (i < n);
  acc[t] = a;
}

__global__ void until_break(const int *next, int *hops) {
  int at = threadIdx.x, count = 0;
  while (true) {
    at = next[at];
    if (at < 0 || ++count > 1000)
      break;
  }
  hops[threadIdx.x] = count;
}

__global__ void three_deep(int n, int m, int k, const float *in, float *out) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  float s = 0;
  for (int a = 0; a < n; ++a) {
    if (in[a] > 0) {
      for (int b = 0; b < m; ++b)
        for (int c = 0; c < k; ++c)
          s += in[(a + b + c + t) % 1024];
    } else {
      for (int b = 0; b < m + a; ++b)
        s -= in[(b * 7 + t) % 1024];
    }
  }
  out[t] = s;
}

__global__ void with_goto(int n, int *y) {
  int i = threadIdx.x;
again:
  y[i] += 1;
  i += blockDim.x;
  if (i < n)
    goto again;
}

__global__ void structs_and_vectors(int steps, Particle *ps, float4 *acc) {
  int t = threadIdx.x;
  Particle p = ps[t];
  float4 a = acc[t];
  for (int s = 0; s < steps; ++s) {
    p.x += p.vx;
    p.y += p.vy;
    p.vx = damp(p.vx, 3);
    a.x += p.x; a.y += p.y; a.z += p.vx; a.w += p.vy;
  }
  ps[t] = p;
  acc[t] = a;
}

__global__ void prints(int n) {
  for (int i = 0; i < n; ++i)
    if (i % 1000 == 999)
      printf("thread %d at %d\n", threadIdx.x, i);
}

// CHECK-DAG: .entry _Z10early_exitiPKiPi__gp(
// CHECK-DAG: .entry _Z14switch_in_loopiPKiPd__gp(
// CHECK-DAG: .entry _Z11until_breakPKiPi__gp(
// CHECK-DAG: .entry _Z10three_deepiiiPKfPf__gp(
// CHECK-DAG: .entry _Z9with_gotoiPi__gp(
// CHECK-DAG: .entry _Z19structs_and_vectorsiP8ParticleP6float4__gp(
// CHECK-DAG: .entry _Z6printsi__gp(
