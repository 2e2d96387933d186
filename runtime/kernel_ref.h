/* kernel_ref.h - what gpreempt knows about one kernel on one device.
 *
 * The pass gives each kernel stub a struct gp_kernel_ref; the first launch
 * on a device looks up the kernel's info and variant there and caches the
 * answer in ref->cache, so later launches pay two atomic loads.
 */
#ifndef GP_RUNTIME_KERNEL_REF_H
#define GP_RUNTIME_KERNEL_REF_H

#include "stats.h"

#include <gpreempt/abi.h>

#include <cuda.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gp__device;

struct gp__param {
  uint32_t offset; /* in the kernel's parameter buffer */
  uint32_t size;
};

/* One compiled form of the preemptible clone. */
struct gp__variant_fn {
  CUfunction fn; /* NULL: this form does not exist */
  /* Last occupancy query, packed (see gp__kernel_occupancy): launches of one
   * kernel mostly repeat one configuration. */
  atomic_uint_least64_t occupancy_memo;
  /* Largest dynamic shared memory it was allowed so far. */
  atomic_int max_dynamic_smem;
};

struct gp__kernel {
  /* -1: preemptible. Otherwise the enum gp__why for every launch of it. */
  int why_not;
  uint32_t refusal;        /* enum gp_refusal, with GP__WHY_REFUSED */
  const char *name;        /* the device symbol, for the log */
  CUfunction original;
  struct gp__variant_fn variant; /* N__gp */
  /* N__gp_wide (abi.h: GP_INFO_WIDE_VARIANT), kept only if ptxas gave it
   * more registers than the variant; fn NULL otherwise. */
  struct gp__variant_fn wide;
  uint32_t state_words;    /* per thread, in the save area */
  uint32_t shared_words;   /* per block, in the save area */
  bool saves_dynamic_smem; /* GP_INFO_DYNAMIC_SHARED: the launch's dynamic
                              shared memory is saved too */
  uint32_t num_params;     /* of the original kernel */
  size_t args_bytes;       /* end of its last parameter */
  struct gp__param params[]; /* num_params */
};

/* The kernel behind `ref` on device `d`; `func` is the stub the launch got.
 * Never NULL: a kernel that cannot be preempted comes back with why_not set
 * (cached too, so the reason is found once). Not a synchronizing call after
 * the first launch; the first reads the info on d's internal stream. */
struct gp__kernel *gp__kernel_resolve(struct gp__device *d,
                                            struct gp_kernel_ref *ref,
                                            const void *func);

/* Resident blocks of a variant per SM for this block size and dynamic
 * shared memory; 0 if it cannot run so (or the query fails). */
unsigned gp__kernel_occupancy(struct gp__variant_fn *v, unsigned threads,
                              size_t dynamic_smem);

/* Let the variant use as much dynamic shared memory as the user allowed the
 * original (cudaFuncSetAttribute): the variant is a separate function and
 * starts at the 48 KiB default. Best effort. */
void gp__kernel_allow_dynamic_smem(struct gp__kernel *k,
                                   struct gp__variant_fn *v,
                                   size_t dynamic_smem);

#endif /* GP_RUNTIME_KERNEL_REF_H */
