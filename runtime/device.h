/* device.h - what gpreempt keeps per CUDA device.
 *
 * One flag word in device memory, polled by every preemptible kernel of the
 * device; a signal stream that raises and lowers it; the streams relaunches
 * run on; the list of launches that may still need a relaunch; the buffer
 * and event pools. What changes after initialization is guarded by `lock`,
 * except the flag's state (signal_lock). Every stream and event that
 * gp_preempt/gp_resume use exists from initialization on or was taken by a
 * launch (see resume_streams.h).
 */
#ifndef GP_RUNTIME_DEVICE_H
#define GP_RUNTIME_DEVICE_H

#include "arm.h"
#include "pool.h"
#include "resume_streams.h"
#include "stream_set.h"

#include <gpreempt.h>
#include <gpreempt/abi.h>

#include <cuda.h>
#include <cuda_runtime_api.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Device ordinals gpreempt handles; launches on higher ones run plain. */
#define GP__MAX_DEVICES 64

struct gp__launch_rec;

struct gp__device {
  int ordinal;

  /* Set once by initialization, read-only afterwards. */
  CUcontext ctx;          /* the primary context, which cudart uses too */
  int sm_count;
  unsigned max_block[3];  /* launch limits, so that a launch the hardware */
  unsigned max_grid[3];   /* would reject is handed to cudaLaunchKernel  */
  unsigned max_threads;   /* and fails exactly as the user expects       */
  bool wait64;            /* the GPU takes 64-bit stream waits, which
                             gp_stream_wait_drained() needs (drain.c) */
  cudaStream_t signal;    /* non-blocking, greatest priority: flag writes */
  cudaStream_t internal;  /* non-blocking: reads of kernel info */
  CUdeviceptr flag;       /* GP_FLAG_COPIES words, GP_FLAG_STRIDE apart:
                             above zero = yield; then the relay word's
                             device address (abi.h) */
  void *flag_patterns;    /* pinned: the flag's copies lowered, then raised
                             (gp__device_write_flag fills in the number) */
  /* Mapped pinned host word that gp_preempt() stores each raise's number
   * to, for the relay blocks of running launches (abi.h: GP_SAVE_RELAY).
   * NULL if it could not be made: launches then have no relay. */
  volatile int32_t *relay_word;
  uint64_t relay_word_dev; /* its device address, 0 without it */
  /* Every flag write goes on the signal stream, so the GPU sees raises and
   * clears in the order the host made them. */
  cudaEvent_t ev_raise_enqueued; /* after a raise gp_preempt enqueued */
  /* After the latest raise: ev_raise_enqueued, or the event of the arm that
   * gp_preempt fired (arm.h). */
  _Atomic(cudaEvent_t) ev_raise;
  /* Mapped pinned host word that the signal stream writes right after each
   * raise's copy: the tag of the latest raise that has reached the flag.
   * Seeing a raise land is then a load, not a CUDA call that waits for the
   * driver's lock behind the program's own launches. NULL if it could not
   * be made: ev_raise is queried instead. */
  volatile uint32_t *raise_word;
  CUdeviceptr raise_word_dev;
  uint32_t raise_tags;   /* the last tag handed out (signal_lock) */
  atomic_uint raise_tag; /* the tag the latest raise writes */
  cudaEvent_t ev_clear;   /* recorded right after the latest clear */
  cudaEvent_t ev_lc;      /* gp_resume_after: end of the LC work so far */

  /* Taken before `lock` where both are needed. gp_preempt() takes only this
   * one: raising must not wait for whoever holds `lock` (a launch reaping
   * records, a gp_wait_drained() querying them: measured, the raise's wait
   * for `lock` reached 300 us at p99 in launch-heavy programs). */
  pthread_mutex_t signal_lock;
  /* Written under signal_lock (and, in gp_resume, lock too); atomic so that
   * the launch path and gp_wait_drained can read them under `lock` alone.
   * Such a reader may see a raise that happens meanwhile, or not: either is
   * fine, as a launch or relaunch that starts under the new raise yields at
   * once and the gp_resume() that ends it looks at every unfinished launch. */
  atomic_uint depth;          /* nesting of gp_preempt() */
  atomic_int raise_number;    /* the latest raise's (abi.h), 0 before the
                                 first: the flag holds minus it lowered */
  atomic_uint_least64_t raised_ns; /* when the raising gp_preempt() ran */
  atomic_uint_least64_t raise_call_ns; /* how long that call took */
  atomic_uint_least64_t cleared_ns;    /* when the last clear was enqueued */
  atomic_bool raise_untracked; /* ev_raise failed to record for the last raise */

  pthread_mutex_t lock;
  /* Guarded by lock. */
  bool clear_pending;      /* ev_clear may not have run yet on the GPU */
  uint64_t resume_gen;     /* counts flag clears */
  struct gp__launch_rec *head, *tail; /* launches, in launch order */
  struct gp__stream_census census;    /* their streams (stream_set.h) */
  uint64_t next_seq;       /* seq of the next record appended */
  atomic_size_t n_active;  /* length of that list (read without the lock) */
  atomic_size_t n_owed;    /* records with a relaunch owed (resumer.h);
                              changed under lock, read without it */
  atomic_bool walk_owed;   /* gp_resume_after left the look at every
                              unfinished launch to the resumer thread;
                              changed under lock, read without it */
  struct gp__resume_streams resume; /* streams made at init; `next` is
                                       guarded by lock */

  struct gp__pool pool;    /* has its own lock, taken inside `lock` */
  struct gp__arm arm;      /* the raise held ready on `signal` (arm.h) */
};

/* Number of CUDA devices, queried once. GP_ERROR_NO_DEVICE without a driver
 * or device. */
gp_status gp__device_count(int *count);

/* Check `ordinal` (GP_ERROR_INVALID_VALUE if negative, GP_ERROR_NO_DEVICE,
 * GP_ERROR_INVALID_DEVICE) and return its state, initializing it on first
 * use. A device that cannot preempt gives GP_ERROR_UNSUPPORTED, and an
 * initialization that failed gives the same status on every later call. */
gp_status gp__device_get(int ordinal, struct gp__device **out);

/* Like gp__device_get, but never initializes: *out is NULL (and the status
 * GP_SUCCESS) for a valid device that nothing has used yet. */
gp_status gp__device_peek(int ordinal, struct gp__device **out);

/* Make the device's primary context current for driver calls made from any
 * thread; gp__device_leave undoes it. Pushes only when another context is
 * current, so the common case costs one cuCtxGetCurrent. */
gp_status gp__device_enter(struct gp__device *d, bool *pushed);

/* Bytes of the flag's copies, all of them (the relay word's address comes
 * after them, at GP_FLAG_RELAY_OFFSET). */
#define GP__FLAG_BYTES ((size_t)GP_FLAG_COPIES * GP_FLAG_STRIDE)

/* Enqueue on d->signal the write of `value` (raise n: n, its lowering: -n;
 * abi.h) to every copy of the flag: one copy from pinned memory, or a
 * batch of stream memory operations if there is none. Returns a
 * cudaError_t or CUresult value, 0 on success. */
int gp__device_write_flag(struct gp__device *d, int32_t value);

/* Fill the copies' words of a pinned image of the flag with `value`. Only
 * those words: kernels read nothing else, and a whole image is 4 KiB. */
void gp__flag_image_fill(uint32_t *image, int32_t value);

/* The next raise's number (caller holds signal_lock): 1, 2, ..., and 1
 * again after INT32_MAX. Wrapping costs the first raise after it its
 * relay (the copies hold -INT32_MAX, which no smaller number may undo),
 * nothing else. */
int32_t gp__device_next_raise(struct gp__device *d);

/* What the copies hold while lowered: minus the latest raise's number. */
int32_t gp__device_lowered(struct gp__device *d);

/* Tell the relays of running launches that raise n is asked for (a store,
 * no CUDA call; nothing without a relay word). */
void gp__device_announce_raise(struct gp__device *d, int32_t n);
void gp__device_leave(bool pushed);

/* A new raise tag (caller holds signal_lock), and the enqueueing on
 * d->signal of its write to raise_word (a cudaError_t or CUresult value, 0
 * on success; nothing to do without the word). */
uint32_t gp__device_next_raise_tag(struct gp__device *d);
int gp__device_write_raise_tag(struct gp__device *d, uint32_t tag);

/* Has the latest raise (tag raise_tag) reached the flag? From raise_word if
 * there is one (no CUDA call), else by querying ev_raise. */
bool gp__device_raise_landed(struct gp__device *d);

#endif /* GP_RUNTIME_DEVICE_H */
