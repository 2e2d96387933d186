/* drain.c - waiting until the preemptible launches have left the GPU: on
 * the host (gp_wait_drained) or on the GPU, for a stream's later work
 * (gp_stream_wait_drained).
 *
 * Both wait for the same launches (busy_walk.h): those made before the
 * call, but not the ones held back by an unfinished launch before them,
 * which cannot have started and would wait for gp_resume(). A launch has
 * left once its latest instance has (record.h: gp__rec_idle).
 *
 * gp_wait_drained looks again and again until none is left, spinning, then
 * yielding the CPU. gp_stream_wait_drained looks once and enqueues, on the
 * caller's stream, a wait for each launch it found on the GPU: a 64-bit
 * stream wait on its control block's left_value (device memory: the GPU's
 * front end polls its own memory, not the host's; at a buffer's epoch 1,
 * on its left word: left_wait_add says why), for the value its latest
 * instance writes as it leaves, GP_LEFT_VALUE(epoch, instances, 0) or
 * more (abi.h). The GPU compares cyclically, so a later epoch of the
 * same buffer counts as more, and so does the reset to 0 when the
 * buffer's epochs wrap; nothing else lowers either (a buffer's epochs go
 * on across its launches, and clearing its control block keeps
 * left_value: launch.c), so a wait whose launch completed and whose buffer
 * went on to another launch still ends. A launch without a left word gets
 * a wait for the event after its latest instance instead: its relaunches
 * may include one of a grid that had completed, which writes nothing
 * (abi.h). So the latency-critical kernels enqueued next start once the
 * best-effort blocks have left, without the host's round trip, and their
 * launch calls overlap the drain (preempting at launch, the host's wait and
 * the launches after it were all on the request's path).
 *
 * One look cannot see what a spin would: a launch held back when it looks
 * whose holder then completes instead of yielding. Its blocks start once
 * the holder has completed and leave at their first check (at once if
 * the flag's copies are up by then), holding SMs for a few microseconds
 * with nothing waiting for them.
 */
#include "busy_walk.h"
#include "capture_mode.h"
#include "clock.h"
#include "config.h"
#include "device.h"
#include "driver.h"
#include "kernel_ref.h"
#include "left_words.h"
#include "preempt.h"
#include "record.h"
#include "stats.h"
#include "status.h"

#include <gpreempt.h>
#include <gpreempt/abi.h>

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

/* gp_wait_drained spins this long before it starts yielding the CPU: a
 * drain takes tens of microseconds, and a sleep would add its own latency. */
#define GP__SPIN_NS 200000u
#define GP__YIELD_NS 2000000u /* then sched_yield up to here, then sleep */
#define GP__SLEEP_NS 50000

static struct gp__launch_rec *first_busy(struct gp__device *d,
                                         uint64_t before_seq) {
  struct gp__busy_walk w;
  gp__busy_walk_begin(&w, d, before_seq);
  return gp__busy_walk_next(d, &w);
}

/* GPREEMPT_LOG: after a timeout, say which launch kept the device busy. */
static void log_busy(struct gp__device *d, uint64_t before_seq) {
  pthread_mutex_lock(&d->lock);
  struct gp__launch_rec *rec = first_busy(d, before_seq);
  if (rec != NULL)
    gp__log("device %d: launch %llu of %s (stream %llu, %s%s%s) has not "
            "left the GPU",
            d->ordinal, (unsigned long long)rec->seq, rec->kernel->name,
            rec->stream_id, rec->relaunched ? "relaunched" : "first launch",
            rec->owed ? ", relaunch owed" : "",
            rec->done ? ", complete" : "");
  pthread_mutex_unlock(&d->lock);
}

static void back_off(uint64_t waited_ns) {
  if (waited_ns < GP__SPIN_NS)
    return;
  if (waited_ns < GP__YIELD_NS) {
    sched_yield();
    return;
  }
  struct timespec ts = {0, GP__SLEEP_NS};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

gp_status gp_wait_drained(int device, uint64_t timeout_us, uint64_t *drain_us) {
  uint64_t start = gp__now_ns();
  (void)gp__config();
  struct gp__device *d;
  gp_status st = gp__device_peek(device, &d);
  if (st != GP_SUCCESS)
    return st;
  if (d == NULL) { /* nothing was ever launched there preemptibly */
    if (drain_us != NULL)
      *drain_us = 0;
    return GP_SUCCESS;
  }
  uint64_t limit_ns = timeout_us > UINT64_MAX / 1000 ? UINT64_MAX
                                                      : timeout_us * 1000;

  enum cudaStreamCaptureMode mode;
  bool relaxed = gp__relaxed_begin(&mode); /* event queries: as gp_preempt */
  uint64_t asked = gp__now_ns();
  pthread_mutex_lock(&d->lock);
  uint64_t lock_wait_ns = gp__now_ns() - asked;
  uint64_t before_seq = d->next_seq; /* launched before this call */
  pthread_mutex_unlock(&d->lock);
  uint64_t landed_ns = 0, landed_raise = 0; /* when the raise was seen */
  bool last_relaunch = false;
  for (;;) {
    asked = gp__now_ns();
    pthread_mutex_lock(&d->lock);
    uint64_t locked = gp__now_ns();
    lock_wait_ns += locked - asked;
    struct gp__launch_rec *busy = first_busy(d, before_seq);
    bool done = busy == NULL;
    if (busy != NULL)
      last_relaunch = busy->relaunched;
    uint64_t now = gp__now_ns(); /* the drain ends here, not after reaping */
    /* A raise or clear by another thread meanwhile: the sample is of one or
     * the other, never wrong about the launches. */
    unsigned depth = atomic_load(&d->depth);
    uint64_t raised = atomic_load(&d->raised_ns);
    if (depth > 0 && landed_raise != raised &&
        !atomic_load(&d->raise_untracked) && gp__device_raise_landed(d)) {
      landed_ns = now;
      landed_raise = raised;
    }
    if (done)
      gp__rec_reap(d, SIZE_MAX);
    pthread_mutex_unlock(&d->lock);

    if (done) {
      uint64_t us = depth > 0 && now > raised ? (now - raised) / 1000 : 0;
      if (depth > 0) {
        gp__stats_drain(us);
        uint64_t cleared = atomic_load(&d->cleared_ns);
        struct gp__drain_parts parts = {
            .drain_us = us,
            .lock_wait_us = lock_wait_ns / 1000,
            .last_look_us = (now - locked) / 1000,
            .raise_call_us = atomic_load(&d->raise_call_ns) / 1000,
            .since_clear_us = cleared != 0 && cleared <= raised
                                  ? (raised - cleared) / 1000
                                  : UINT64_MAX,
            .last_relaunch = last_relaunch,
        };
        gp__stats_drain_parts(&parts);
      }
      if (depth > 0 && landed_raise == raised && landed_ns > raised)
        gp__stats_raise_landed((landed_ns - raised) / 1000);
      if (drain_us != NULL)
        *drain_us = us;
      gp__relaxed_end(relaxed, mode);
      return GP_SUCCESS;
    }
    if (timeout_us != 0 && now - start >= limit_ns) {
      if (gp__config()->log)
        log_busy(d, before_seq);
      gp__relaxed_end(relaxed, mode);
      return GP_ERROR_TIMEOUT;
    }
    /* A launch whose left word tells (record.h) never leaves once the
     * context is broken (an illegal address in any kernel): past the spin,
     * ask CUDA for its sticky error, or this would wait forever. */
    if (now - start >= GP__SPIN_NS) {
      cudaError_t q = cudaStreamQuery(d->signal);
      if (q != cudaSuccess && q != cudaErrorNotReady) {
        (void)cudaGetLastError();
        GP__LOG("device %d: waiting for the drain: %s", d->ordinal,
                cudaGetErrorName(q));
        gp__relaxed_end(relaxed, mode);
        return gp__cuda_failure(q);
      }
    }
    back_off(now - start);
  }
}

/* Waits one cuStreamBatchMemOp takes (the driver takes up to 256); a walk
 * rarely finds more than a few launches on the GPU. */
#define GP__WAITS_PER_BATCH 64

/* The waits of gp_stream_wait_drained, gathered under d->lock and enqueued
 * after it, one batch at a time. */
struct left_waits {
  CUstreamBatchMemOpParams ops[GP__WAITS_PER_BATCH];
  unsigned n;
};

static void left_wait_add(struct left_waits *w,
                          const struct gp__launch_rec *rec) {
  CUstreamBatchMemOpParams *op = &w->ops[w->n++];
  memset(op, 0, sizeof *op);
  op->waitValue.operation = CU_STREAM_MEM_OP_WAIT_VALUE_64;
  /* A used buffer holds the value its last launch left there, of an
   * earlier epoch, or more: below any this launch writes, even before a
   * clear that the wait may run ahead of (the clear keeps it). At epoch 1
   * the buffer is new, and what it holds is not known, or its epochs
   * wrapped: the host's word was set to 0 before the launch was
   * enqueued. */
  op->waitValue.address =
      rec->epoch == 1 ? (CUdeviceptr)rec->left->word_dev
                      : rec->ctl + offsetof(struct gp_launch_ctl, left_value);
  op->waitValue.value64 = GP_LEFT_VALUE(rec->epoch, rec->instances, 0);
  op->waitValue.flags = CU_STREAM_WAIT_VALUE_GEQ;
}

/* Enqueue the gathered waits on `s`; a CUresult, 0 on success. */
static int left_waits_flush(struct left_waits *w, cudaStream_t s) {
  if (w->n == 0)
    return CUDA_SUCCESS;
  CUresult r = gp__driver()->StreamBatchMemOp((CUstream)s, w->n, w->ops, 0);
  w->n = 0;
  return (int)r;
}

gp_status gp_stream_wait_drained(int device, struct CUstream_st *stream) {
  (void)gp__config();
  struct gp__device *d;
  gp_status st = gp__device_peek(device, &d);
  if (st != GP_SUCCESS)
    return st;
  if ((st = gp__check_lc_stream(device, stream)) != GP_SUCCESS)
    return st;
  /* A stream that synchronizes with the legacy default stream would wait
   * for, or hold back, every best-effort launch on a blocking stream: the
   * wait after a launch that yielded (launch.c) ends only at the resume,
   * which the caller makes after this stream's work. */
  unsigned flags;
  if (cudaStreamGetFlags(stream, &flags) != cudaSuccess) {
    (void)cudaGetLastError();
    return GP_ERROR_INVALID_STREAM;
  }
  if (!(flags & cudaStreamNonBlocking))
    return GP_ERROR_INVALID_STREAM;
  if (d == NULL) /* nothing was ever launched there preemptibly */
    return GP_SUCCESS;
  if (!d->wait64)
    return GP_ERROR_UNSUPPORTED;

  enum cudaStreamCaptureMode mode;
  bool relaxed = gp__relaxed_begin(&mode); /* as gp_preempt */
  bool pushed;
  st = gp__device_enter(d, &pushed);
  if (st != GP_SUCCESS) {
    gp__relaxed_end(relaxed, mode);
    return st;
  }
  /* The waits on left values are enqueued after the lock: a user's stream
   * may be slow to take work, and gp_resume() needs the lock. Buffers are
   * never freed, and one reused meanwhile holds a later epoch's value, or
   * will: the wait ends (the cyclic comparison, and clears that keep
   * left_value: left_wait_add). An event goes back to the pool once its
   * record is reaped, so a wait for one is enqueued under the lock
   * (launches without left words only: GPREEMPT_EVENTS=1, or no mapped
   * memory), as gp_resume's relaunches wait for theirs. */
  struct left_waits waits;
  waits.n = 0;
  uint64_t launches = 0;
  int r = CUDA_SUCCESS;
  cudaError_t err = cudaSuccess;
  pthread_mutex_lock(&d->lock);
  struct gp__busy_walk walk;
  gp__busy_walk_begin(&walk, d, d->next_seq);
  /* The first failure stops it: the waits enqueued before it stay, each
   * for a launch it should wait for (gpreempt.h). */
  for (struct gp__launch_rec *rec;
       err == cudaSuccess && r == CUDA_SUCCESS &&
       (rec = gp__busy_walk_next(d, &walk)) != NULL;) {
    launches++;
    if (rec->left == NULL) {
      err = cudaStreamWaitEvent(
          stream, rec->relaunched ? rec->ev_last : rec->ev_ran, 0);
      continue;
    }
    left_wait_add(&waits, rec);
    if (waits.n == GP__WAITS_PER_BATCH) /* rare: enqueued under the lock */
      r = left_waits_flush(&waits, stream);
  }
  pthread_mutex_unlock(&d->lock);
  if (err == cudaSuccess && r == CUDA_SUCCESS)
    r = left_waits_flush(&waits, stream);
  gp__device_leave(pushed);
  gp__relaxed_end(relaxed, mode);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    return gp__cuda_failure(err);
  }
  if (r != CUDA_SUCCESS)
    return gp__cuda_failure(r);
  gp__stats_stream_wait(launches);
  return GP_SUCCESS;
}
