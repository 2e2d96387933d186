// -O0 (every local in memory) and -g builds are instrumented too, and stay
// valid for ptxas: locals are saved as local memory.
// REQUIRES: cuda-toolkit
// RUN: %clang %cuda_flags -O0 --cuda-device-only -S -fpass-plugin=%gpreempt_plugin -Rpass=gpreempt %s -o %t0.ptx 2>&1 | FileCheck %s --check-prefix=O0
// RUN: %ptxas -arch=sm_90 %t0.ptx -o /dev/null
// RUN: %clang %cuda_flags -O0 -g --cuda-device-only -S -fpass-plugin=%gpreempt_plugin %s -o %tg0.ptx
// RUN: %ptxas -arch=sm_90 %tg0.ptx -o /dev/null
// RUN: %clang %cuda_flags -O2 -g --cuda-device-only -S -fpass-plugin=%gpreempt_plugin %s -o %tg2.ptx
// RUN: %ptxas -arch=sm_90 %tg2.ptx -o /dev/null
// RUN: FileCheck %s --check-prefix=PTX < %tg2.ptx

__global__ void prefix_rows(int n, int m, const int *in, int *out) {
  int row = blockIdx.x * blockDim.x + threadIdx.x;
  if (row >= n)
    return;
  int acc = 0;
  for (int j = 0; j < m; ++j) {
    acc += in[row * m + j];
    out[row * m + j] = acc;
  }
}

// O0: remark: kernel 'prefix_rows(int, int, int const*, int*)' is preemptible
// O0-SAME: bytes saved per thread ({{[1-9][0-9]*}} of local memory)
// PTX: .visible .entry _Z11prefix_rowsiiPKiPi__gp(
