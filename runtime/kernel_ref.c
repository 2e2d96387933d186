/* kernel_ref.c - resolve a gp_kernel_ref: info, variant, parameter layout. */
#include "kernel_ref.h"

#include "capture_mode.h"
#include "config.h"
#include "device.h"
#include "driver.h"
#include "status.h"

#include <cuda_runtime_api.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ref->cache points to one of these, installed by the first launch. */
struct gp__ref_cache {
  _Atomic(struct gp__kernel *) per_device[GP__MAX_DEVICES];
};

/* Answer when not even the answer fits in host memory; not cached, so a
 * later launch tries again. */
static struct gp__kernel no_host_memory = {.why_not = GP__WHY_HOST_MEMORY};

static struct gp__ref_cache *ref_cache(struct gp_kernel_ref *ref) {
  /* ref->cache is a plain void * (the pass emits it as a null pointer), so
   * it is accessed with the compiler's atomic builtins. */
  struct gp__ref_cache *cache = __atomic_load_n(&ref->cache, __ATOMIC_ACQUIRE);
  if (cache != NULL)
    return cache;
  struct gp__ref_cache *fresh = calloc(1, sizeof *fresh);
  if (fresh == NULL)
    return NULL;
  void *expected = NULL;
  if (__atomic_compare_exchange_n(&ref->cache, &expected, fresh, false,
                                  __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    return fresh;
  free(fresh); /* another thread won the race: use its cache */
  return expected;
}

/* "<name><suffix>" in a fresh string, or NULL. */
static char *suffixed(const char *name, const char *suffix) {
  size_t a = strlen(name), b = strlen(suffix);
  char *s = malloc(a + b + 1);
  if (s != NULL) {
    memcpy(s, name, a);
    memcpy(s + a, suffix, b + 1);
  }
  return s;
}

/* A result that cannot be preempted, with the reason logged once. */
static struct gp__kernel *unpreemptible(const char *name, enum gp__why why,
                                        uint32_t refusal, const char *detail) {
  struct gp__kernel *k = calloc(1, sizeof *k);
  if (k == NULL)
    return &no_host_memory;
  k->why_not = (int)why;
  k->refusal = refusal;
  k->name = name;
  if (why == GP__WHY_REFUSED)
    GP__LOG("kernel %s: refused by the pass (%s)", name ? name : "?",
            gp__refusal_name(refusal));
  else
    GP__LOG("kernel %s: not preemptible: %s%s%s", name ? name : "?",
            gp__why_name(why), detail ? ": " : "", detail ? detail : "");
  return k;
}

/* Read the N__gp_info that the pass put next to kernel `original`. */
static enum gp__why read_info(struct gp__device *d, CUmodule module,
                              const char *name, struct gp_kernel_info *info) {
  const struct gp__driver *drv = gp__driver();
  char *info_name = suffixed(name, GP_INFO_SUFFIX);
  if (info_name == NULL)
    return GP__WHY_HOST_MEMORY;
  CUdeviceptr ptr;
  size_t bytes;
  CUresult r = drv->ModuleGetGlobal(&ptr, &bytes, module, info_name);
  free(info_name);
  if (r == CUDA_ERROR_NOT_FOUND)
    return GP__WHY_NOT_INSTRUMENTED;
  if (r != CUDA_SUCCESS)
    return GP__WHY_CUDA_ERROR;
  if (bytes < sizeof *info)
    return GP__WHY_ABI_MISMATCH;
  /* On gpreempt's non-blocking stream and waiting for that stream only: a
   * synchronous copy would go through the legacy stream and wait for every
   * kernel running on the device. */
  r = drv->MemcpyDtoHAsync(info, ptr, sizeof *info, (CUstream)d->internal);
  if (r != CUDA_SUCCESS)
    return GP__WHY_CUDA_ERROR;
  enum cudaStreamCaptureMode mode;
  bool relaxed = gp__relaxed_begin(&mode);
  cudaError_t err = cudaStreamSynchronize(d->internal);
  gp__relaxed_end(relaxed, mode);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    return GP__WHY_CUDA_ERROR;
  }
  return GP__WHY_COUNT; /* success */
}

/* Check that the variant takes the original's parameters followed by the
 * GP_EXTRA_PARAMS of abi.h (three pointers, four u32): a mismatch would
 * make cuLaunchKernel read garbage. */
static bool check_params(struct gp__kernel *k) {
  const struct gp__driver *drv = gp__driver();
  size_t offset, size, voffset, vsize;
  for (uint32_t i = 0; i < k->num_params; i++) {
    if (drv->FuncGetParamInfo(k->original, i, &offset, &size) != CUDA_SUCCESS ||
        drv->FuncGetParamInfo(k->variant.fn, i, &voffset, &vsize) !=
            CUDA_SUCCESS ||
        offset != voffset || size != vsize || offset > UINT32_MAX ||
        size > UINT32_MAX)
      return false;
    k->params[i].offset = (uint32_t)offset;
    k->params[i].size = (uint32_t)size;
    if (offset + size > k->args_bytes)
      k->args_bytes = offset + size;
  }
  /* No probe past the last parameter (it would fail on purpose, and
   * compute-sanitizer reports every failed driver call as an error): the
   * info and the variant come from one compilation, and the extra
   * parameters' sizes still catch a wrong count. */
  static const size_t extra_size[GP_EXTRA_PARAMS] = {8, 8, 8, 4, 4, 4, 4};
  for (uint32_t i = 0; i < GP_EXTRA_PARAMS; i++) {
    if (drv->FuncGetParamInfo(k->variant.fn, k->num_params + i, &voffset,
                              &vsize) != CUDA_SUCCESS ||
        vsize != extra_size[i])
      return false;
  }
  return true;
}

/* N__gp_wide, where the pass made one: kept only if ptxas gave it more
 * registers than the variant (a budget under what ptxas takes on its own
 * only takes registers away). Best effort: without it, the variant runs. */
static void find_wide(struct gp__kernel *k, CUmodule module,
                      const char *name) {
  const struct gp__driver *drv = gp__driver();
  char *wide_name = suffixed(name, GP_WIDE_SUFFIX);
  if (wide_name == NULL)
    return;
  CUfunction wide;
  CUresult r = drv->ModuleGetFunction(&wide, module, wide_name);
  free(wide_name);
  int regs = 0, wide_regs = 0;
  if (r != CUDA_SUCCESS ||
      drv->FuncGetAttribute(&regs, CU_FUNC_ATTRIBUTE_NUM_REGS,
                            k->variant.fn) != CUDA_SUCCESS ||
      drv->FuncGetAttribute(&wide_regs, CU_FUNC_ATTRIBUTE_NUM_REGS, wide) !=
          CUDA_SUCCESS)
    return;
  GP__LOG("kernel %s: wide variant %d registers, variant %d%s", name,
          wide_regs, regs, wide_regs > regs ? "" : ": not used");
  if (wide_regs > regs)
    k->wide.fn = wide;
}

static struct gp__kernel *resolve(struct gp__device *d,
                                  const struct gp_kernel_ref *ref,
                                  const void *func) {
  const struct gp__driver *drv = gp__driver();
  const char *name = ref->device_name;
  if (name == NULL || name[0] == '\0')
    return unpreemptible(name, GP__WHY_ABI_MISMATCH, 0, "no device name");

  cudaFunction_t original;
  cudaError_t err = cudaGetFuncBySymbol(&original, func);
  if (err != cudaSuccess) {
    (void)cudaGetLastError(); /* ours; the plain launch reports its own */
    return unpreemptible(name, GP__WHY_CUDA_ERROR, 0, cudaGetErrorName(err));
  }
  CUmodule module;
  if (drv->FuncGetModule(&module, (CUfunction)original) != CUDA_SUCCESS)
    return unpreemptible(name, GP__WHY_CUDA_ERROR, 0, "cuFuncGetModule");

  struct gp_kernel_info info;
  enum gp__why why = read_info(d, module, name, &info);
  if (why == GP__WHY_HOST_MEMORY)
    return &no_host_memory;
  if (why != GP__WHY_COUNT)
    return unpreemptible(name, why, 0, "reading " GP_INFO_SUFFIX);
  if (info.magic != GP_INFO_MAGIC || info.abi_version != GP_ABI_VERSION)
    return unpreemptible(name, GP__WHY_ABI_MISMATCH, 0,
                         "info magic or ABI version differs from the runtime's");
  if (!(info.flags & GP_INFO_PREEMPTIBLE))
    return unpreemptible(name, GP__WHY_REFUSED, info.refusal, NULL);
  /* Word 0 (the resume point) always exists; a huge count is corrupt. */
  if (info.state_words == 0 || info.state_words > (1u << 20) ||
      info.shared_words > (1u << 20) || info.num_params > 4096)
    return unpreemptible(name, GP__WHY_ABI_MISMATCH, 0, "implausible info");

  struct gp__kernel *k =
      calloc(1, sizeof *k + info.num_params * sizeof k->params[0]);
  if (k == NULL)
    return &no_host_memory;
  k->why_not = -1;
  k->name = name;
  k->original = (CUfunction)original;
  k->state_words = info.state_words;
  k->shared_words = info.shared_words;
  k->saves_dynamic_smem = (info.flags & GP_INFO_DYNAMIC_SHARED) != 0;
  k->num_params = info.num_params;

  char *variant_name = suffixed(name, GP_VARIANT_SUFFIX);
  if (variant_name == NULL) {
    free(k);
    return &no_host_memory;
  }
  CUresult r = drv->ModuleGetFunction(&k->variant.fn, module, variant_name);
  free(variant_name);
  if (r != CUDA_SUCCESS) {
    free(k);
    return unpreemptible(name, GP__WHY_ABI_MISMATCH, 0,
                         "info says preemptible but " GP_VARIANT_SUFFIX
                         " is missing");
  }
  if (!check_params(k)) {
    free(k);
    return unpreemptible(name, GP__WHY_ABI_MISMATCH, 0,
                         "parameters of the kernel and its variant disagree "
                         "with the info");
  }
  if (info.flags & GP_INFO_WIDE_VARIANT)
    find_wide(k, module, name);
  GP__LOG("kernel %s: preemptible on device %d (%u state words, %u yield "
          "points)",
          name, d->ordinal, info.state_words, info.yield_points);
  return k;
}

struct gp__kernel *gp__kernel_resolve(struct gp__device *d,
                                            struct gp_kernel_ref *ref,
                                            const void *func) {
  struct gp__ref_cache *cache = ref_cache(ref);
  if (cache == NULL)
    return &no_host_memory;
  _Atomic(struct gp__kernel *) *slot = &cache->per_device[d->ordinal];
  struct gp__kernel *k = atomic_load_explicit(slot, memory_order_acquire);
  if (k != NULL)
    return k;

  /* Not under a lock: two threads may resolve at once; one answer wins and
   * the other is dropped (both are equal). */
  struct gp__kernel *fresh = resolve(d, ref, func);
  if (fresh == &no_host_memory)
    return fresh;
  struct gp__kernel *expected = NULL;
  if (atomic_compare_exchange_strong_explicit(slot, &expected, fresh,
                                              memory_order_acq_rel,
                                              memory_order_acquire))
    return fresh;
  free(fresh);
  return expected;
}

/* Memo layout: bits 0-15 threads, 16-31 blocks per SM, 32-63 dynamic shared
 * memory. Zero means empty (threads is never 0 here). One 64-bit word, so a
 * reader never sees half of another thread's update. */
unsigned gp__kernel_occupancy(struct gp__variant_fn *v, unsigned threads,
                              size_t dynamic_smem) {
  bool memoizable = threads < (1u << 16) && dynamic_smem <= UINT32_MAX;
  if (memoizable) {
    uint64_t memo = atomic_load_explicit(&v->occupancy_memo,
                                         memory_order_relaxed);
    if ((memo & 0xffff) == threads && (memo >> 32) == dynamic_smem)
      return (unsigned)((memo >> 16) & 0xffff);
  }
  int blocks = 0;
  CUresult r = gp__driver()->OccupancyMaxActiveBlocksPerMultiprocessor(
      &blocks, v->fn, (int)threads, dynamic_smem);
  if (r != CUDA_SUCCESS || blocks <= 0)
    return 0;
  if (blocks > 0xffff)
    blocks = 0xffff;
  if (memoizable)
    atomic_store_explicit(&v->occupancy_memo,
                          (uint64_t)threads | ((uint64_t)blocks << 16) |
                              ((uint64_t)dynamic_smem << 32),
                          memory_order_relaxed);
  return (unsigned)blocks;
}

void gp__kernel_allow_dynamic_smem(struct gp__kernel *k,
                                   struct gp__variant_fn *v,
                                   size_t dynamic_smem) {
  if (dynamic_smem <=
      (size_t)atomic_load_explicit(&v->max_dynamic_smem,
                                   memory_order_relaxed))
    return;
  const struct gp__driver *drv = gp__driver();
  int allowed = 0;
  if (drv->FuncGetAttribute(&allowed,
                            CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                            k->original) != CUDA_SUCCESS)
    return;
  if ((size_t)allowed < dynamic_smem)
    return; /* the original may not use it either: the plain launch fails */
  if (drv->FuncSetAttribute(v->fn,
                            CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                            allowed) == CUDA_SUCCESS)
    atomic_store_explicit(&v->max_dynamic_smem, allowed,
                          memory_order_relaxed);
}
