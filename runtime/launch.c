/* launch.c - the launch path: run a kernel's preemptible variant, or the
 * original kernel when that is not possible.
 *
 * Per preemptible launch, on the user's stream:
 *     cudaMemsetAsync(ctl, 0)          only for a control block that is not
 *     cudaMemcpyAsync(ctl->left_word)  clean (pool.h): new, or its last
 *                                      launch did not complete (then two
 *                                      memsets, around left_value)
 *     cuLaunchKernel(variant, P blocks) L0: a persistent grid of P blocks
 *     cuStreamWaitValue32(complete == epoch)
 * The wait keeps stream semantics: work enqueued later on the stream runs
 * only once the kernel is complete, even when relaunches on another stream
 * finished it. The kernel's last block tells the host through the buffer's
 * left word when an instance leaves and when the grid is complete
 * (left_words.h); where the buffer has none, events do (record.h): ev_ran
 * after the launch, ev_done after the wait. Nothing here waits for the GPU.
 *
 * This is the host's hot path. After the first launch of a kernel on a
 * device it costs: five stream/device queries, two atomic loads (the cached
 * resolution and occupancy), pool lookups under short locks, one malloc, the
 * two enqueued operations (two more to clear a control block, two more
 * events where the buffer has no left word), and two short holds of the
 * device lock. Every failure of gpreempt's own falls back to the plain
 * launch, so the user sees cudaLaunchKernel's behaviour.
 */
#include "launch.h"

#include "arm.h"
#include "capture_mode.h"
#include "config.h"
#include "device.h"
#include "driver.h"
#include "kernel_ref.h"
#include "physical_grid.h"
#include "preempt.h"
#include "record.h"
#include "stats.h"
#include "status.h"
#include "stress.h"
#include "stub_refs.h"

#include <gpreempt/abi.h>

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Only declared by cuda_runtime_api.h for code compiled with per-thread
 * default streams; the static runtime always has it. */
extern cudaError_t CUDARTAPI cudaLaunchKernel_ptsz(const void *func,
                                                   dim3 grid, dim3 block,
                                                   void **args,
                                                   size_t shared_mem,
                                                   cudaStream_t stream);

/* Records are reaped a few at a time on the launch path; when the list grows
 * past this (many long-running launches ahead of finished ones), all of it. */
#define GP__REAP_PER_LAUNCH 4
#define GP__REAP_ALL_ABOVE 256

/* Dynamic shared memory a function may use without opting in. */
#define GP__DEFAULT_DYNAMIC_SMEM (48u * 1024u)

/* Save areas start on their own 256-byte boundary after the control block. */
#define GP__SAVE_ALIGN 256u

/* Distinct per live thread: identifies "this thread's per-thread default
 * stream", whose handle (0x2) is the same in every thread. */
static _Thread_local char thread_anchor;

struct launch_call {
  struct gp_kernel_ref *ref;
  const void *func;
  dim3 grid, block;
  void **args;
  size_t shared_mem;
  cudaStream_t stream; /* as the user gave it */
  bool per_thread;     /* came through the _ptsz entry */
};

/* What gpreempt needs to know about the user's stream. */
struct stream_info {
  cudaStream_t handle; /* for CUDA calls: 0 under _ptsz becomes 0x2 */
  int priority;
  unsigned long long id;
  uintptr_t thread_key;
  enum gp__stream_sync sync;
};

static cudaError_t launch_plain(const struct launch_call *c) {
  if (c->per_thread)
    return cudaLaunchKernel_ptsz(c->func, c->grid, c->block, c->args,
                                 c->shared_mem, c->stream);
  return cudaLaunchKernel(c->func, c->grid, c->block, c->args, c->shared_mem,
                          c->stream);
}

static cudaError_t run_unpreempted(const struct launch_call *c,
                                   enum gp__why why, uint32_t refusal) {
  gp__stats_unpreempted(why, refusal);
  if (gp__config()->log) {
    const char *name = c->ref != NULL && c->ref->device_name != NULL
                           ? c->ref->device_name
                           : "?";
    if (why == GP__WHY_REFUSED)
      gp__log("launch of %s runs unpreempted: refused (%s)", name,
              gp__refusal_name(refusal));
    else
      gp__log("launch of %s runs unpreempted: %s", name, gp__why_name(why));
  }
  return launch_plain(c);
}

/* GP__WHY_COUNT if the stream may carry a preemptible launch, else why not.
 * Failed queries clear the runtime's last error: they are gpreempt's, and the
 * plain launch that follows reports whatever the user should see. */
static enum gp__why query_stream(const struct launch_call *c,
                                 struct stream_info *si, bool *relaxed,
                                 enum cudaStreamCaptureMode *mode) {
  si->handle = c->stream;
  if (c->per_thread && c->stream == NULL)
    si->handle = cudaStreamPerThread;
  si->thread_key = si->handle == cudaStreamPerThread
                       ? (uintptr_t)&thread_anchor
                       : 0;

  cudaError_t err = cudaStreamGetPriority(si->handle, &si->priority);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    return err == cudaErrorInsufficientDriver || err == cudaErrorNoDevice
               ? GP__WHY_NO_DEVICE
               : GP__WHY_CUDA_ERROR;
  }
  /* Lower numbers are higher priorities; 0 is the default. */
  if (si->priority < 0)
    return GP__WHY_LATENCY_CRITICAL;

  enum cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(si->handle, &capture) != cudaSuccess) {
    /* E.g. the legacy stream while another thread captures: whatever it
     * is, a graph may be recording, which must get the original kernel. */
    (void)cudaGetLastError();
    return GP__WHY_CAPTURING;
  }
  if (capture != cudaStreamCaptureStatusNone)
    return GP__WHY_CAPTURING;
  /* Only cudaStreamGetPriority and cudaStreamIsCapturing may run before
   * this point: on a capturing stream, cudaStreamGetId, GetFlags and
   * friends invalidate the capture (measured on CUDA 13). */
  *relaxed = gp__relaxed_begin(mode);

  if (cudaStreamGetId(si->handle, &si->id) != cudaSuccess) {
    (void)cudaGetLastError();
    return GP__WHY_CUDA_ERROR;
  }
  if (si->handle == NULL || si->handle == cudaStreamLegacy) {
    si->sync = GP__SYNC_LEGACY;
  } else if (si->handle == cudaStreamPerThread) {
    si->sync = GP__SYNC_BLOCKING; /* it synchronizes with the legacy stream */
  } else {
    unsigned flags = 0;
    if (cudaStreamGetFlags(si->handle, &flags) != cudaSuccess) {
      (void)cudaGetLastError();
      return GP__WHY_CUDA_ERROR;
    }
    si->sync = (flags & cudaStreamNonBlocking) ? GP__SYNC_NONE
                                               : GP__SYNC_BLOCKING;
  }
  return GP__WHY_COUNT;
}

/* The wide variant (abi.h: GP_INFO_WIDE_VARIANT) where the whole logical
 * grid is resident at its occupancy: its extra registers then cost no block
 * a place (the persistent grid is the logical one either way), and the
 * save area is the same. A grid larger than that runs the variant, which
 * keeps more blocks on each SM. */
static bool wide_if_it_fits(const struct gp__device *d, struct gp__kernel *k,
                            uint64_t total, unsigned threads,
                            size_t shared_mem) {
  if (k->wide.fn == NULL)
    return false;
  if (shared_mem > GP__DEFAULT_DYNAMIC_SMEM)
    gp__kernel_allow_dynamic_smem(k, &k->wide, shared_mem);
  unsigned per_sm = gp__kernel_occupancy(&k->wide, threads, shared_mem);
  return per_sm > 0 && total <= (uint64_t)d->sm_count * per_sm;
}

/* GP__WHY_COUNT if the hardware accepts this launch configuration. A
 * configuration it rejects goes to cudaLaunchKernel, which reports the
 * error: the persistent grid would otherwise run a launch that the plain one
 * refuses. */
static enum gp__why check_config(const struct gp__device *d,
                                 const struct launch_call *c) {
  const dim3 g = c->grid, b = c->block;
  if (g.x == 0 || g.y == 0 || g.z == 0 || b.x == 0 || b.y == 0 || b.z == 0)
    return GP__WHY_LAUNCH_CONFIG;
  if (g.x > d->max_grid[0] || g.y > d->max_grid[1] || g.z > d->max_grid[2] ||
      b.x > d->max_block[0] || b.y > d->max_block[1] || b.z > d->max_block[2])
    return GP__WHY_LAUNCH_CONFIG;
  if ((uint64_t)b.x * b.y * b.z > d->max_threads ||
      c->shared_mem > UINT32_MAX) /* cuLaunchKernel takes 32 bits */
    return GP__WHY_LAUNCH_CONFIG;
  return GP__WHY_COUNT;
}

/* a * b, false on overflow. */
static bool mul_size(size_t a, size_t b, size_t *out) {
  return !__builtin_mul_overflow(a, b, out);
}

/* Launches on one user stream must reach the device's list in the order
 * they reach the stream: relaunch and drain decisions read stream order from
 * the list. So the enqueue and the append happen under one of these locks,
 * chosen by the stream. Not under d->lock: enqueueing on a stream blocks
 * when its queue is full, which, behind a preempted kernel, lasts until
 * gp_resume(), which needs d->lock. */
#define GP__ENQUEUE_STRIPES 64
static pthread_mutex_t enqueue_stripes[GP__ENQUEUE_STRIPES] = {
#define GP__M4 PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,            \
               PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER
#define GP__M16 GP__M4, GP__M4, GP__M4, GP__M4
    GP__M16, GP__M16, GP__M16, GP__M16,
#undef GP__M16
#undef GP__M4
};

static pthread_mutex_t *enqueue_lock(const struct gp__launch_rec *rec) {
  uint64_t h = rec->stream_id ^ (uint64_t)rec->thread_key;
  h *= 0x9e3779b97f4a7c15u; /* Fibonacci hashing: spread nearby ids */
  return &enqueue_stripes[h >> 58];
}

/* What became of a record that enqueue() was given. */
enum rec_fate {
  REC_UNUSED,   /* nothing enqueued touches its buffer: discard it */
  REC_ORPHANED, /* a memset may still write the buffer: discard, keep buffer */
  REC_APPENDED, /* on the device's list, which owns it now */
};

/* Append rec (caller holds d->lock). If a gp_resume() ran since the launch
 * read resume_gen, it could not see rec: relaunch it as that resume would
 * have. Then reap a few finished records. */
static void append(struct gp__device *d, struct gp__launch_rec *rec,
                   uint64_t gen_at_start) {
  gp__rec_append(d, rec);
  if (d->resume_gen != gen_at_start && atomic_load(&d->depth) == 0)
    (void)gp__relaunch(d, rec); /* logged; the launch itself happened */
  size_t active = atomic_load_explicit(&d->n_active, memory_order_relaxed);
  gp__rec_reap(d, active > GP__REAP_ALL_ABOVE ? active : GP__REAP_PER_LAUNCH);
}

/* Zero rec's control block on s: all of it at epoch 1, else all but
 * left_value (enqueue). */
static cudaError_t clear_ctl(const struct gp__launch_rec *rec, cudaStream_t s) {
  char *ctl = rec->buffer.ptr;
  if (rec->epoch == 1)
    return cudaMemsetAsync(ctl, 0, rec->ctl_bytes, s);
  enum { KEPT = offsetof(struct gp_launch_ctl, left_value) };
  enum { AFTER = KEPT + sizeof(uint64_t) };
  _Static_assert(AFTER == GP_CTL_HEADER_BYTES, "left_value ends the header");
  _Static_assert(sizeof(struct gp_launch_ctl) == GP_CTL_HEADER_BYTES,
                 "the header is what the pass writes");
  cudaError_t err = cudaMemsetAsync(ctl, 0, KEPT, s);
  return err != cudaSuccess ? err
                            : cudaMemsetAsync(ctl + AFTER, 0,
                                              rec->ctl_bytes - AFTER, s);
}

/* Enqueue the preemptible launch (caller holds its enqueue lock, not
 * d->lock). Returns GP__WHY_COUNT when the variant is running, else why the
 * caller must run the plain launch; *fate says who owns rec now. */
static enum gp__why enqueue(struct gp__device *d, struct gp__launch_rec *rec,
                            enum rec_fate *fate) {
  const struct gp__driver *drv = gp__driver();
  cudaStream_t s = rec->stream;
  *fate = REC_UNUSED;

  /* A launch made after gp_resume() but before its flag clear has run on the
   * GPU (gp_resume_after queues the clear behind latency-critical work) would
   * see the old raised flag, yield at once, and never be relaunched: order it
   * after the clear. While preempted (depth > 0) it needs no order: the next
   * gp_resume() relaunches it. */
  pthread_mutex_lock(&d->lock);
  uint64_t gen = d->resume_gen;
  bool after_clear = false;
  if (atomic_load(&d->depth) == 0 && d->clear_pending) {
    cudaError_t q = cudaEventQuery(d->ev_clear);
    if (q == cudaSuccess) {
      d->clear_pending = false;
    } else {
      if (q != cudaErrorNotReady)
        (void)cudaGetLastError();
      after_clear = true;
    }
  }
  pthread_mutex_unlock(&d->lock);
  /* ev_clear may be recorded again meanwhile: then this waits for a later
   * clear, which is as good. */
  if (after_clear && cudaStreamWaitEvent(s, d->ev_clear, 0) != cudaSuccess) {
    (void)cudaGetLastError();
    return GP__WHY_CUDA_ERROR;
  }

  /* A control block to clear (a clean one holds its left word's address).
   * At epoch 1 (a new buffer, or epochs wrapped) all of it; otherwise all
   * but left_value, which must not fall below what the buffer's earlier
   * launches left there: a stream may still be waiting on it for one of
   * them (pool.h: gp__buffer_next_epoch). */
  if (rec->clear_ctl) {
    if (clear_ctl(rec, s) != cudaSuccess) {
      (void)cudaGetLastError();
      return GP__WHY_CUDA_ERROR;
    }
    if (rec->left != NULL) {
      /* Nothing writes the word now: its buffer's last launch had left.
       * At epoch 1 counting starts again. */
      if (rec->epoch == 1)
        rec->left->word = 0;
      cudaError_t err = cudaMemcpyAsync(
          (char *)rec->buffer.ptr + offsetof(struct gp_launch_ctl, left_word),
          &rec->left->word_dev, sizeof rec->left->word_dev,
          cudaMemcpyHostToDevice, s);
      if (err != cudaSuccess) {
        (void)cudaGetLastError();
        *fate = REC_ORPHANED; /* the memset will write the buffer */
        return GP__WHY_CUDA_ERROR;
      }
    }
  }
  CUresult r = drv->LaunchKernel(rec->fn, rec->physical_blocks, 1,
                                 1, rec->block[0], rec->block[1],
                                 rec->block[2], rec->shared_mem, (CUstream)s,
                                 rec->params, NULL);
  if (r != CUDA_SUCCESS) {
    /* The memset is enqueued and will write the buffer: the buffer may go
     * back to the pool only after it ran. Keep the record, finished, with
     * ev_ran marking the memset. */
    GP__LOG("launch of %s: cuLaunchKernel of the variant failed (error %d)",
            rec->kernel->name, (int)r);
    rec->done = true;
    rec->left = NULL; /* nothing will write it: ev_ran tells */
    if ((rec->ev_ran == NULL &&
         gp__pool_get_event(d, &rec->ev_ran) != GP_SUCCESS) ||
        cudaEventRecord(rec->ev_ran, s) != cudaSuccess) {
      (void)cudaGetLastError();
      *fate = REC_ORPHANED; /* the buffer leaks: better than a stray write */
      return GP__WHY_CUDA_ERROR;
    }
    pthread_mutex_lock(&d->lock);
    gp__rec_append(d, rec);
    pthread_mutex_unlock(&d->lock);
    *fate = REC_APPENDED;
    return GP__WHY_CUDA_ERROR;
  }

  /* From here the variant runs: the user's launch has happened, so errors
   * are logged, never reported (CUDA would report them at the next call). */
  rec->instances = 1;
  bool events = rec->left == NULL;
  cudaError_t err = events ? cudaEventRecord(rec->ev_ran, s) : cudaSuccess;
  r = drv->StreamWaitValue32((CUstream)s,
                             rec->ctl + offsetof(struct gp_launch_ctl, complete),
                             rec->epoch, CU_STREAM_WAIT_VALUE_EQ);
  cudaError_t err2 = events ? cudaEventRecord(rec->ev_done, s) : cudaSuccess;
  if (err != cudaSuccess || r != CUDA_SUCCESS || err2 != cudaSuccess) {
    (void)cudaGetLastError();
    GP__LOG("launch of %s: enqueueing its completion failed (%d/%d/%d): "
            "preempting it may break stream order",
            rec->kernel->name, (int)err, (int)r, (int)err2);
  } else {
    rec->launched = true; /* ev_done (if any) says when it is complete */
  }
  pthread_mutex_lock(&d->lock);
  append(d, rec, gen);
  pthread_mutex_unlock(&d->lock);
  *fate = REC_APPENDED;
  return GP__WHY_COUNT;
}

static cudaError_t launch_preemptible(const struct launch_call *c,
                                      const struct stream_info *si);

static cudaError_t launch(const struct launch_call *c) {
  const struct gp__config *cfg = gp__config();
  if (cfg->disable)
    return run_unpreempted(c, GP__WHY_DISABLED, 0);
  /* Relaxed capture mode for everything after the capture check: several
   * of the calls below (cudaStreamGetId, cudaEventQuery, ...) would
   * invalidate a graph that another thread captures in global mode. */
  enum cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
  bool relaxed = false;
  struct stream_info si;
  enum gp__why why = query_stream(c, &si, &relaxed, &mode);
  cudaError_t result = why == GP__WHY_COUNT ? launch_preemptible(c, &si)
                                            : run_unpreempted(c, why, 0);
  gp__relaxed_end(relaxed, mode);
  return result;
}

/* The rest of the launch path, for a stream that may carry it. */
static cudaError_t launch_preemptible(const struct launch_call *c,
                                      const struct stream_info *si_in) {
  const struct gp__config *cfg = gp__config();
  const struct stream_info si = *si_in;
  enum gp__why why;

  int ordinal;
  if (cudaGetDevice(&ordinal) != cudaSuccess) {
    (void)cudaGetLastError();
    return run_unpreempted(c, GP__WHY_CUDA_ERROR, 0);
  }
  struct gp__device *d;
  gp_status st = gp__device_get(ordinal, &d);
  if (st != GP_SUCCESS)
    return run_unpreempted(c,
                           st == GP_ERROR_CUDA          ? GP__WHY_CUDA_ERROR
                           : st == GP_ERROR_NO_DEVICE ? GP__WHY_NO_DEVICE
                                                      : GP__WHY_UNSUPPORTED_DEVICE,
                           0);

  /* No ref: the pass saw a launch through a kernel pointer. */
  struct gp_kernel_ref *ref = c->ref ? c->ref : gp__ref_for_stub(c->func);
  if (ref == NULL)
    return run_unpreempted(c, GP__WHY_ABI_MISMATCH, 0);
  struct gp__kernel *k = gp__kernel_resolve(d, ref, c->func);
  if (k->why_not >= 0)
    return run_unpreempted(c, (enum gp__why)k->why_not, k->refusal);

  why = check_config(d, c);
  if (why == GP__WHY_COUNT && k->num_params > 0 && c->args == NULL)
    why = GP__WHY_LAUNCH_CONFIG;
  if (why != GP__WHY_COUNT)
    return run_unpreempted(c, why, 0);

  /* A persistent grid of P blocks: as many as can be resident at once, so
   * that the save area is bounded by what fits on the GPU, not by the grid. */
  unsigned threads = c->block.x * c->block.y * c->block.z;
  if (c->shared_mem > GP__DEFAULT_DYNAMIC_SMEM)
    gp__kernel_allow_dynamic_smem(k, &k->variant, c->shared_mem);
  unsigned per_sm = gp__kernel_occupancy(&k->variant, threads, c->shared_mem);
  if (per_sm == 0)
    return run_unpreempted(c, GP__WHY_LAUNCH_CONFIG, 0);
  uint64_t total = (uint64_t)c->grid.x * c->grid.y * c->grid.z;
  /* abi.h: the count of finished blocks shares a word with arrivals. */
  if (total >> GP_PROGRESS_ARRIVAL_SHIFT != 0)
    return run_unpreempted(c, GP__WHY_LAUNCH_CONFIG, 0);
  uint64_t resident = (uint64_t)d->sm_count * per_sm;
  /* A relay block (physical_grid.h) only while preemptions are asked for:
   * it leaves one read of host memory (~1 us) after the last block
   * arrives, which a launch-heavy program would pay at every launch. */
  bool relay;
  unsigned physical = (unsigned)gp__physical_grid(
      total, resident,
      d->relay_word != NULL && gp__arm_wanted(d) ? cfg->relay : GP__RELAY_NONE,
      &relay);
  CUfunction fn = wide_if_it_fits(d, k, physical, threads, c->shared_mem)
                      ? k->wide.fn
                      : k->variant.fn;

  size_t ctl_bytes = GP_CTL_HEADER_BYTES + (size_t)physical * sizeof(uint64_t);
  size_t save_at = (ctl_bytes + GP__SAVE_ALIGN - 1) / GP__SAVE_ALIGN *
                   GP__SAVE_ALIGN;
  /* abi.h: per physical block, each thread's words, then static shared
   * memory, then dynamic shared memory if the variant saves it. It copies
   * whole words, so a size that is not one would lose its last bytes. */
  size_t dynamic_words = 0;
  if (k->saves_dynamic_smem) {
    if (c->shared_mem % 4 != 0)
      return run_unpreempted(c, GP__WHY_LAUNCH_CONFIG, 0);
    dynamic_words = c->shared_mem / 4;
  }
  size_t block_words, save_bytes, bytes;
  if (!mul_size(k->state_words, threads, &block_words) ||
      __builtin_add_overflow(block_words, (size_t)k->shared_words,
                             &block_words) ||
      __builtin_add_overflow(block_words, dynamic_words, &block_words) ||
      !mul_size((size_t)physical * 4, block_words, &save_bytes) ||
      __builtin_add_overflow(save_at, save_bytes, &bytes))
    return run_unpreempted(c, GP__WHY_NO_MEMORY, 0);

  unsigned char *arg_bytes;
  struct gp__launch_rec *rec =
      gp__rec_alloc(k->num_params, k->args_bytes, &arg_bytes);
  if (rec == NULL)
    return run_unpreempted(c, GP__WHY_HOST_MEMORY, 0);
  if (gp__pool_get_buffer(d, bytes, &rec->buffer) != GP_SUCCESS) {
    gp__rec_discard(d, rec, false);
    return run_unpreempted(c, GP__WHY_NO_MEMORY, 0);
  }
  rec->left = rec->buffer.left;
  if (rec->left == NULL &&
      (gp__pool_get_event(d, &rec->ev_ran) != GP_SUCCESS ||
       gp__pool_get_event(d, &rec->ev_done) != GP_SUCCESS ||
       gp__pool_get_event(d, &rec->ev_last) != GP_SUCCESS)) {
    gp__rec_discard(d, rec, true);
    return run_unpreempted(c, GP__WHY_CUDA_ERROR, 0);
  }

  rec->kernel = k;
  rec->fn = fn;
  rec->stream = si.handle;
  rec->stream_id = si.id;
  rec->thread_key = si.thread_key;
  rec->priority = si.priority;
  rec->sync = si.sync;
  rec->physical_blocks = physical;
  rec->block[0] = c->block.x;
  rec->block[1] = c->block.y;
  rec->block[2] = c->block.z;
  rec->shared_mem = (unsigned)c->shared_mem;
  rec->ctl = (CUdeviceptr)(uintptr_t)rec->buffer.ptr;
  rec->ctl_bytes = ctl_bytes;
  /* A clean control block (its last launch completed) is reused as it is;
   * any other is cleared (enqueue). */
  rec->epoch = gp__buffer_next_epoch(&rec->buffer, ctl_bytes, &rec->clear_ctl);
  rec->flag = d->flag;
  rec->save = rec->ctl + save_at + (relay ? GP_SAVE_RELAY : 0);
  rec->grid[0] = c->grid.x;
  rec->grid[1] = c->grid.y;
  rec->grid[2] = c->grid.z;
  /* Copy the argument values now: the caller's args may die when we return,
   * and every relaunch passes them again. */
  for (uint32_t i = 0; i < k->num_params; i++) {
    unsigned char *slot = arg_bytes + k->params[i].offset;
    memcpy(slot, c->args[i], k->params[i].size);
    rec->params[i] = slot;
  }
  void **extra = rec->params + k->num_params;
  extra[0] = &rec->ctl;
  extra[1] = &rec->flag;
  extra[2] = &rec->save;
  extra[3] = &rec->grid[0];
  extra[4] = &rec->grid[1];
  extra[5] = &rec->grid[2];
  extra[6] = &rec->epoch;

  enum rec_fate fate;
  pthread_mutex_t *lock = enqueue_lock(rec);
  pthread_mutex_lock(lock);
  why = enqueue(d, rec, &fate);
  pthread_mutex_unlock(lock);

  if (why != GP__WHY_COUNT) {
    if (fate != REC_APPENDED)
      gp__rec_discard(d, rec, fate == REC_UNUSED);
    return run_unpreempted(c, why, 0);
  }
  gp__stats_preemptible();
  if (fn != k->variant.fn)
    gp__stats_wide();
  if (relay)
    gp__stats_relay();
  /* Once per arm (arm.h), not per launch: a pending one costs an atomic
   * load here. */
  gp__arm_if_busy(d, true);
  if (cfg->stress_mean_us > 0)
    gp__stress_start();
  return cudaSuccess;
}

cudaError_t __gpreempt_launch_kernel(struct gp_kernel_ref *ref,
                                     const void *func, dim3 grid, dim3 block,
                                     void **args, size_t shared_mem,
                                     cudaStream_t stream) {
  const struct launch_call c = {ref,  func,       grid,   block,
                                args, shared_mem, stream, false};
  return launch(&c);
}

cudaError_t __gpreempt_launch_kernel_ptsz(struct gp_kernel_ref *ref,
                                          const void *func, dim3 grid,
                                          dim3 block, void **args,
                                          size_t shared_mem,
                                          cudaStream_t stream) {
  const struct launch_call c = {ref,  func,       grid,   block,
                                args, shared_mem, stream, true};
  return launch(&c);
}
