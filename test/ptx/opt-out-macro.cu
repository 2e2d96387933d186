// GP_NO_PREEMPT from gpreempt.h keeps a kernel exactly as written.
// REQUIRES: cuda-toolkit
// RUN: %clang %cuda_flags -I%include -O2 --cuda-device-only -S -fpass-plugin=%gpreempt_plugin -Rpass-missed=gpreempt %s -o %t.ptx 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: FileCheck %s < %t.ptx
#include <gpreempt.h>

GP_NO_PREEMPT __global__ void latency_critical(int n, float *y) {
  for (int i = threadIdx.x; i < n; i += blockDim.x)
    y[i] *= 2.0f;
}

__global__ void best_effort(int n, float *y) {
  for (int i = threadIdx.x; i < n; i += blockDim.x)
    y[i] *= 2.0f;
}

// REMARK: remark: kernel 'latency_critical(int, float*)' left unpreemptible [opted-out]: it is marked GP_NO_PREEMPT
// CHECK-NOT: .entry _Z16latency_criticaliPf__gp(
// CHECK: .entry _Z11best_effortiPf__gp(
