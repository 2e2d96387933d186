/* launch.h - the entry points that instrumented host code calls.
 *
 * The pass rewrites `cudaLaunchKernel(stub, grid, block, args, shmem, s)`
 * into `__gpreempt_launch_kernel(&ref, stub, grid, block, args, shmem, s)`
 * (names in gpreempt/abi.h: GP_LAUNCH_ENTRY, GP_LAUNCH_ENTRY_PTSZ). Both
 * behave exactly like the call they replace, as seen by the caller.
 */
#ifndef GP_RUNTIME_LAUNCH_H
#define GP_RUNTIME_LAUNCH_H

#include <gpreempt/abi.h>

#include <cuda_runtime_api.h>
#include <stddef.h>

cudaError_t __gpreempt_launch_kernel(struct gp_kernel_ref *ref,
                                     const void *func, dim3 grid, dim3 block,
                                     void **args, size_t shared_mem,
                                     cudaStream_t stream);

/* Stream 0 means the calling thread's per-thread default stream, as for
 * cudaLaunchKernel_ptsz (code built with per-thread default streams). */
cudaError_t __gpreempt_launch_kernel_ptsz(struct gp_kernel_ref *ref,
                                          const void *func, dim3 grid,
                                          dim3 block, void **args,
                                          size_t shared_mem,
                                          cudaStream_t stream);

#endif /* GP_RUNTIME_LAUNCH_H */
