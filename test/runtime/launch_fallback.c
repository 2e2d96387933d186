/* A launch that gpreempt cannot make preemptible behaves exactly like
 * cudaLaunchKernel: same return code, same cudaGetLastError afterwards, for
 * both entry points. Here the "kernel" is a host function that no module
 * registers, so the plain launch fails: without a driver with
 * cudaErrorInsufficientDriver, with a GPU with cudaErrorInvalidDeviceFunction.
 * Also run with GPREEMPT_DISABLE=1, where gpreempt does not even look. */
#include "check.h"
#include "launch.h" /* the entry points, as the pass calls them */

#include <gpreempt.h>
#include <gpreempt/abi.h>

#include <cuda_runtime_api.h>
#include <unistd.h>

extern cudaError_t CUDARTAPI cudaLaunchKernel_ptsz(const void *func,
                                                   dim3 grid, dim3 block,
                                                   void **args,
                                                   size_t shared_mem,
                                                   cudaStream_t stream);

static void not_a_kernel(int x) { (void)x; }

struct launch_case {
  dim3 grid, block;
  size_t shared_mem;
};

int main(void) {
  alarm(60);
  const void *stub = (const void *)not_a_kernel;
  struct gp_kernel_ref ref = {stub, "_Z12not_a_kerneli", NULL};
  int x = 7;
  void *args[] = {&x};
  const struct launch_case cases[] = {
      {{4, 1, 1}, {32, 1, 1}, 0},
      {{0, 1, 1}, {32, 1, 1}, 0},    /* empty grid */
      {{4, 1, 1}, {4096, 1, 1}, 0},  /* too many threads */
      {{4, 1, 1}, {32, 1, 1}, 1u << 30}, /* too much shared memory */
      {{1u << 31, 1, 1}, {32, 1, 1}, 0}, /* grid too large */
  };
  const int n = (int)(sizeof cases / sizeof cases[0]);

  for (int i = 0; i < n; i++) {
    const struct launch_case *c = &cases[i];
    (void)cudaGetLastError();
    cudaError_t plain = cudaLaunchKernel(stub, c->grid, c->block, args,
                                         c->shared_mem, NULL);
    cudaError_t plain_last = cudaGetLastError();
    cudaError_t ours = __gpreempt_launch_kernel(&ref, stub, c->grid, c->block,
                                                args, c->shared_mem, NULL);
    cudaError_t ours_last = cudaGetLastError();
    CHECK(plain != cudaSuccess);
    CHECK_EQ(ours, plain);
    CHECK_EQ(ours_last, plain_last);

    plain = cudaLaunchKernel_ptsz(stub, c->grid, c->block, args,
                                  c->shared_mem, NULL);
    plain_last = cudaGetLastError();
    ours = __gpreempt_launch_kernel_ptsz(&ref, stub, c->grid, c->block, args,
                                         c->shared_mem, NULL);
    ours_last = cudaGetLastError();
    CHECK(plain != cudaSuccess);
    CHECK_EQ(ours, plain);
    CHECK_EQ(ours_last, plain_last);
  }

  gp_stats stats;
  CHECK_EQ(gp_get_stats(&stats), GP_SUCCESS);
  CHECK_EQ(stats.launches_preemptible, 0);
  CHECK_EQ(stats.launches_unpreempted, 2 * n);
  /* Disabled, no driver, or not a registered kernel: all "other". */
  CHECK_EQ(stats.unpreempted_other, 2 * n);
  return check_failures() != 0;
}
