/*
 * launch_paths - every way a program launches a kernel reaches the
 * preemptible variant: <<<>>>, cudaLaunchKernel with the kernel, the
 * cudaLaunchKernel<T> template, and a launch through a function pointer the
 * compiler cannot see through. Built at -O0 (stubs and the template are not
 * inlined) and at -O2 (they are). Each launch adds to a non-idempotent
 * accumulator, so a lost or repeated block shows in the result.
 *   exit 0: all launches preemptible and the result right; 1: wrong; 2: CUDA.
 */
#include <gpreempt.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#define CHECK_CUDA(call)                                                       \
  do {                                                                         \
    cudaError_t err_ = (call);                                                 \
    if (err_ != cudaSuccess) {                                                 \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,       \
                   cudaGetErrorString(err_));                                  \
      std::exit(2);                                                            \
    }                                                                          \
  } while (0)

__global__ void accumulate(int n, int rounds, int *y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  for (int r = 0; r < rounds; ++r)
    y[i] += (i % 7) + r;
}

/* The optimizer must not see which kernel this points to. */
static void (*volatile kernel_pointer)(int, int, int *) = accumulate;

int main() {
  const int n = 1 << 20, rounds = 64, threads = 256;
  const int blocks = (n + threads - 1) / threads;
  int *d_y = nullptr;
  CHECK_CUDA(cudaMalloc(&d_y, n * sizeof(int)));
  std::vector<int> y(n);
  for (int i = 0; i < n; ++i)
    y[i] = i * 3 + 1; /* never zero: an unwritten element shows */
  CHECK_CUDA(cudaMemcpy(d_y, y.data(), n * sizeof(int), cudaMemcpyHostToDevice));

  gp_stats before{}, after{};
  gp_get_stats(&before);

  int n_arg = n, rounds_arg = rounds;
  void *args[] = {&n_arg, &rounds_arg, &d_y};
  accumulate<<<blocks, threads>>>(n, rounds, d_y);
  CHECK_CUDA(cudaGetLastError());
  CHECK_CUDA(cudaLaunchKernel((const void *)accumulate, dim3(blocks),
                              dim3(threads), args, 0, nullptr));
  CHECK_CUDA(cudaLaunchKernel(accumulate, dim3(blocks), dim3(threads), args,
                              0, nullptr));
  CHECK_CUDA(cudaLaunchKernel((const void *)kernel_pointer, dim3(blocks),
                              dim3(threads), args, 0, nullptr));
  CHECK_CUDA(cudaDeviceSynchronize());
  gp_get_stats(&after);

  const int launches = 4;
  CHECK_CUDA(cudaMemcpy(y.data(), d_y, n * sizeof(int), cudaMemcpyDeviceToHost));
  long wrong = 0;
  for (int i = 0; i < n; ++i) {
    int want = i * 3 + 1;
    for (int l = 0; l < launches; ++l)
      for (int r = 0; r < rounds; ++r)
        want += (i % 7) + r;
    wrong += y[i] != want;
  }
  unsigned long long preemptible =
      after.launches_preemptible - before.launches_preemptible;
  std::printf("launch_paths: %d launches, %llu preemptible, %ld wrong elements, "
              "%llu preemptions\n",
              launches, preemptible, wrong,
              (unsigned long long)after.preemptions);
  CHECK_CUDA(cudaFree(d_y));
  return wrong == 0 && preemptible == launches ? 0 : 1;
}
