/* stress.c - GPREEMPT_STRESS=<mean us>: one background thread that preempts
 * every device with preemptible launches at exponentially distributed
 * intervals, waits for the drain, and resumes. It turns any program into a
 * test of its kernels' yields and resumes: the results must not change.
 */
#include "stress.h"

#include "clock.h"
#include "config.h"
#include "device.h"

#include <gpreempt.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A drain that takes longer than this is reported, and the device resumed
 * anyway: the stress thread must never leave a device preempted. */
#define GP__STRESS_DRAIN_TIMEOUT_US 5000000u

static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static pthread_t thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake; /* on CLOCK_MONOTONIC, set up in start() */
static bool stopping;
static uint64_t rng_state;

/* xorshift64*: private, so the program's own rand() sequence is untouched,
 * and reproducible with GPREEMPT_SEED. */
static uint64_t next_random(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1du;
}

/* ln(u) for u in (0, 1], without libm: gpreempt-cc links the runtime with
 * -lcudart_static -ldl -lrt -lpthread only. u = m * 2^e with m in [1, 2);
 * ln(m) = 2 atanh(z), z = (m - 1) / (m + 1) <= 1/3, whose series is exact to
 * ~1e-12 after ten terms: plenty for a random interval. */
static double natural_log(double u) {
  uint64_t bits;
  memcpy(&bits, &u, sizeof bits);
  int e = (int)((bits >> 52) & 0x7ff) - 1023; /* u is normal: u >= 2^-53 */
  bits = (bits & ~(UINT64_C(0x7ff) << 52)) | (UINT64_C(1023) << 52);
  double m;
  memcpy(&m, &bits, sizeof m);
  double z = (m - 1.0) / (m + 1.0), z2 = z * z, term = z, sum = 0.0;
  for (int k = 1; k < 20; k += 2) {
    sum += term / k;
    term *= z2;
  }
  return 2.0 * sum + e * 0.69314718055994530942;
}

/* Exponentially distributed, so preemptions hit kernels at uniformly random
 * moments (a Poisson process), not in step with the program's own period. */
static uint64_t next_interval_ns(double mean_us) {
  double u = (double)((next_random() >> 11) + 1) * 0x1.0p-53; /* (0, 1] */
  double ns = -natural_log(u) * mean_us * 1000.0;
  return ns > 1e15 ? (uint64_t)1e15 : (uint64_t)ns;
}

static void preempt_every_device(void) {
  int count;
  if (gp__device_count(&count) != GP_SUCCESS)
    return;
  for (int dev = 0; dev < count && dev < GP__MAX_DEVICES; dev++) {
    struct gp__device *d;
    if (gp__device_peek(dev, &d) != GP_SUCCESS || d == NULL ||
        atomic_load_explicit(&d->n_active, memory_order_relaxed) == 0)
      continue;
    gp_status st = gp_preempt(dev);
    if (st != GP_SUCCESS) {
      GP__LOG("stress: gp_preempt(%d): %s", dev, gp_status_string(st));
      continue;
    }
    uint64_t drain_us = 0;
    st = gp_wait_drained(dev, GP__STRESS_DRAIN_TIMEOUT_US, &drain_us);
    if (st != GP_SUCCESS)
      GP__LOG("stress: gp_wait_drained(%d): %s; resuming anyway", dev,
              gp_status_string(st));
    st = gp_resume(dev);
    if (st != GP_SUCCESS)
      GP__LOG("stress: gp_resume(%d): %s", dev, gp_status_string(st));
  }
}

static void *stress_main(void *arg) {
  (void)arg;
  const double mean_us = gp__config()->stress_mean_us;
  pthread_mutex_lock(&lock);
  while (!stopping) {
    uint64_t at = gp__now_ns() + next_interval_ns(mean_us);
    struct timespec deadline = {(time_t)(at / 1000000000u),
                                (long)(at % 1000000000u)};
    int rc = 0;
    while (!stopping && rc != ETIMEDOUT)
      rc = pthread_cond_timedwait(&wake, &lock, &deadline);
    if (stopping)
      break;
    /* Preempt without the lock, so that stopping never waits for a drain
     * longer than the one in progress. */
    pthread_mutex_unlock(&lock);
    preempt_every_device();
    pthread_mutex_lock(&lock);
  }
  pthread_mutex_unlock(&lock);
  return NULL;
}

/* atexit: stop and join. Every preemption of the thread is matched by its
 * resume before it checks `stopping`, so nothing stays preempted. */
static void stop_stress(void) {
  pthread_mutex_lock(&lock);
  stopping = true;
  pthread_cond_signal(&wake);
  pthread_mutex_unlock(&lock);
  pthread_join(thread, NULL);
}

static void start(void) {
  const struct gp__config *cfg = gp__config();
  rng_state = cfg->seed_set ? cfg->seed
                            : gp__now_ns() ^ ((uint64_t)getpid() << 32);
  if (rng_state == 0) /* xorshift's one fixed point */
    rng_state = 0x9e3779b97f4a7c15u;

  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&wake, &attr);
  pthread_condattr_destroy(&attr);

  int rc = pthread_create(&thread, NULL, stress_main, NULL);
  if (rc != 0) {
    GP__LOG("stress: cannot start its thread (error %d)", rc);
    return;
  }
  /* Registered after cudart initialized (a preemptible launch has run), so
   * it runs before cudart's own teardown at exit. */
  if (atexit(stop_stress) != 0)
    GP__LOG("stress: cannot register its exit handler");
  GP__LOG("stress: preempting every %.0f us on average", cfg->stress_mean_us);
}

void gp__stress_start(void) { pthread_once(&start_once, start); }
