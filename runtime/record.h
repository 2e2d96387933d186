/* record.h - one preemptible launch, from its launch until nothing on the
 * GPU can use its buffers any more.
 *
 * Launch instances of a record: the first launch (L0) on the user's stream,
 * then relaunches made after gp_resume() while it is unfinished, on the
 * device's shared resume streams (resume_streams.h). They run one after
 * another, so they share the control block and save area: a relaunch is
 * enqueued only once the instance before it has left the GPU, which the
 * host sees before it enqueues; until then the relaunch is owed
 * (resumer.h).
 *
 * How the host sees it: where the buffer has a left word (left_words.h),
 * the kernel's last block writes it as each instance leaves, and one load
 * says how many instances have left and whether the grid is complete. Else
 * (GPREEMPT_EVENTS=1, no mapped memory, a failed copy of its address) by
 * events: ev_ran after L0, ev_last after the latest relaunch, ev_done after
 * the user's stream has seen the grid complete.
 *
 * Never enqueue a relaunch that waits on the GPU for an earlier instance:
 * on a shared stream, "wait for B's L0" (which waits on the user's stream
 * for A to complete) ahead of A's next relaunch is a deadlock as soon as A
 * is preempted twice.
 */
#ifndef GP_RUNTIME_RECORD_H
#define GP_RUNTIME_RECORD_H

#include "pool.h"

#include <gpreempt.h>

#include <cuda.h>
#include <cuda_runtime_api.h>
#include <stdbool.h>
#include <stdint.h>

struct gp__device;
struct gp__kernel;

/* How a stream synchronizes with the legacy default stream; the drain check
 * needs it to know which launches are stuck behind a preempted one. */
enum gp__stream_sync {
  GP__SYNC_NONE = 0, /* created with cudaStreamNonBlocking */
  GP__SYNC_BLOCKING, /* ordinary stream, or the per-thread default stream */
  GP__SYNC_LEGACY,   /* the legacy default stream itself */
};

struct gp__launch_rec {
  struct gp__launch_rec *next;
  struct gp__kernel *kernel;
  CUfunction fn; /* what runs: the kernel's variant, or its wide form */
  uint64_t seq; /* launch order on the device */

  /* The user's stream, as given to CUDA calls (per-thread default: 0x2). */
  cudaStream_t stream;
  unsigned long long stream_id; /* cudaStreamGetId: handles are reused */
  uintptr_t thread_key;         /* per-thread default stream: its thread */
  int priority;
  enum gp__stream_sync sync;

  unsigned physical_blocks;
  unsigned block[3];
  unsigned shared_mem;
  struct gp__buffer buffer; /* control block, then save area */
  size_t ctl_bytes;          /* of the control block, slots included */
  bool clear_ctl;            /* zero it before L0 (launch.c: enqueue) */

  /* The buffer's left word, if the control block holds its address; then
   * there are no events (but ev_ran where the variant failed to launch:
   * it marks the memset). */
  struct gp__left_slot *left;
  uint32_t instances; /* enqueued: L0 and relaunches */
  cudaEvent_t ev_ran;  /* after L0 on the user's stream */
  cudaEvent_t ev_done; /* after the wait for ctl->complete */
  cudaEvent_t ev_last; /* after the latest relaunch */
  bool relaunched;
  bool owed;   /* relaunch it once its latest instance has left the GPU */
  bool done;   /* complete (ev_done, or the left word says so), or the
                  launch never happened */
  bool pinned; /* a relaunch went unrecorded: nothing tells when it ends, so
                  never relaunch it again nor reuse its buffer */
  bool launched;  /* the variant's first instance and its wait were enqueued */
  bool census_overflow; /* counted in the census's overflow (stream_set.h) */
  bool completed; /* the grid is complete (the left word, or ev_done
                     without error), so the kernel left the control block
                     clean (abi.h) */

  /* Values of the GP_EXTRA_PARAMS; params[] points at them. */
  CUdeviceptr ctl, flag, save;
  uint32_t grid[3];
  uint32_t epoch;
  void **params; /* num_params + GP_EXTRA_PARAMS pointers, then arg bytes */
};

/* A record with room for `num_params` parameters of `args_bytes` in all,
 * params[] already pointing into it; NULL if out of host memory. */
struct gp__launch_rec *gp__rec_alloc(uint32_t num_params, size_t args_bytes,
                                     unsigned char **args);

/* Has the launch completed? Caches a yes. With events, an error other
 * than "not ready" counts as complete: the context is broken, and nothing
 * will ever complete it. */
bool gp__rec_done(struct gp__launch_rec *rec);

/* Has its latest launch instance left the GPU (finished or yielded)? With
 * a left word, call it before gp__rec_done where both matter: once the
 * instance has left, the word no longer changes, so a look at it after
 * this one says for sure whether that instance completed the grid. */
bool gp__rec_idle(const struct gp__launch_rec *rec);

/* Same user stream (handles are compared by id: they are reused)? */
bool gp__rec_same_stream(const struct gp__launch_rec *a,
                         const struct gp__launch_rec *b);

/* Mark or unmark a relaunch as owed, keeping d->n_owed (caller holds
 * d->lock). */
void gp__rec_set_owed(struct gp__device *d, struct gp__launch_rec *rec,
                      bool owed);

/* Append to the device's list (caller holds d->lock). */
void gp__rec_append(struct gp__device *d, struct gp__launch_rec *rec);

/* Free records that are done and idle: their buffers and events go back to
 * the pools. Looks at no more than `budget` records (the launch path keeps
 * its share small), and queries the events only of those that no unfinished
 * launch before them holds back (stream_set.h). Caller holds d->lock. */
void gp__rec_reap(struct gp__device *d, size_t budget);

/* The buffer of a record that is done, as it goes back to the pool: its
 * epoch, and whether its control block is clean. */
struct gp__buffer gp__rec_buffer_back(const struct gp__launch_rec *rec);

/* Release a record that was never appended, giving back its buffer only if
 * `buffer_unused` (nothing was enqueued that touches it). */
void gp__rec_discard(struct gp__device *d, struct gp__launch_rec *rec,
                     bool buffer_unused);

#endif /* GP_RUNTIME_RECORD_H */
