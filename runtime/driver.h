/* driver.h - the CUDA driver API entry points gpreempt uses.
 *
 * They come from cudaGetDriverEntryPointByVersion, never from linking
 * libcuda: programs built with gpreempt must start (and run every kernel
 * plain) on machines without a driver, where libcuda.so does not exist.
 * cuda.h is included for its types only.
 */
#ifndef GP_RUNTIME_DRIVER_H
#define GP_RUNTIME_DRIVER_H

#include <cuda.h>

/* The driver ABI version the entry points are requested for: 12.8 semantics
 * (the _v2 forms of the stream memory operations, cuFuncGetParamInfo). */
#define GP__DRIVER_API_VERSION 12080

struct gp__driver {
  CUresult(CUDAAPI *DeviceGet)(CUdevice *device, int ordinal);
  CUresult(CUDAAPI *DeviceGetAttribute)(int *value, CUdevice_attribute attr,
                                        CUdevice device);
  CUresult(CUDAAPI *DevicePrimaryCtxRetain)(CUcontext *ctx, CUdevice device);
  CUresult(CUDAAPI *CtxGetCurrent)(CUcontext *ctx);
  CUresult(CUDAAPI *CtxPushCurrent)(CUcontext ctx);
  CUresult(CUDAAPI *CtxPopCurrent)(CUcontext *ctx);
  CUresult(CUDAAPI *FuncGetModule)(CUmodule *module, CUfunction func);
  CUresult(CUDAAPI *FuncGetName)(const char **name, CUfunction func);
  CUresult(CUDAAPI *FuncGetParamInfo)(CUfunction func, size_t index,
                                      size_t *offset, size_t *size);
  CUresult(CUDAAPI *FuncGetAttribute)(int *value, CUfunction_attribute attr,
                                      CUfunction func);
  CUresult(CUDAAPI *FuncSetAttribute)(CUfunction func,
                                      CUfunction_attribute attr, int value);
  CUresult(CUDAAPI *ModuleGetGlobal)(CUdeviceptr *ptr, size_t *bytes,
                                     CUmodule module, const char *name);
  CUresult(CUDAAPI *ModuleGetFunction)(CUfunction *func, CUmodule module,
                                       const char *name);
  CUresult(CUDAAPI *MemcpyDtoHAsync)(void *dst, CUdeviceptr src, size_t bytes,
                                     CUstream stream);
  CUresult(CUDAAPI *OccupancyMaxActiveBlocksPerMultiprocessor)(
      int *blocks, CUfunction func, int block_size, size_t dynamic_smem);
  CUresult(CUDAAPI *LaunchKernel)(CUfunction func, unsigned grid_x,
                                  unsigned grid_y, unsigned grid_z,
                                  unsigned block_x, unsigned block_y,
                                  unsigned block_z, unsigned shared_mem,
                                  CUstream stream, void **params,
                                  void **extra);
  CUresult(CUDAAPI *StreamWaitValue32)(CUstream stream, CUdeviceptr addr,
                                       cuuint32_t value, unsigned flags);
  CUresult(CUDAAPI *StreamBatchMemOp)(CUstream stream, unsigned count,
                                      CUstreamBatchMemOpParams *ops,
                                      unsigned flags);
};

/* The entry points, resolved on the first call. NULL when there is no driver
 * or it lacks one of them (then nothing can be preempted). Call it only after
 * a CUDA runtime call has succeeded: resolving initializes the runtime. */
const struct gp__driver *gp__driver(void);

#endif /* GP_RUNTIME_DRIVER_H */
