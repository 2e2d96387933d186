// Resuming into an inner loop goes through the enclosing loops' headers (a
// route key there), so the control flow stays reducible and ptxas compiles
// the clone of a three-deep nest like ordinary code: no spills, no stack
// frame, and a bounded number of extra registers (the dispatch's addresses,
// the save-area address and the carried values' restore phis). Measured when
// this test was written, at -O2 for sm_90: nest3 22 -> 32 registers,
// tiled_nest 32 -> 39; the limit below catches a regression, not today's
// cost (the benchmark harness measures the GPU time).
// tiled_nest's 16-trip inner loop keeps its yield point
// (-gpreempt-short-loop-limit=0): the test is about routes through nests.
// REQUIRES: cuda-toolkit
// RUN: %clang %cuda_flags -O2 --cuda-device-only -S -fpass-plugin=%gpreempt_plugin -mllvm -gpreempt-short-loop-limit=0 -Rpass-missed=gpreempt %s -o %t.ptx 2>&1 | count 0
// RUN: %ptxas -arch=sm_90 -v %t.ptx -o /dev/null 2> %t.log
// RUN: %python %S/Inputs/ptxas_resources.py %t.log --max-extra-registers 24 | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
#include <cstdint>

// Data-dependent trip counts at every level, values carried through all
// three loops.
__global__ void nest3(uint32_t n, uint32_t outer,
                      const uint32_t *__restrict__ row_start,
                      const uint32_t *__restrict__ vals,
                      uint32_t *__restrict__ state) {
  uint32_t e = blockIdx.x * blockDim.x + threadIdx.x;
  if (e >= n)
    return;
  uint32_t s = state[e], acc = 0;
  for (uint32_t t = 0; t < outer; ++t) {
    uint32_t row = s & 1023u;
    for (uint32_t j = row_start[row]; j < row_start[row + 1]; ++j) {
      uint32_t v = vals[j];
      for (uint32_t k = 0; k < (v & 7u); ++k)
        acc = acc * 33u + (v >> k);
      s ^= acc + j;
    }
    s = s * 2654435761u + t;
  }
  state[e] = s ^ acc;
}

// The block-collective kind: tiles through shared memory, an inner loop over
// the tile between two barriers.
__global__ void tiled_nest(int n, const float *a, const float *b, float *c) {
  __shared__ float ta[16][17], tb[16][17];
  int r = blockIdx.y * 16 + threadIdx.y, col = blockIdx.x * 16 + threadIdx.x;
  float sum = 0.f;
  for (int k0 = 0; k0 < n; k0 += 16) {
    ta[threadIdx.y][threadIdx.x] = a[r * n + k0 + threadIdx.x];
    tb[threadIdx.y][threadIdx.x] = b[(k0 + threadIdx.y) * n + col];
    __syncthreads();
    for (int k = 0; k < 16; ++k)
      sum += ta[threadIdx.y][k] * tb[k][threadIdx.x];
    __syncthreads();
  }
  c[r * n + col] = sum;
}

// CHECK-DAG: _Z10tiled_nestiPKfS0_Pf: registers {{[0-9]+}} -> {{[0-9]+}}, spill bytes 0 -> 0, stack 0 -> 0
// CHECK-DAG: _Z5nest3jjPKjS0_Pj: registers {{[0-9]+}} -> {{[0-9]+}}, spill bytes 0 -> 0, stack 0 -> 0
// CHECK-NOT: FAIL

// Both clones exist, the nest with a route through its outer headers.
// PTX: .entry _Z5nest3jjPKjS0_Pj__gp(
// PTX: .entry _Z10tiled_nestiPKfS0_Pf__gp(
