/* stats.c - counters, drain percentiles, the GPREEMPT_STATS summary.
 *
 * Counters are relaxed atomics: they are bumped on the launch path from any
 * thread and only need to add up, not to order anything.
 */
#include "stats.h"

#include "config.h"
#include "status.h"

#include <gpreempt.h>
#include <gpreempt/abi.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_uint_least64_t launches_preemptible, launches_wide, launches_relay;
static atomic_uint_least64_t unpreempted[GP__WHY_COUNT];
static atomic_uint_least64_t refused[GP_REFUSAL_COUNT + 1]; /* last: unknown */
static atomic_uint_least64_t preemptions, resumes, relaunches, raises_armed;
static atomic_uint_least64_t stream_waits, stream_waits_launches;
/* Drains of GP__SLOW_DRAIN_US or more, and how many of them had each part
 * (gp__stats_drain_parts; a drain may have several, or none). */
static atomic_uint_least64_t slow_drains, slow_soon_after_clear,
    slow_after_relaunch, slow_lock_wait, slow_last_look, slow_raise_call;

/* Latency samples (drains, and their parts: raises seen landed, the raising
 * call's lock wait and CUDA time): a ring of the latest
 * GP__DRAIN_WINDOW each, plus the all-time count and maximum. Percentiles
 * sort a copy, so reading them never blocks a writer for long. Static
 * storage: gp_get_stats must not fail on malloc. */
struct sample_ring {
  pthread_mutex_t lock;
  uint32_t ring[GP__DRAIN_WINDOW];
  uint64_t count, max;
};
static struct sample_ring drains = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct sample_ring raises = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct sample_ring raise_waits = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct sample_ring raise_calls = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct sample_ring drain_lock_waits = {.lock = PTHREAD_MUTEX_INITIALIZER};
/* The drains again, split by how soon after the clear before them they were
 * raised: a raise that soon may find the resume's relaunches still queued
 * behind the clear, and then waits for them to start before they can leave.
 * Percentiles of each part, not only a count of the slow ones, say whether
 * the tail is theirs. */
static struct sample_ring drains_soon = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct sample_ring drains_later = {.lock = PTHREAD_MUTEX_INITIALIZER};
static pthread_mutex_t sorted_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t sorted[GP__DRAIN_WINDOW]; /* guarded by sorted_lock */

#define BUMP(counter) atomic_fetch_add_explicit(&(counter), 1, memory_order_relaxed)
#define READ(counter) atomic_load_explicit(&(counter), memory_order_relaxed)

const char *gp__why_name(enum gp__why why) {
  static const char *const names[GP__WHY_COUNT] = {
      [GP__WHY_NOT_INSTRUMENTED] = "not_instrumented",
      [GP__WHY_REFUSED] = "refused",
      [GP__WHY_LATENCY_CRITICAL] = "latency_critical",
      [GP__WHY_CAPTURING] = "capturing",
      [GP__WHY_NO_MEMORY] = "no_memory",
      [GP__WHY_DISABLED] = "disabled",
      [GP__WHY_ABI_MISMATCH] = "abi_mismatch",
      [GP__WHY_NO_DEVICE] = "no_device",
      [GP__WHY_UNSUPPORTED_DEVICE] = "unsupported_device",
      [GP__WHY_LAUNCH_CONFIG] = "launch_config",
      [GP__WHY_HOST_MEMORY] = "host_memory",
      [GP__WHY_CUDA_ERROR] = "cuda_error",
  };
  return (unsigned)why < GP__WHY_COUNT ? names[why] : "unknown";
}

void gp__stats_preemptible(void) { BUMP(launches_preemptible); }
void gp__stats_wide(void) { BUMP(launches_wide); }
void gp__stats_relay(void) { BUMP(launches_relay); }

void gp__stats_unpreempted(enum gp__why why, uint32_t refusal) {
  if ((unsigned)why >= GP__WHY_COUNT)
    why = GP__WHY_CUDA_ERROR;
  BUMP(unpreempted[why]);
  if (why == GP__WHY_REFUSED)
    BUMP(refused[refusal < GP_REFUSAL_COUNT ? refusal : GP_REFUSAL_COUNT]);
}

void gp__stats_preemption(void) { BUMP(preemptions); }
void gp__stats_resume(void) { BUMP(resumes); }
void gp__stats_relaunch(void) { BUMP(relaunches); }

static void add_sample(struct sample_ring *r, uint64_t us) {
  uint32_t sample = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
  pthread_mutex_lock(&r->lock);
  r->ring[r->count % GP__DRAIN_WINDOW] = sample;
  r->count++;
  if (us > r->max)
    r->max = us;
  pthread_mutex_unlock(&r->lock);
}

void gp__stats_drain(uint64_t drain_us) { add_sample(&drains, drain_us); }
void gp__stats_raise_landed(uint64_t raise_us) { add_sample(&raises, raise_us); }
void gp__stats_raise_armed(void) {
  atomic_fetch_add_explicit(&raises_armed, 1, memory_order_relaxed);
}
uint64_t gp__stats_raises_armed(void) { return READ(raises_armed); }

/* A part counts for a slow drain from this long (us). */
#define GP__SLOW_PART_US 10u
/* A raise this soon after the clear before it counts as "soon" (us). */
#define GP__SOON_AFTER_CLEAR_US 100u

void gp__stats_drain_parts(const struct gp__drain_parts *p) {
  add_sample(&drain_lock_waits, p->lock_wait_us);
  add_sample(p->since_clear_us < GP__SOON_AFTER_CLEAR_US ? &drains_soon
                                                        : &drains_later,
             p->drain_us);
  if (p->drain_us < GP__SLOW_DRAIN_US)
    return;
  BUMP(slow_drains);
  if (p->since_clear_us < GP__SOON_AFTER_CLEAR_US)
    BUMP(slow_soon_after_clear);
  if (p->last_relaunch)
    BUMP(slow_after_relaunch);
  if (p->lock_wait_us >= GP__SLOW_PART_US)
    BUMP(slow_lock_wait);
  if (p->last_look_us >= GP__SLOW_PART_US)
    BUMP(slow_last_look);
  if (p->raise_call_us >= GP__SLOW_PART_US)
    BUMP(slow_raise_call);
}

void gp__stats_stream_wait(uint64_t launches) {
  BUMP(stream_waits);
  atomic_fetch_add_explicit(&stream_waits_launches, launches,
                            memory_order_relaxed);
}
void gp__stats_raise_call(uint64_t lock_wait_ns, uint64_t driver_ns) {
  add_sample(&raise_waits, lock_wait_ns / 1000);
  add_sample(&raise_calls, driver_ns / 1000);
}

static int compare_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted samples: the smallest sample with at
 * least `percent`% of the samples at or below it. */
static uint64_t percentile(const uint32_t *sorted, size_t n, unsigned percent) {
  if (n == 0)
    return 0;
  size_t rank = (n * percent + 99) / 100; /* ceil(n * p / 100), >= 1 */
  return sorted[rank - 1];
}

struct percentiles {
  uint64_t count, p50, p99, max;
};

static struct percentiles summarize(struct sample_ring *r) {
  pthread_mutex_lock(&sorted_lock);
  pthread_mutex_lock(&r->lock);
  size_t n = r->count < GP__DRAIN_WINDOW ? (size_t)r->count
                                         : (size_t)GP__DRAIN_WINDOW;
  memcpy(sorted, r->ring, n * sizeof r->ring[0]);
  struct percentiles p = {.count = r->count, .max = r->max};
  pthread_mutex_unlock(&r->lock);
  qsort(sorted, n, sizeof sorted[0], compare_u32);
  p.p50 = percentile(sorted, n, 50);
  p.p99 = percentile(sorted, n, 99);
  pthread_mutex_unlock(&sorted_lock);
  return p;
}

static void drain_summary(gp_stats *out) {
  struct percentiles p = summarize(&drains);
  out->drain_samples = p.count;
  out->drain_p50_us = p.p50;
  out->drain_p99_us = p.p99;
  out->drain_max_us = p.max;
}

gp_status gp_get_stats(gp_stats *out) {
  if (out == NULL)
    return GP_ERROR_INVALID_VALUE;
  (void)gp__config(); /* first use: GPREEMPT_STATS registers its summary */
  memset(out, 0, sizeof *out);
  out->launches_preemptible = READ(launches_preemptible);
  uint64_t total = 0;
  for (int why = 0; why < GP__WHY_COUNT; why++) {
    uint64_t n = READ(unpreempted[why]);
    total += n;
    switch ((enum gp__why)why) {
    case GP__WHY_NOT_INSTRUMENTED:
      out->unpreempted_not_instrumented = n;
      break;
    case GP__WHY_REFUSED:
      out->unpreempted_refused = n;
      break;
    case GP__WHY_LATENCY_CRITICAL:
      out->unpreempted_latency_critical = n;
      break;
    case GP__WHY_CAPTURING:
      out->unpreempted_capturing = n;
      break;
    case GP__WHY_NO_MEMORY:
      out->unpreempted_no_memory = n;
      break;
    default:
      out->unpreempted_other += n;
      break;
    }
  }
  out->launches_unpreempted = total;
  out->preemptions = READ(preemptions);
  out->resumes = READ(resumes);
  out->relaunches = READ(relaunches);
  drain_summary(out);
  return GP_SUCCESS;
}

static void print_samples(const char *what, struct sample_ring *ring) {
  struct percentiles r = summarize(ring);
  fprintf(stderr, "gpreempt: %s p50 %" PRIu64 " p99 %" PRIu64 " max %" PRIu64
                  " (n=%" PRIu64 ")\n",
          what, r.p50, r.p99, r.max, r.count);
}

void gp__stats_print_summary(void) {
  gp_stats s;
  (void)gp_get_stats(&s);
  /* One "gpreempt: <what> <numbers>" line each, so scripts can grep. */
  fprintf(stderr, "gpreempt: launches preemptible %" PRIu64
                  " unpreempted %" PRIu64 "\n",
          s.launches_preemptible, s.launches_unpreempted);
  fprintf(stderr, "gpreempt: launches wide %" PRIu64 "\n",
          (uint64_t)READ(launches_wide));
  fprintf(stderr, "gpreempt: launches with a relay %" PRIu64 "\n",
          (uint64_t)READ(launches_relay));
  for (int why = 0; why < GP__WHY_DISABLED; why++)
    fprintf(stderr, "gpreempt: unpreempted %s %" PRIu64 "\n",
            gp__why_name((enum gp__why)why), (uint64_t)READ(unpreempted[why]));
  /* The reasons that gp_stats folds into unpreempted_other, on one line. */
  char detail[256] = "";
  size_t used = 0;
  for (int why = GP__WHY_DISABLED; why < GP__WHY_COUNT; why++) {
    int n = snprintf(detail + used, sizeof detail - used, "%s%s %" PRIu64,
                     why == GP__WHY_DISABLED ? "" : ", ",
                     gp__why_name((enum gp__why)why),
                     (uint64_t)READ(unpreempted[why]));
    if (n < 0 || (size_t)n >= sizeof detail - used)
      break;
    used += (size_t)n;
  }
  fprintf(stderr, "gpreempt: unpreempted other %" PRIu64 " (%s)\n",
          s.unpreempted_other, detail);
  for (uint32_t r = 0; r <= GP_REFUSAL_COUNT; r++) {
    uint64_t n = READ(refused[r]);
    if (n != 0)
      fprintf(stderr, "gpreempt: refused %s %" PRIu64 "\n",
              gp__refusal_name(r), n);
  }
  fprintf(stderr, "gpreempt: preemptions %" PRIu64 "\n", s.preemptions);
  fprintf(stderr, "gpreempt: raises armed %" PRIu64 "\n",
          (uint64_t)READ(raises_armed));
  fprintf(stderr, "gpreempt: resumes %" PRIu64 "\n", s.resumes);
  fprintf(stderr, "gpreempt: relaunches %" PRIu64 "\n", s.relaunches);
  fprintf(stderr, "gpreempt: stream waits %" PRIu64 " (for %" PRIu64
                  " launches)\n",
          (uint64_t)READ(stream_waits), (uint64_t)READ(stream_waits_launches));
  print_samples("drain_us", &drains);
  print_samples("raise_us", &raises);
  print_samples("raise_lock_wait_us", &raise_waits);
  print_samples("raise_driver_us", &raise_calls);
  print_samples("drain_lock_wait_us", &drain_lock_waits);
  char what[64];
  snprintf(what, sizeof what, "drain_us raised within %u us of a clear",
           GP__SOON_AFTER_CLEAR_US);
  print_samples(what, &drains_soon);
  print_samples("drain_us raised later", &drains_later);
  fprintf(stderr,
          "gpreempt: slow drains %" PRIu64 " (>= %u us): raised within %u us "
          "of a clear %" PRIu64 ", last waited for a relaunch %" PRIu64
          ", lock wait >= %u us %" PRIu64 ", last look >= %u us %" PRIu64
          ", raising call >= %u us %" PRIu64 "\n",
          (uint64_t)READ(slow_drains), GP__SLOW_DRAIN_US,
          GP__SOON_AFTER_CLEAR_US, (uint64_t)READ(slow_soon_after_clear),
          (uint64_t)READ(slow_after_relaunch), GP__SLOW_PART_US,
          (uint64_t)READ(slow_lock_wait), GP__SLOW_PART_US,
          (uint64_t)READ(slow_last_look), GP__SLOW_PART_US,
          (uint64_t)READ(slow_raise_call));
}
