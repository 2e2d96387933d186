/* preempt.c - gp_preempt, gp_resume, gp_resume_after (the waits for the
 * drain are in drain.c).
 *
 * Raising: one 4 KiB copy from pinned memory writing the raise's number n
 * to every copy of the device's flag (abi.h: GP_FLAG_COPIES) on the signal
 * stream (non-blocking, greatest priority), then the write of its tag to a
 * host word (whether it has landed is a load: device.h) and an event
 * (ev_raise follows it). Usually that copy was enqueued in advance and
 * gp_preempt only fires it with a host store (arm.h); else gp_preempt
 * enqueues it. Once either is done, n goes to the relay word too, which
 * the relay blocks of running launches bring to the flag sooner (abi.h:
 * GP_SAVE_RELAY). Every preemptible kernel polls the flag and yields;
 * kernels that start while it is up yield at once.
 *
 * Lowering: a write of -n on the same stream (so raises and clears reach the
 * GPU in the order the host made them), after the latency-critical work for
 * gp_resume_after, then ev_clear. Launches that may have yielded are
 * relaunched on the device's resume streams, after ev_clear (or they would
 * see the flag still up and yield again at once), and only once their
 * previous instance has left the GPU, so that two instances of one launch
 * never run at once. A launch whose previous instance is still queued or
 * running is left owed to the resumer thread (resumer.h) instead: a
 * relaunch that waited for it on a shared resume stream could hold up the
 * relaunch it waits for (record.h).
 *
 * Nothing here creates a stream, an event or memory, or loads code: another
 * thread may sit in a CUDA call that holds a driver lock until a preempted
 * kernel completes (a copy to pageable memory behind it), and such a call
 * would wait for that lock. Only enqueueing calls and event queries.
 *
 * Which launches may have yielded: all unfinished ones, except that once the
 * raise has reached the GPU (its tag in the raise word), only the first two
 * unfinished launches of each user stream. The others have not started: each
 * waits (stream order, ctl->complete) for the one before. Until the clear
 * reaches the GPU, the first can complete (its last blocks ran past their
 * polls), which lets the second start; but the second starts with the flag
 * up, so its blocks take no work and it cannot complete before its
 * relaunch, so the third cannot start. This keeps gp_resume's cost
 * proportional to the streams, not to the launches queued on them. Before
 * the raise has landed, the second could start with the flag down, finish,
 * and let the third start: hence all.
 */
#include "preempt.h"

#include "arm.h"
#include "capture_mode.h"
#include "clock.h"
#include "config.h"
#include "device.h"
#include "driver.h"
#include "kernel_ref.h"
#include "record.h"
#include "resume_streams.h"
#include "resumer.h"
#include "stats.h"
#include "status.h"
#include "stream_set.h"

#include <stdbool.h>

/* Is `rec` among the first two unfinished launches of its stream? Exact, one
 * walk from the head: for streams a full stream set does not hold. */
static bool exposed(struct gp__device *d, struct gp__launch_rec *rec) {
  if (gp__rec_done(rec))
    return false;
  unsigned unfinished_before = 0;
  for (struct gp__launch_rec *e = d->head; e != rec && e != NULL; e = e->next)
    if (gp__rec_same_stream(e, rec) && !gp__rec_done(e) &&
        ++unfinished_before >= 2)
      return false;
  return true;
}

static gp_status relaunch_unfinished(struct gp__device *d);

gp_status gp__relaunch(struct gp__device *d, struct gp__launch_rec *rec) {
  if (gp__rec_done(rec)) {
    gp__rec_set_owed(d, rec, false);
    return GP_SUCCESS;
  }
  if (rec->pinned)
    return GP_SUCCESS; /* logged when it happened; see record.h */
  if (!gp__rec_idle(rec)) {
    /* Its latest instance may still yield. Enqueued now, the relaunch would
     * wait for it on a shared stream: left to the resumer thread, which
     * sees it leave. */
    if (!rec->owed) {
      gp__rec_set_owed(d, rec, true);
      gp__resumer_wake();
    }
    return GP_SUCCESS;
  }
  /* Looked at again now that it has left: it may have completed the grid
   * since the first look, and a relaunch of a complete grid writes no left
   * word (abi.h), so nothing would tell when it is over. */
  if (rec->left != NULL && gp__rec_done(rec)) {
    gp__rec_set_owed(d, rec, false);
    return GP_SUCCESS;
  }
  gp__rec_set_owed(d, rec, false);

  struct gp__resume_stream *lane = gp__resume_stream_pick(d, rec->priority);
  cudaStream_t rs = lane->stream;
  /* The previous instance has left (complete, so this wait costs nothing):
   * stream order for the record's instances, stated rather than assumed.
   * With a left word, the host saw its last write, after which it touches
   * nothing: the host's order is the order. */
  cudaError_t err = cudaStreamWaitEvent(rs, d->ev_clear, 0);
  if (err == cudaSuccess && rec->left == NULL)
    err = cudaStreamWaitEvent(rs, rec->relaunched ? rec->ev_last : rec->ev_ran,
                              0);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    GP__LOG("relaunch of %s: cudaStreamWaitEvent failed: %s",
            rec->kernel->name, cudaGetErrorName(err));
    return gp__cuda_failure(err);
  }
  /* Same persistent grid, block shape, arguments and buffers: the variant
   * continues from the control block and save area, and reads its slots
   * (abi.h: GP_SAVE_RELAUNCH; the first launch passed `save` without it). */
  rec->save |= GP_SAVE_RELAUNCH;
  CUresult r = gp__driver()->LaunchKernel(
      rec->fn, rec->physical_blocks, 1, 1, rec->block[0],
      rec->block[1], rec->block[2], rec->shared_mem, (CUstream)rs,
      rec->params, NULL);
  if (r != CUDA_SUCCESS) {
    GP__LOG("relaunch of %s failed (error %d): its stream waits forever",
            rec->kernel->name, (int)r);
    return gp__cuda_failure((int)r);
  }
  rec->relaunched = true;
  rec->instances++;
  gp__stats_relaunch();
  err = rec->left == NULL ? cudaEventRecord(rec->ev_last, rs) : cudaSuccess;
  gp__resume_stream_mark(lane);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    /* Without ev_last nothing tells when the relaunch is over. */
    rec->pinned = true;
    GP__LOG("relaunch of %s: cudaEventRecord failed: %s; it is not "
            "relaunched again",
            rec->kernel->name, cudaGetErrorName(err));
    return gp__cuda_failure(err);
  }
  return GP_SUCCESS;
}

bool gp__relaunch_owed(struct gp__device *d) {
  enum cudaStreamCaptureMode mode;
  bool relaxed = gp__relaxed_begin(&mode); /* as in gp_preempt */
  pthread_mutex_lock(&d->lock);
  /* Preempted again: a relaunch would yield at once, and the gp_resume()
   * that ends this preemption looks at every unfinished launch again. The
   * same holds for a gp_preempt() that raises during this look (it takes
   * only signal_lock). */
  bool preempted = atomic_load(&d->depth) != 0;
  bool walk = atomic_exchange(&d->walk_owed, false) && !preempted;
  bool look_again = !preempted &&
      (walk || atomic_load_explicit(&d->n_owed, memory_order_relaxed) > 0);
  if (look_again) {
    bool pushed;
    if (gp__device_enter(d, &pushed) == GP_SUCCESS) {
      if (walk) {
        (void)relaunch_unfinished(d); /* logged */
      } else {
        for (struct gp__launch_rec *rec = d->head; rec != NULL;
             rec = rec->next)
          if (rec->owed)
            (void)gp__relaunch(d, rec); /* logged; the others still go */
      }
      gp__device_leave(pushed);
    }
    look_again = atomic_load_explicit(&d->n_owed, memory_order_relaxed) > 0;
  }
  pthread_mutex_unlock(&d->lock);
  gp__relaxed_end(relaxed, mode);
  return look_again;
}

gp_status gp_preempt(int device) {
  uint64_t called = gp__now_ns();
  (void)gp__config();
  struct gp__device *d;
  gp_status st = gp__device_get(device, &d);
  if (st != GP_SUCCESS)
    return st;
  gp__arm_asked(d, called);

  /* Relaxed: gpreempt's calls touch only its own streams and events, and
   * must not invalidate a graph another thread is capturing. */
  enum cudaStreamCaptureMode mode;
  bool relaxed = gp__relaxed_begin(&mode);
  pthread_mutex_lock(&d->signal_lock);
  if (atomic_load(&d->depth) == 0) {
    uint64_t locked = gp__now_ns();
    int32_t last = atomic_load(&d->raise_number);
    int32_t n = gp__device_next_raise(d);
    bool pushed;
    if (!gp__arm_fire(d, n) &&
        (st = gp__device_enter(d, &pushed)) == GP_SUCCESS) {
      int r = gp__device_write_flag(d, n);
      if (r != CUDA_SUCCESS) {
        st = gp__cuda_failure((int)r);
      } else {
        uint32_t tag = gp__device_next_raise_tag(d);
        bool untracked =
            gp__device_write_raise_tag(d, tag) != 0 ||
            cudaEventRecord(d->ev_raise_enqueued, d->signal) != cudaSuccess;
        if (untracked)
          (void)cudaGetLastError(); /* costs relaunches, not correctness */
        atomic_store(&d->ev_raise, d->ev_raise_enqueued);
        atomic_store(&d->raise_tag, tag);
        atomic_store(&d->raise_untracked, untracked);
      }
      gp__device_leave(pushed);
    }
    if (st != GP_SUCCESS) {
      /* Nothing raised: the flag's copies still hold the last lowering,
       * whose number this one's lowering must keep (abi.h). */
      atomic_store(&d->raise_number, last);
      pthread_mutex_unlock(&d->signal_lock);
      gp__relaxed_end(relaxed, mode);
      return st;
    }
    /* After the raise is on its way, so that a relay never raises what
     * nothing would lower. */
    gp__device_announce_raise(d, n);
    atomic_store(&d->raised_ns, called);
    uint64_t returned = gp__now_ns();
    atomic_store(&d->raise_call_ns, returned - called);
    gp__stats_preemption();
    gp__stats_raise_call(locked - called, returned - locked);
  }
  atomic_fetch_add(&d->depth, 1);
  pthread_mutex_unlock(&d->signal_lock);
  gp__relaxed_end(relaxed, mode);
  return GP_SUCCESS;
}

/* Enqueue the flag clear, after the work so far on `lc` if after_lc, and
 * ev_clear after it (caller holds d->lock). On failure the device stays
 * preempted, so that a retry clears and relaunches properly. */
static gp_status lower_flag(struct gp__device *d, cudaStream_t lc,
                            bool after_lc) {
  cudaError_t err = cudaSuccess;
  if (after_lc) {
    /* The signal stream waits for the LC work rather than the clear going on
     * the LC stream: a clear there could overtake a raise still queued on
     * the signal stream and leave the flag up for good. */
    err = cudaEventRecord(d->ev_lc, lc);
    if (err == cudaSuccess)
      err = cudaStreamWaitEvent(d->signal, d->ev_lc, 0);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      return gp__cuda_failure(err);
    }
  }
  int r = gp__device_write_flag(d, gp__device_lowered(d));
  if (r != CUDA_SUCCESS)
    return gp__cuda_failure((int)r);
  err = cudaEventRecord(d->ev_clear, d->signal);
  if (err != cudaSuccess) {
    /* The clear will happen, but nothing could be ordered after it. */
    (void)cudaGetLastError();
    return gp__cuda_failure(err);
  }
  return GP_SUCCESS;
}

gp_status gp__check_lc_stream(int device, cudaStream_t lc) {
  /* Capture first: most queries on a capturing stream (cudaStreamGetDevice
   * among them) invalidate the capture, measured on CUDA 13. An event
   * recorded into a graph would order nothing now. */
  enum cudaStreamCaptureStatus capture;
  if (cudaStreamIsCapturing(lc, &capture) != cudaSuccess) {
    (void)cudaGetLastError();
    return GP_ERROR_INVALID_STREAM;
  }
  if (capture != cudaStreamCaptureStatusNone)
    return GP_ERROR_INVALID_STREAM;
  int owner;
  if (cudaStreamGetDevice(lc, &owner) != cudaSuccess) {
    (void)cudaGetLastError();
    return GP_ERROR_INVALID_STREAM;
  }
  return owner == device ? GP_SUCCESS : GP_ERROR_INVALID_STREAM;
}

static gp_status resume_locked(struct gp__device *d, cudaStream_t lc,
                               bool after_lc);

static gp_status resume(int device, cudaStream_t lc, bool after_lc) {
  (void)gp__config();
  struct gp__device *d;
  gp_status st = gp__device_peek(device, &d);
  if (st != GP_SUCCESS)
    return st;
  if (after_lc && (st = gp__check_lc_stream(device, lc)) != GP_SUCCESS)
    return st;
  if (d == NULL) /* never initialized, so never preempted */
    return GP_ERROR_NOT_PREEMPTED;

  enum cudaStreamCaptureMode mode;
  bool relaxed = gp__relaxed_begin(&mode); /* as in gp_preempt */
  pthread_mutex_lock(&d->signal_lock);
  pthread_mutex_lock(&d->lock);
  st = resume_locked(d, lc, after_lc);
  pthread_mutex_unlock(&d->lock);
  pthread_mutex_unlock(&d->signal_lock);
  gp__relaxed_end(relaxed, mode);
  return st;
}

static gp_status resume_locked(struct gp__device *d, cudaStream_t lc,
                               bool after_lc) {
  unsigned depth = atomic_load(&d->depth);
  if (depth == 0)
    return GP_ERROR_NOT_PREEMPTED;
  if (depth > 1) {
    atomic_store(&d->depth, depth - 1);
    return GP_SUCCESS;
  }
  bool pushed;
  gp_status st = gp__device_enter(d, &pushed);
  if (st == GP_SUCCESS) {
    st = lower_flag(d, lc, after_lc);
    if (st == GP_SUCCESS) {
      atomic_store(&d->cleared_ns, gp__now_ns());
      atomic_store(&d->depth, 0);
      d->clear_pending = true;
      d->resume_gen++;
      gp__stats_resume();
      if (after_lc) {
        /* The relaunches wait for the clear, which waits for the LC work:
         * making them later costs nothing, making them here costs the LC
         * thread tens of microseconds of CUDA calls (measured: 60 us
         * median on an H100 host). The resumer thread makes them. */
        atomic_store(&d->walk_owed, true);
        gp__resumer_wake();
      } else {
        st = relaunch_unfinished(d);
        /* After the walk, which reads ev_raise; only for launches still
         * unfinished (it reaped the others). */
        if (atomic_load_explicit(&d->n_active, memory_order_relaxed) != 0) {
          gp__arm(d);
          gp__resumer_wake();
        }
      }
    }
    gp__device_leave(pushed);
  }
  return st;
}

static gp_status relaunch_unfinished(struct gp__device *d) {
  gp_status st = GP_SUCCESS;
  /* Before the records are looked at: if the raise has landed now, any
   * launch found unfinished below starts its next part with it up. (A
   * raise made since the clear, which the resumer's look may meet, can
   * only have landed if the cleared one did: one stream carries both.) */
  bool raise_landed =
      !atomic_load(&d->raise_untracked) && gp__device_raise_landed(d);
  /* A failed relaunch does not stop the others. Launches of a stream with
   * two unfinished ones before them are skipped unqueried: unfinished
   * launches only leave a stream's front, so one that yielded is still
   * among its first two. */
  struct gp__stream_set unfinished;
  gp__stream_set_init(&unfinished);
  for (struct gp__launch_rec *rec = d->head; rec != NULL; rec = rec->next) {
    if (raise_landed) {
      int before = gp__stream_set_unfinished(&unfinished, rec);
      bool skip = before < 0 ? !exposed(d, rec) : before >= 2;
      if (skip || gp__rec_done(rec)) {
        if (!rec->done)
          gp__stream_set_add(&unfinished, rec);
        continue;
      }
      gp__stream_set_add(&unfinished, rec);
    }
    gp_status one = gp__relaunch(d, rec);
    if (one != GP_SUCCESS && st == GP_SUCCESS)
      st = one;
  }
  gp__rec_reap(d, SIZE_MAX);
  /* Also for relaunches owed before: the resumer stops looking while the
   * device is preempted. */
  if (atomic_load_explicit(&d->n_owed, memory_order_relaxed) > 0)
    gp__resumer_wake();
  return st;
}

gp_status gp_resume(int device) { return resume(device, NULL, false); }

gp_status gp_resume_after(int device, struct CUstream_st *lc_stream) {
  return resume(device, lc_stream, true);
}
