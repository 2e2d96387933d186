/* stub_refs.c - kernel references made at run time.
 *
 * The pass gives every launch whose kernel it can see a gp_kernel_ref. A
 * launch through a function pointer, or through the cudaLaunchKernel<T>
 * template when it is not inlined (-O0), reaches the runtime with a null ref
 * and only the kernel's host stub: the runtime then names the kernel itself
 * (cuFuncGetName) and keeps one ref per stub, forever, like the pass's. */
#include "stub_refs.h"

#include "driver.h"

#include <cuda_runtime_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing; a program has few kernels, and a full table only means
 * that further pointer launches run unpreempted. */
#define GP__STUB_SLOTS 1024u

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gp_kernel_ref *table[GP__STUB_SLOTS];

static size_t slot_of(const void *stub) {
  uint64_t h = (uint64_t)(uintptr_t)stub * 0x9e3779b97f4a7c15u;
  return (size_t)(h >> 54) % GP__STUB_SLOTS;
}

/* A new ref for stub, or NULL when it is no kernel or memory ran out. */
static struct gp_kernel_ref *make_ref(const void *stub) {
  cudaFunction_t func;
  if (cudaGetFuncBySymbol(&func, stub) != cudaSuccess) {
    (void)cudaGetLastError(); /* ours: the plain launch reports its own */
    return NULL;
  }
  const char *name = NULL;
  if (gp__driver()->FuncGetName(&name, (CUfunction)func) != CUDA_SUCCESS ||
      name == NULL)
    return NULL;
  struct gp_kernel_ref *ref = calloc(1, sizeof *ref);
  char *copy = strdup(name);
  if (ref == NULL || copy == NULL) {
    free(ref);
    free(copy);
    return NULL;
  }
  ref->stub = stub;
  ref->device_name = copy;
  return ref;
}

struct gp_kernel_ref *gp__ref_for_stub(const void *stub) {
  struct gp_kernel_ref *found = NULL;
  pthread_mutex_lock(&table_lock);
  for (size_t i = slot_of(stub), n = 0; n < GP__STUB_SLOTS;
       i = (i + 1) % GP__STUB_SLOTS, n++) {
    if (table[i] == NULL) {
      found = table[i] = make_ref(stub);
      break;
    }
    if (table[i]->stub == stub) {
      found = table[i];
      break;
    }
  }
  pthread_mutex_unlock(&table_lock);
  return found;
}
