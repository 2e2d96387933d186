/* resumer.c - the thread that makes owed relaunches (see resumer.h).
 *
 * It sleeps until gp__resumer_wake(). Then it makes the relaunches that a
 * gp_resume_after() left to it, and, while some relaunch is owed on a
 * device that is not preempted, it looks again after a pause that starts
 * short (an instance that was draining at the gp_resume() leaves within
 * tens of microseconds) and doubles up to GP__RESUMER_MAX_PAUSE_NS, or half
 * of GPREEMPT_ARM_US if that is less (a launch queued behind a long kernel
 * may wait for seconds; polling it often would only burn a core). It also
 * keeps the armed raise (arm.h): arms it again where launches are
 * unfinished, renews its lease while they are, and releases it once they
 * are finished.
 */
#include "resumer.h"

#include "arm.h"
#include "clock.h"
#include "config.h"
#include "device.h"
#include "preempt.h"

#include <gpreempt.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define GP__RESUMER_FIRST_PAUSE_NS 20000u
#define GP__RESUMER_MAX_PAUSE_NS 1000000u

static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static bool started;
static pthread_t thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake; /* on CLOCK_MONOTONIC, set up in start() */
/* Guarded by lock. */
static bool stopping;
static bool woken; /* a relaunch was owed since the thread last looked */

/* One look at every device; true if relaunches are still owed on a device
 * that is not preempted, or an arm is pending on one (the thread must look
 * again). The relaunches made, it arms the next raise where launches are
 * unfinished (arm.h: after a resume, and after the guard released an arm),
 * and releases a pending arm once they are all finished: a
 * cudaDeviceSynchronize after them waits for the arm, up to
 * GPREEMPT_ARM_US. The pause between looks starts short and doubles, so a
 * short launch's end is seen soon and a long one's costs a few looks per
 * arm. */
static bool relaunch_owed_everywhere(void) {
  int count;
  if (gp__device_count(&count) != GP_SUCCESS)
    return false;
  bool left = false;
  for (int dev = 0; dev < count && dev < GP__MAX_DEVICES; dev++) {
    struct gp__device *d;
    if (gp__device_peek(dev, &d) != GP_SUCCESS || d == NULL)
      continue;
    if (atomic_load_explicit(&d->n_owed, memory_order_relaxed) != 0 ||
        atomic_load(&d->walk_owed))
      left |= gp__relaunch_owed(d);
    if (gp__arm_pending(d)) {
      left |= gp__arm_release_if_idle(d);
    } else {
      gp__arm_if_busy(d, false);
      left |= gp__arm_pending(d);
    }
  }
  return left;
}

static void *resumer_main(void *arg) {
  (void)arg;
  /* While an arm is pending its lease must be renewed within
   * GPREEMPT_ARM_US (arm.h): look at least twice as often. */
  uint64_t max_pause_ns = GP__RESUMER_MAX_PAUSE_NS;
  uint64_t arm_ns = (uint64_t)gp__config()->arm_us * 1000u;
  if (arm_ns != 0 && arm_ns / 2 < max_pause_ns)
    max_pause_ns = arm_ns / 2 > GP__RESUMER_FIRST_PAUSE_NS
                       ? arm_ns / 2
                       : GP__RESUMER_FIRST_PAUSE_NS;
  uint64_t pause_ns = GP__RESUMER_FIRST_PAUSE_NS;
  bool polling = false; /* relaunches were left owed at the last look */
  pthread_mutex_lock(&lock);
  while (!stopping) {
    if (!woken && !polling) {
      pthread_cond_wait(&wake, &lock);
      continue; /* re-check stopping and woken */
    }
    if (!woken) {
      uint64_t at = gp__now_ns() + pause_ns;
      struct timespec deadline = {(time_t)(at / 1000000000u),
                                  (long)(at % 1000000000u)};
      int rc = 0;
      while (!stopping && !woken && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&wake, &lock, &deadline);
      if (stopping)
        break;
    }
    if (woken) {
      woken = false;
      pause_ns = GP__RESUMER_FIRST_PAUSE_NS;
    } else if (pause_ns < max_pause_ns) {
      pause_ns = pause_ns * 2 < max_pause_ns ? pause_ns * 2 : max_pause_ns;
    }
    /* Without our lock: relaunching takes device locks, and gp__resumer_wake
     * is called with one held. */
    pthread_mutex_unlock(&lock);
    polling = relaunch_owed_everywhere();
    pthread_mutex_lock(&lock);
  }
  pthread_mutex_unlock(&lock);
  return NULL;
}

/* atexit: stop and join, before cudart tears down under the thread. */
static void stop_resumer(void) {
  pthread_mutex_lock(&lock);
  stopping = true;
  pthread_cond_signal(&wake);
  pthread_mutex_unlock(&lock);
  pthread_join(thread, NULL);
}

static void start(void) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&wake, &attr);
  pthread_condattr_destroy(&attr);

  int rc = pthread_create(&thread, NULL, resumer_main, NULL);
  if (rc != 0) {
    GP__LOG("resumer: cannot start its thread (error %d)", rc);
    return;
  }
  started = true;
  if (atexit(stop_resumer) != 0)
    GP__LOG("resumer: cannot register its exit handler");
}

bool gp__resumer_start(void) {
  pthread_once(&start_once, start);
  return started;
}

void gp__resumer_wake(void) {
  pthread_mutex_lock(&lock);
  woken = true;
  pthread_cond_signal(&wake);
  pthread_mutex_unlock(&lock);
}
