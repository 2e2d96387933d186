// -Rpass=gpreempt names each kernel made preemptible and each loop that
// yields, at its source line; -Rpass-missed=gpreempt names each kernel left
// alone, at the line that made it unsafe, with the reason.
// REQUIRES: cuda-toolkit
// RUN: %clang %cuda_flags -O2 --cuda-device-only -S -fpass-plugin=%gpreempt_plugin -Rpass=gpreempt -Rpass-missed=gpreempt %s -o /dev/null 2>&1 | FileCheck %s

__global__ void relax(int n, int sweeps, float *x) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  float v = x[i];
  for (int s = 0; s < sweeps; ++s) // line 12
    v = 0.5f * v + 1.0f;
  x[i] = v;
}

__global__ void block_sum(int n, float *x) {
  __shared__ float tile[256];
  if (threadIdx.x >= n)
    return; // then some threads never reach the barrier on line 22
  tile[threadIdx.x] = x[threadIdx.x];
  __syncthreads();
  x[threadIdx.x] = tile[255 - threadIdx.x];
}

__global__ void block_reverse(float *x) {
  __shared__ float tile[256];
  tile[threadIdx.x] = x[threadIdx.x];
  __syncthreads();
  x[threadIdx.x] = tile[255 - threadIdx.x];
}

// CHECK-DAG: remarks-source-locations.cu:{{[0-9]+}}:{{[0-9]+}}: remark: kernel 'relax(int, int, float*)' is preemptible: {{[0-9]+}} yield point(s)
// CHECK-DAG: remarks-source-locations.cu:12:3: remark: kernel 'relax(int, int, float*)': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread
// CHECK-DAG: remarks-source-locations.cu:22:3: remark: kernel 'block_sum(int, float*)' left unpreemptible [barrier]: it has a barrier that only some threads reach
// Barriers that every thread reaches are fine: the block decides together.
// CHECK-DAG: remark: kernel 'block_reverse(float*)' is preemptible: 0 yield point(s) on loop back-edges and at block entry; at most 4 bytes saved per thread (0 of local memory); decisions per block; 1024 shared bytes saved per block
