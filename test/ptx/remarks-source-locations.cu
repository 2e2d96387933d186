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

__global__ void block_sum(float *x) {
  __shared__ float tile[256];
  tile[threadIdx.x] = x[threadIdx.x];
  __syncthreads(); // line 20
  x[threadIdx.x] = tile[255 - threadIdx.x];
}

// CHECK-DAG: remarks-source-locations.cu:{{[0-9]+}}:{{[0-9]+}}: remark: kernel 'relax(int, int, float*)' is preemptible: {{[0-9]+}} yield point(s)
// CHECK-DAG: remarks-source-locations.cu:12:3: remark: kernel 'relax(int, int, float*)': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread
// CHECK-DAG: remarks-source-locations.cu:{{19|20}}:{{[0-9]+}}: remark: kernel 'block_sum(float*)' left unpreemptible [{{shared-memory|barrier}}]
