/* driver.c - resolve the driver entry points once. */
#include "driver.h"

#include "config.h"

#include <cuda_runtime_api.h>
#include <pthread.h>
#include <stddef.h>

static struct gp__driver driver;
static const struct gp__driver *resolved;
static pthread_once_t driver_once = PTHREAD_ONCE_INIT;

/* Each entry: the driver's base name (the version picks _v2 and friends) and
 * where its pointer goes. */
#define GP__ENTRY(name) {"cu" #name, (void **)&driver.name}

static void resolve_driver(void) {
  const struct {
    const char *symbol;
    void **slot;
  } entries[] = {
      GP__ENTRY(DeviceGet),
      GP__ENTRY(DeviceGetAttribute),
      GP__ENTRY(DevicePrimaryCtxRetain),
      GP__ENTRY(CtxGetCurrent),
      GP__ENTRY(CtxPushCurrent),
      GP__ENTRY(CtxPopCurrent),
      GP__ENTRY(FuncGetModule),
      GP__ENTRY(FuncGetName),
      GP__ENTRY(FuncGetParamInfo),
      GP__ENTRY(FuncGetAttribute),
      GP__ENTRY(FuncSetAttribute),
      GP__ENTRY(ModuleGetGlobal),
      GP__ENTRY(ModuleGetFunction),
      GP__ENTRY(MemcpyDtoHAsync),
      GP__ENTRY(OccupancyMaxActiveBlocksPerMultiprocessor),
      GP__ENTRY(LaunchKernel),
      GP__ENTRY(StreamWaitValue32),
      GP__ENTRY(StreamBatchMemOp),
  };
  for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
    enum cudaDriverEntryPointQueryResult found = cudaDriverEntryPointSymbolNotFound;
    cudaError_t err = cudaGetDriverEntryPointByVersion(
        entries[i].symbol, entries[i].slot, GP__DRIVER_API_VERSION,
        cudaEnableDefault, &found);
    if (err != cudaSuccess || found != cudaDriverEntryPointSuccess ||
        *entries[i].slot == NULL) {
      /* The failed query set the runtime's last error; it is ours, not the
       * user's, so clear it. */
      (void)cudaGetLastError();
      GP__LOG("driver lacks %s (error %d, query %d): nothing is preempted",
              entries[i].symbol, (int)err, (int)found);
      return;
    }
  }
  resolved = &driver;
}

#undef GP__ENTRY

const struct gp__driver *gp__driver(void) {
  pthread_once(&driver_once, resolve_driver);
  return resolved;
}
