/* One unpreemptible launch, then exit: GPREEMPT_STATS=1 must print the
 * summary (stats-summary.test checks its lines). */
#include <gpreempt.h>
#include <gpreempt/abi.h>

#include <cuda_runtime_api.h>
#include <stdio.h>

cudaError_t __gpreempt_launch_kernel(struct gp_kernel_ref *ref,
                                     const void *func, dim3 grid, dim3 block,
                                     void **args, size_t shared_mem,
                                     cudaStream_t stream);

static void not_a_kernel(void) {}

int main(void) {
  const void *stub = (const void *)not_a_kernel;
  struct gp_kernel_ref ref = {stub, "_Z12not_a_kernelv", NULL};
  dim3 one = {1, 1, 1};
  (void)__gpreempt_launch_kernel(&ref, stub, one, one, NULL, 0, NULL);
  (void)cudaGetLastError();
  gp_stats stats;
  if (gp_get_stats(&stats) != GP_SUCCESS || stats.launches_unpreempted != 1)
    return 1;
  /* stdout is not part of the summary: a line here shows the two apart. */
  printf("program done\n");
  return 0;
}
