/* arm.c - the armed raise and its guard thread (see arm.h). */
#include "arm.h"

#include "capture_mode.h"
#include "clock.h"
#include "config.h"
#include "device.h"
#include "driver.h"
#include "record.h"
#include "resumer.h"
#include "stats.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define PENDING 1u

static uint64_t arm_max_ns(void) {
  return (uint64_t)gp__config()->arm_us * 1000u;
}

/* Preemptions asked for lately (arm.h), or arming regardless. */
bool gp__arm_wanted(struct gp__device *d) {
  uint64_t idle_ns = (uint64_t)gp__config()->arm_idle_ms * 1000000u;
  if (idle_ns == 0)
    return true;
  uint64_t asked = atomic_load(&d->arm.asked_ns);
  return asked != 0 && gp__now_ns() - asked < idle_ns;
}

void gp__arm_asked(struct gp__device *d, uint64_t now_ns) {
  atomic_store(&d->arm.asked_ns, now_ns);
}

static unsigned slot_of(uint64_t seq) {
  return (unsigned)(seq % GP__ARM_SLOTS);
}

/* The guard: a thread that makes no CUDA call. */
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
static bool guard_started;
static pthread_t guard_thread;
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t guard_wake; /* CLOCK_MONOTONIC */
static bool guard_stopping;       /* guarded by guard_lock */
static atomic_bool no_more_arms;  /* from the exit handler on */

/* Release d's arm `seq` if it is still pending: the lowered value into its
 * source, then the word, so that its copy rewrites what the flag holds (a
 * raise after the release is enqueued after this copy). */
static bool release(struct gp__device *d, uint64_t state) {
  uint64_t seq = state >> 1;
  if (!atomic_compare_exchange_strong(&d->arm.state, &state, seq << 1))
    return false; /* fired or released meanwhile */
  gp__flag_image_fill(d->arm.src[slot_of(seq)], gp__device_lowered(d));
  __atomic_store_n(d->arm.word, (uint32_t)seq, __ATOMIC_SEQ_CST);
  return true;
}

/* Release every arm that was made or renewed more than GPREEMPT_ARM_US ago
 * (all of them when `everything`); returns the earliest deadline of those
 * left, or 0. */
static uint64_t release_expired(bool everything) {
  int count;
  if (gp__device_count(&count) != GP_SUCCESS)
    return 0;
  uint64_t next = 0, now = gp__now_ns();
  bool released = false;
  for (int dev = 0; dev < count && dev < GP__MAX_DEVICES; dev++) {
    struct gp__device *d;
    if (gp__device_peek(dev, &d) != GP_SUCCESS || d == NULL ||
        !atomic_load(&d->arm.usable))
      continue;
    uint64_t state = atomic_load(&d->arm.state);
    if (!(state & PENDING))
      continue;
    uint64_t deadline = atomic_load(&d->arm.made_ns) + arm_max_ns();
    if (everything || now >= deadline) {
      released |= release(d, state);
      continue;
    }
    if (next == 0 || deadline < next)
      next = deadline;
  }
  if (released && !everything)
    gp__resumer_wake(); /* it arms again where launches are unfinished */
  return next;
}

static void *guard_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&guard_lock);
  while (!guard_stopping) {
    pthread_mutex_unlock(&guard_lock);
    uint64_t next = release_expired(false);
    pthread_mutex_lock(&guard_lock);
    if (guard_stopping)
      break;
    if (next == 0) {
      pthread_cond_wait(&guard_wake, &guard_lock);
    } else {
      struct timespec at = {(time_t)(next / 1000000000u),
                            (long)(next % 1000000000u)};
      int rc = 0;
      while (!guard_stopping && rc != ETIMEDOUT && rc != EINVAL)
        rc = pthread_cond_timedwait(&guard_wake, &guard_lock, &at);
    }
  }
  pthread_mutex_unlock(&guard_lock);
  return NULL;
}

static void join_guard(void) {
  pthread_mutex_lock(&guard_lock);
  guard_stopping = true;
  pthread_cond_signal(&guard_wake);
  pthread_mutex_unlock(&guard_lock);
  pthread_join(guard_thread, NULL);
}

/* atexit, registered after cudart initialized (so run before its teardown,
 * which may wait for the device): stop the guard, release every arm. */
static void stop_guard(void) {
  join_guard();
  atomic_store(&no_more_arms, true);
  (void)release_expired(true);
}

static void start_guard(void) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&guard_wake, &attr);
  pthread_condattr_destroy(&attr);
  int rc = pthread_create(&guard_thread, NULL, guard_main, NULL);
  if (rc != 0) {
    GP__LOG("arm: cannot start the guard thread (error %d): raises are "
            "enqueued when asked",
            rc);
    return;
  }
  if (atexit(stop_guard) != 0) {
    /* An arm left pending at exit could hold up cudart's teardown. */
    GP__LOG("arm: cannot register its exit handler: raises are enqueued "
            "when asked");
    join_guard();
    return;
  }
  guard_started = true;
}

void gp__arm_init(struct gp__device *d) {
  struct gp__arm *a = &d->arm;
  atomic_store(&a->usable, false);
  if (gp__config()->arm_us == 0 || d->flag_patterns == NULL)
    return;
  pthread_once(&guard_once, start_guard);
  if (!guard_started)
    return;
  void *word = NULL, *src = NULL, *word_dev = NULL;
  cudaError_t err = cudaHostAlloc(&word, 64, cudaHostAllocMapped);
  if (err == cudaSuccess)
    err = cudaHostGetDevicePointer(&word_dev, word, 0);
  if (err == cudaSuccess)
    err = cudaHostAlloc(&src, GP__ARM_SLOTS * GP__FLAG_BYTES,
                        cudaHostAllocDefault);
  for (unsigned i = 0; i < GP__ARM_SLOTS && err == cudaSuccess; i++)
    err = cudaEventCreateWithFlags(&a->ev[i], cudaEventDisableTiming);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    GP__LOG("device %d: cannot set up armed raises (%s): raises are "
            "enqueued when asked",
            d->ordinal, cudaGetErrorName(err));
    return; /* what was made stays: freeing could synchronize */
  }
  a->word = (volatile uint32_t *)word;
  *a->word = 0;
  a->word_dev = (uint64_t)(uintptr_t)word_dev;
  for (unsigned i = 0; i < GP__ARM_SLOTS; i++)
    a->src[i] = (uint32_t *)((unsigned char *)src + i * GP__FLAG_BYTES);
  atomic_store(&a->state, 0); /* seq 0 done: the first arm waits for 1 */
  atomic_store(&a->usable, true);
}

bool gp__arm_pending(struct gp__device *d) {
  return atomic_load(&d->arm.usable) && (atomic_load(&d->arm.state) & PENDING);
}

void gp__arm(struct gp__device *d) {
  struct gp__arm *a = &d->arm;
  uint64_t state = atomic_load(&a->state);
  if (!atomic_load(&a->usable) || (state & PENDING) ||
      atomic_load(&d->depth) != 0 || atomic_load(&no_more_arms) ||
      !gp__arm_wanted(d))
    return;
  uint64_t seq = (state >> 1) + 1;
  unsigned slot = slot_of(seq);
  /* The slot's previous copy may not have run yet: its source must keep
   * what it copies. (Never recorded: cudaSuccess.) */
  cudaError_t q = cudaEventQuery(a->ev[slot]);
  if (q != cudaSuccess) {
    if (q != cudaErrorNotReady)
      (void)cudaGetLastError();
    return;
  }
  /* Lowered until gp__arm_fire writes the raise's number in. */
  gp__flag_image_fill(a->src[slot], gp__device_lowered(d));
  a->tag[slot] = gp__device_next_raise_tag(d);
  CUresult r = gp__driver()->StreamWaitValue32(
      (CUstream)d->signal, (CUdeviceptr)a->word_dev, (uint32_t)seq,
      CU_STREAM_WAIT_VALUE_GEQ);
  if (r != CUDA_SUCCESS) {
    GP__LOG("device %d: arming failed (cuStreamWaitValue32 error %d)",
            d->ordinal, (int)r);
    return; /* nothing enqueued */
  }
  /* From here the wait is enqueued: whatever fails, the arm is left
   * pending, so that firing or the guard stores its word. */
  cudaError_t err =
      cudaMemcpyAsync((void *)(uintptr_t)d->flag, a->src[slot],
                      GP__FLAG_BYTES, cudaMemcpyHostToDevice, d->signal);
  int tag_err = 0;
  if (err == cudaSuccess)
    tag_err = gp__device_write_raise_tag(d, a->tag[slot]);
  if (err == cudaSuccess && tag_err == 0)
    err = cudaEventRecord(a->ev[slot], d->signal);
  if (err != cudaSuccess || tag_err != 0) {
    (void)cudaGetLastError();
    /* A copy may be enqueued without its event: zeros for it to copy, and
     * no more arms, as nothing would tell when this source is free. */
    GP__LOG("device %d: arming failed (%s / %d): raises are enqueued when "
            "asked from now on",
            d->ordinal, cudaGetErrorName(err), tag_err);
    atomic_store(&a->usable, false);
    atomic_store(&a->state, seq << 1 | PENDING);
    (void)release(d, seq << 1 | PENDING);
    return;
  }
  atomic_store(&a->made_ns, gp__now_ns());
  atomic_store(&a->state, seq << 1 | PENDING);
  pthread_mutex_lock(&guard_lock);
  pthread_cond_signal(&guard_wake); /* a new deadline */
  pthread_mutex_unlock(&guard_lock);
}

/* Reap the finished launches; are some left? (Device entered.) */
static bool launches_unfinished(struct gp__device *d) {
  pthread_mutex_lock(&d->lock);
  gp__rec_reap(d, SIZE_MAX);
  pthread_mutex_unlock(&d->lock);
  return atomic_load_explicit(&d->n_active, memory_order_relaxed) != 0;
}

bool gp__arm_release_if_idle(struct gp__device *d) {
  uint64_t state = atomic_load(&d->arm.state);
  if (!atomic_load(&d->arm.usable) || !(state & PENDING))
    return false;
  bool busy = gp__arm_wanted(d); /* not wanted: released as if idle */
  if (busy) {
    enum cudaStreamCaptureMode mode;
    bool relaxed = gp__relaxed_begin(&mode);
    bool pushed;
    if (gp__device_enter(d, &pushed) == GP_SUCCESS) {
      busy = launches_unfinished(d);
      gp__device_leave(pushed);
    }
    gp__relaxed_end(relaxed, mode);
  }
  if (!busy) {
    (void)release(d, state); /* a launch made meanwhile arms again */
    return false;
  }
  /* Launches still run: renew the arm's lease, so that the guard leaves it
   * be (releasing it would only make the resumer arm again). */
  if (atomic_load(&d->arm.state) == state)
    atomic_store(&d->arm.made_ns, gp__now_ns());
  return gp__arm_pending(d);
}

static bool may_arm(struct gp__device *d) {
  return atomic_load(&d->arm.usable) &&
         !(atomic_load(&d->arm.state) & PENDING) &&
         atomic_load(&d->depth) == 0 && gp__arm_wanted(d);
}

void gp__arm_if_busy(struct gp__device *d, bool launching) {
  if (!may_arm(d))
    return;
  enum cudaStreamCaptureMode mode;
  bool relaxed = gp__relaxed_begin(&mode); /* as gp_preempt */
  bool pushed;
  if (gp__device_enter(d, &pushed) != GP_SUCCESS) {
    gp__relaxed_end(relaxed, mode);
    return;
  }
  bool busy = launching || launches_unfinished(d);
  bool locked = false;
  if (busy) {
    /* A raise or clear being made: the launch leaves the arm to a later
     * look rather than wait. */
    locked = launching ? pthread_mutex_trylock(&d->signal_lock) == 0
                       : pthread_mutex_lock(&d->signal_lock) == 0;
  }
  if (locked) {
    gp__arm(d);
    pthread_mutex_unlock(&d->signal_lock);
  }
  gp__device_leave(pushed);
  gp__relaxed_end(relaxed, mode);
  /* The resumer looks for the launches' end from now on (it is the caller
   * when not launching, and looks again while an arm is pending). */
  if (launching && gp__arm_pending(d))
    gp__resumer_wake();
}

bool gp__arm_fire(struct gp__device *d, int32_t raise) {
  struct gp__arm *a = &d->arm;
  uint64_t state = atomic_load(&a->state);
  if (!(state & PENDING))
    return false;
  uint64_t seq = state >> 1;
  if (!atomic_compare_exchange_strong(&a->state, &state, seq << 1))
    return false; /* the guard released it just now */
  /* The copy reads its source only once the word below lets it run. */
  gp__flag_image_fill(a->src[slot_of(seq)], raise);
  atomic_store(&d->ev_raise, a->ev[slot_of(seq)]);
  atomic_store(&d->raise_tag, a->tag[slot_of(seq)]);
  atomic_store(&d->raise_untracked, false);
  __atomic_store_n(a->word, (uint32_t)seq, __ATOMIC_SEQ_CST);
  gp__stats_raise_armed();
  return true;
}
