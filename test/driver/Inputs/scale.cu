// The smallest CUDA program that gpreempt-cc compiles: includes the public
// header (found through gpreempt-cc's -I) and has a kernel with a loop.
#include <gpreempt.h>

__global__ void scale(float *x, float a, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
    x[i] *= a;
}

void launch_scale(float *x, float a, int n) { scale<<<4, 128>>>(x, a, n); }
