/* Unit checks of runtime internals that need no GPU: buffer size classes,
 * what the pool remembers of a buffer's control block, what a launch's
 * left word says, firing an armed raise, drain percentiles, names, the per-thread CUDA error, which resume
 * streams a priority gets, and which launches hold back which (the stream
 * set that keeps walks of the launch list cheap). */
#include "check.h"

#include "arm.h"
#include "clock.h"
#include "device.h"
#include "physical_grid.h"
#include "pool.h"
#include "record.h"
#include "resume_streams.h"
#include "stats.h"
#include "stream_set.h"
#include "status.h"

#include <gpreempt.h>
#include <gpreempt/abi.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void size_classes(void) {
  size_t prev = 0;
  for (size_t bytes = 1; bytes < ((size_t)1 << 34); bytes = bytes * 5 / 4 + 1) {
    size_t c = gp__pool_size_class(bytes);
    CHECK(c >= bytes);
    CHECK(c <= bytes + bytes / 4 + 256); /* a quarter, or 256 bytes, wasted */
    CHECK(c >= prev);                     /* monotonic */
    CHECK(c % 256 == 0);                  /* cudaMalloc granularity */
    prev = c;
  }
  CHECK_EQ(gp__pool_size_class(0), 256);
  CHECK_EQ(gp__pool_size_class(256), 256);
  CHECK_EQ(gp__pool_size_class(1000), 1024);
  CHECK_EQ(gp__pool_size_class(1025), 1280);
  /* Launches of nearby sizes share one class, so buffers get reused. */
  CHECK_EQ(gp__pool_size_class(3000000), gp__pool_size_class(3100000));
}

/* A buffer comes back from the pool as it went in: how much of it is a
 * clean control block and that block's epoch (launch.c skips the memset on
 * that), its left word, the best fit first. No CUDA call: the pool is never
 * empty here. */
static void pool_keeps_clean_state(void) {
  struct gp__device d;
  memset(&d, 0, sizeof d);
  pthread_mutex_init(&d.pool.lock, NULL);
  static char small[1], large[1];
  static struct gp__left_slot word;
  struct gp__buffer in_large = {large, 4096, 288, 41, &word};
  struct gp__buffer in_small = {small, 1024, 0, 0, NULL};
  gp__pool_put_buffer(&d, &in_large);
  gp__pool_put_buffer(&d, &in_small);
  struct gp__buffer out;
  CHECK_EQ(gp__pool_get_buffer(&d, 2000, &out), GP_SUCCESS);
  CHECK(out.ptr == large);
  CHECK_EQ(out.bytes, 4096);
  CHECK_EQ(out.clean_bytes, 288);
  CHECK_EQ(out.epoch, 41);
  CHECK(out.left == &word);
  CHECK_EQ(gp__pool_get_buffer(&d, 100, &out), GP_SUCCESS);
  CHECK(out.ptr == small);
  CHECK_EQ(out.clean_bytes, 0);
  free(d.pool.buffers);
  pthread_mutex_destroy(&d.pool.lock);
}

/* A buffer's epochs go on across its launches, clean or not, so that the
 * values they leave only grow (a stream wait for an earlier launch on it
 * must still end); a control block is cleared unless its last launch
 * completed it with room enough, and at epoch 1: a new buffer, or epochs
 * wrapped. */
static void buffer_epochs(void) {
  static struct gp__left_slot word;
  struct gp__buffer fresh = {.bytes = 4096, .left = &word};
  bool clear = false;
  struct gp__launch_rec rec = {.buffer = fresh, .ctl_bytes = 288};
  rec.epoch = gp__buffer_next_epoch(&rec.buffer, rec.ctl_bytes, &clear);
  CHECK_EQ(rec.epoch, 1);
  CHECK(clear);
  rec.left = &word; /* preempted, never completed: not clean */
  struct gp__buffer back = gp__rec_buffer_back(&rec);
  CHECK_EQ(back.epoch, 1);
  CHECK_EQ(back.clean_bytes, 0);
  rec.buffer = back;
  rec.epoch = gp__buffer_next_epoch(&rec.buffer, rec.ctl_bytes, &clear);
  CHECK_EQ(rec.epoch, 2); /* on, not back to 1 */
  CHECK(clear);
  rec.completed = true;
  back = gp__rec_buffer_back(&rec);
  CHECK_EQ(back.epoch, 2);
  CHECK_EQ(back.clean_bytes, 288);
  CHECK_EQ(gp__buffer_next_epoch(&back, 288, &clear), 3);
  CHECK(!clear);
  CHECK_EQ(gp__buffer_next_epoch(&back, 296, &clear), 3); /* more slots */
  CHECK(clear);
  rec.left = NULL; /* completed with events: the block lacks the word */
  back = gp__rec_buffer_back(&rec);
  CHECK_EQ(back.clean_bytes, 0);
  CHECK_EQ(back.epoch, 2);
  back.epoch = UINT32_MAX;
  back.clean_bytes = 288;
  CHECK_EQ(gp__buffer_next_epoch(&back, 288, &clear), 1);
  CHECK(clear);
}

/* A launch whose buffer has a left word (left_words.h) has left the GPU
 * once the word counts all its instances, and is complete once the word
 * says so for its own epoch: an older launch's value, on the same buffer,
 * says nothing about it. No event is queried (there are none). */
static void left_word_says(void) {
  static struct gp__left_slot word;
  struct gp__launch_rec rec = {.left = &word, .epoch = 5, .instances = 1};
  CHECK(!gp__rec_idle(&rec));
  CHECK(!gp__rec_done(&rec));
  word.word = GP_LEFT_VALUE(4, 3, 1); /* the launch before, on this buffer */
  CHECK(!gp__rec_idle(&rec));
  CHECK(!gp__rec_done(&rec));
  word.word = GP_LEFT_VALUE(5, 1, 0); /* L0 left, the grid not complete */
  CHECK(gp__rec_idle(&rec));
  CHECK(!gp__rec_done(&rec));
  rec.instances = 2; /* relaunched */
  CHECK(!gp__rec_idle(&rec));
  word.word = GP_LEFT_VALUE(5, 2, 1); /* the relaunch completed it */
  CHECK(gp__rec_idle(&rec));
  CHECK(gp__rec_done(&rec));
  CHECK(rec.completed);
  word.word = 0; /* cached: a later clear of the word changes nothing */
  CHECK(gp__rec_done(&rec));
}

/* Firing an armed raise (arm.h) is one compare-and-swap and one store to
 * host memory, no CUDA call: the word gets the arm's sequence number and
 * ev_raise its slot's event; with nothing pending, or a second time, it does
 * nothing. Arming never starts where it may not (unusable, preempted, or no
 * gp_preempt() within GPREEMPT_ARM_IDLE_MS: default 1000 here). */
static void arm_fire(void) {
  struct gp__device d;
  memset(&d, 0, sizeof d);
  static volatile uint32_t word;
  static int events[GP__ARM_SLOTS];
  static uint32_t images[GP__ARM_SLOTS][GP__FLAG_BYTES / sizeof(uint32_t)];
  d.arm.word = &word;
  for (unsigned i = 0; i < GP__ARM_SLOTS; i++) {
    d.arm.ev[i] = (cudaEvent_t)(void *)&events[i];
    d.arm.src[i] = images[i];
  }
  atomic_store(&d.ev_raise, NULL);

  gp__arm(&d); /* not usable: returns before any CUDA call */
  CHECK_EQ(atomic_load(&d.arm.state), 0);
  atomic_store(&d.arm.usable, true);
  gp__arm(&d); /* no gp_preempt() yet: not worth its cost */
  CHECK_EQ(atomic_load(&d.arm.state), 0);
  uint64_t now = gp__now_ns();
  gp__arm_asked(&d, now > UINT64_C(2000000000) ? now - UINT64_C(2000000000)
                                                : 1);
  gp__arm(&d); /* the last one two seconds ago */
  CHECK_EQ(atomic_load(&d.arm.state), 0);
  gp__arm_asked(&d, now);
  atomic_store(&d.depth, 1);
  gp__arm(&d); /* preempted: the raise is up already */
  CHECK_EQ(atomic_load(&d.arm.state), 0);
  atomic_store(&d.depth, 0);

  CHECK(!gp__arm_pending(&d));
  CHECK(!gp__arm_fire(&d, 1));
  CHECK_EQ(word, 0);
  uint64_t before = gp__stats_raises_armed();
  atomic_store(&d.arm.state, UINT64_C(7) << 1 | 1); /* arm 7 (slot 1) */
  CHECK(gp__arm_pending(&d));
  CHECK(gp__arm_fire(&d, 5));
  CHECK_EQ(word, 7);
  /* The raise's number, in every copy of the slot's image (abi.h). */
  for (unsigned c = 0; c < GP_FLAG_COPIES; c++)
    CHECK_EQ(images[1][c * GP_FLAG_STRIDE / 4], 5);
  CHECK_EQ(images[1][1], 0); /* between copies: untouched */
  CHECK_EQ(images[0][0], 0);
  CHECK(atomic_load(&d.ev_raise) == d.arm.ev[7 % GP__ARM_SLOTS]);
  CHECK(!gp__arm_pending(&d));
  CHECK_EQ(atomic_load(&d.arm.state), UINT64_C(7) << 1);
  CHECK(!gp__arm_fire(&d, 6)); /* once */
  CHECK_EQ(gp__stats_raises_armed() - before, 1);

  /* Past 2^32 arms the word holds the low bits, which the GPU's wait
   * (CU_STREAM_WAIT_VALUE_GEQ) compares cyclically. */
  uint64_t seq = (UINT64_C(1) << 32) + 2;
  atomic_store(&d.arm.state, seq << 1 | 1);
  CHECK(gp__arm_fire(&d, 6));
  CHECK_EQ(word, 2);
  CHECK(atomic_load(&d.ev_raise) == d.arm.ev[seq % GP__ARM_SLOTS]);

  /* Firing hands the slot's raise tag to raise_landed (device.h). */
  d.arm.tag[0] = 41;
  d.arm.tag[1] = 42;
  atomic_store(&d.arm.state, UINT64_C(9) << 1 | 1); /* slot 1 */
  CHECK(gp__arm_fire(&d, 7));
  CHECK_EQ(atomic_load(&d.raise_tag), 42);
}

/* Raise numbers (abi.h): 1, 2, ..., 1 again after INT32_MAX; lowered is
 * minus the latest; announcing stores the number where relays read it. */
static void raise_numbers(void) {
  struct gp__device d;
  memset(&d, 0, sizeof d);
  CHECK_EQ(gp__device_lowered(&d), 0);
  gp__device_announce_raise(&d, 1); /* no relay word: nothing */
  CHECK_EQ(gp__device_next_raise(&d), 1);
  CHECK_EQ(gp__device_next_raise(&d), 2);
  CHECK_EQ(gp__device_lowered(&d), -2);
  static volatile int32_t relay;
  d.relay_word = &relay;
  gp__device_announce_raise(&d, 2);
  CHECK_EQ(relay, 2);
  atomic_store(&d.raise_number, INT32_MAX - 1);
  CHECK_EQ(gp__device_next_raise(&d), INT32_MAX);
  CHECK_EQ(gp__device_lowered(&d), -INT32_MAX);
  CHECK_EQ(gp__device_next_raise(&d), 1);
}

/* A raise has landed once the word the GPU writes after its copy holds its
 * tag or a later one: a load, no CUDA call; tags compare cyclically, and a
 * released arm's older tag never counts for a later raise. */
static void raise_landed(void) {
  struct gp__device d;
  memset(&d, 0, sizeof d);
  static volatile uint32_t word;
  d.raise_word = &word;
  d.raise_tags = UINT32_MAX - 1;
  uint32_t tag = gp__device_next_raise_tag(&d);
  CHECK_EQ(tag, UINT32_MAX);
  atomic_store(&d.raise_tag, tag);
  word = tag - 1; /* a released arm's tag */
  CHECK(!gp__device_raise_landed(&d));
  word = tag;
  CHECK(gp__device_raise_landed(&d));
  word = tag + 1; /* 0: wrapped, and later */
  CHECK(gp__device_raise_landed(&d));
  tag = gp__device_next_raise_tag(&d);
  CHECK_EQ(tag, 0);
  atomic_store(&d.raise_tag, tag + 1);
  CHECK(!gp__device_raise_landed(&d));
}

/* physical_grid.h: a relay goes in a free place, or in a worker's where
 * the rounds of tickets stay as many; never where it is the only block. */
static void physical_grids(void) {
  bool relay;
  /* Fewer logical blocks than fit: the grid, and one more for a relay. */
  CHECK_EQ(gp__physical_grid(10, 1056, GP__RELAY_NONE, &relay), 10);
  CHECK(!relay);
  CHECK_EQ(gp__physical_grid(10, 1056, GP__RELAY_FREE_ONLY, &relay), 11);
  CHECK(relay);
  CHECK_EQ(gp__physical_grid(1, 2, GP__RELAY_ANY, &relay), 2);
  CHECK(relay);
  /* Exactly the GPU's size, or a multiple: one worker fewer would add a
   * round, so no relay. */
  CHECK_EQ(gp__physical_grid(1056, 1056, GP__RELAY_ANY, &relay), 1056);
  CHECK(!relay);
  CHECK_EQ(gp__physical_grid(2112, 1056, GP__RELAY_ANY, &relay), 1056);
  CHECK(!relay);
  /* Four rounds either way: the relay takes a worker's place, but only
   * where any place is allowed. */
  CHECK_EQ(gp__physical_grid(4096, 1056, GP__RELAY_ANY, &relay), 1056);
  CHECK(relay);
  CHECK_EQ(gp__physical_grid(4096, 1056, GP__RELAY_FREE_ONLY, &relay), 1056);
  CHECK(!relay);
  CHECK_EQ(gp__physical_grid(4096, 1056, GP__RELAY_NONE, &relay), 1056);
  CHECK(!relay);
  /* One block fits at a time: a relay would be the only block. */
  CHECK_EQ(gp__physical_grid(5, 1, GP__RELAY_ANY, &relay), 1);
  CHECK(!relay);
}

static void drain_percentiles(void) {
  gp_stats s;
  CHECK_EQ(gp_get_stats(&s), GP_SUCCESS);
  CHECK_EQ(s.drain_samples, 0);
  CHECK_EQ(s.drain_p50_us, 0);

  /* 1..100 in a scrambled order: nearest-rank p50 = 50, p99 = 99. */
  for (unsigned i = 0; i < 100; i++)
    gp__stats_drain((i * 37) % 100 + 1);
  CHECK_EQ(gp_get_stats(&s), GP_SUCCESS);
  CHECK_EQ(s.drain_samples, 100);
  CHECK_EQ(s.drain_p50_us, 50);
  CHECK_EQ(s.drain_p99_us, 99);
  CHECK_EQ(s.drain_max_us, 100);

  /* The window keeps the latest samples; the count and max are all-time. */
  for (unsigned i = 0; i < GP__DRAIN_WINDOW; i++)
    gp__stats_drain(7);
  CHECK_EQ(gp_get_stats(&s), GP_SUCCESS);
  CHECK_EQ(s.drain_samples, 100 + GP__DRAIN_WINDOW);
  CHECK_EQ(s.drain_p50_us, 7);
  CHECK_EQ(s.drain_p99_us, 7);
  CHECK_EQ(s.drain_max_us, 100);
  /* Huge samples saturate instead of wrapping. */
  gp__stats_drain(UINT64_C(1) << 40);
  CHECK_EQ(gp_get_stats(&s), GP_SUCCESS);
  CHECK_EQ(s.drain_max_us, UINT64_C(1) << 40);
}

static void counters(void) {
  gp__stats_unpreempted(GP__WHY_REFUSED, GP_REFUSAL_BARRIER);
  gp__stats_unpreempted(GP__WHY_NOT_INSTRUMENTED, 0);
  gp__stats_unpreempted(GP__WHY_DISABLED, 0);
  gp__stats_unpreempted(GP__WHY_CUDA_ERROR, 0);
  gp__stats_unpreempted(GP__WHY_NO_MEMORY, 0);
  gp__stats_preemptible();
  gp_stats s;
  CHECK_EQ(gp_get_stats(&s), GP_SUCCESS);
  CHECK_EQ(s.launches_preemptible, 1);
  CHECK_EQ(s.launches_unpreempted, 5);
  CHECK_EQ(s.unpreempted_refused, 1);
  CHECK_EQ(s.unpreempted_not_instrumented, 1);
  CHECK_EQ(s.unpreempted_no_memory, 1);
  CHECK_EQ(s.unpreempted_other, 2);
}

static void names(void) {
  for (uint32_t r = 0; r < GP_REFUSAL_COUNT; r++) {
    const char *name = gp__refusal_name(r);
    CHECK(name != NULL && strcmp(name, "unknown") != 0);
    for (uint32_t q = 0; q < r; q++)
      CHECK(strcmp(name, gp__refusal_name(q)) != 0);
  }
  CHECK(strcmp(gp__refusal_name(GP_REFUSAL_COUNT), "unknown") == 0);
  CHECK(strcmp(gp__refusal_name(UINT32_MAX), "unknown") == 0);
  CHECK(strcmp(gp__refusal_name(GP_REFUSAL_BARRIER), "barrier") == 0);
  for (int w = 0; w < GP__WHY_COUNT; w++)
    CHECK(strcmp(gp__why_name((enum gp__why)w), "unknown") != 0);
  CHECK(strcmp(gp__why_name(GP__WHY_COUNT), "unknown") == 0);
}

static void *fail_in_thread(void *arg) {
  (void)arg;
  CHECK_EQ(gp_last_cuda_error(), 0); /* not the main thread's */
  CHECK_EQ(gp__cuda_failure(2), GP_ERROR_CUDA);
  CHECK_EQ(gp_last_cuda_error(), 2);
  return NULL;
}

static void thread_local_error(void) {
  CHECK_EQ(gp__cuda_failure(700), GP_ERROR_CUDA);
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, fail_in_thread, NULL), 0);
  pthread_join(t, NULL);
  CHECK_EQ(gp_last_cuda_error(), 700);
}

static void resume_levels(void) {
  int first;
  unsigned levels;
  /* H100 and H200: 0 (least) to -5. Best effort is 0 only: one level. */
  gp__resume_levels_for_range(0, -5, &first, &levels);
  CHECK_EQ(first, 0);
  CHECK_EQ(levels, 1);
  /* No priorities at all. */
  gp__resume_levels_for_range(0, 0, &first, &levels);
  CHECK_EQ(first, 0);
  CHECK_EQ(levels, 1);
  /* A range with lower priorities than 0: a level each, up to the cap. */
  gp__resume_levels_for_range(2, -3, &first, &levels);
  CHECK_EQ(first, 0);
  CHECK_EQ(levels, 3);
  gp__resume_levels_for_range(100, -3, &first, &levels);
  CHECK_EQ(levels, GP__RESUME_LEVELS);
  /* Nothing at or below 0: one level at the least priority, never none. */
  gp__resume_levels_for_range(-1, -4, &first, &levels);
  CHECK_EQ(first, -1);
  CHECK_EQ(levels, 1);

  /* Streams of the launch's own priority, else the nearest level's, so the
   * set stays bounded whatever the priority. */
  CHECK_EQ(gp__resume_level(0, 1, 0), 0);
  CHECK_EQ(gp__resume_level(0, 1, 5), 0);
  CHECK_EQ(gp__resume_level(0, 3, 1), 1);
  CHECK_EQ(gp__resume_level(0, 3, 2), 2);
  CHECK_EQ(gp__resume_level(0, 3, 7), 2);
  CHECK_EQ(gp__resume_level(0, 3, -2), 0);
  CHECK_EQ(gp__resume_level(0, 4, 2147483647), 3);
  CHECK_EQ(gp__resume_level(-1, 1, -2147483647 - 1), 0);
}

static struct gp__launch_rec launch_on(unsigned long long stream_id,
                                       enum gp__stream_sync sync) {
  struct gp__launch_rec rec = {0};
  rec.stream_id = stream_id;
  rec.sync = sync;
  return rec;
}

static void stream_set(void) {
  struct gp__launch_rec a1 = launch_on(1, GP__SYNC_BLOCKING),
                       a2 = launch_on(1, GP__SYNC_BLOCKING),
                       b = launch_on(2, GP__SYNC_NONE),
                       c = launch_on(3, GP__SYNC_BLOCKING),
                       legacy = launch_on(0, GP__SYNC_LEGACY),
                       d = launch_on(4, GP__SYNC_NONE);
  /* The per-thread default stream of another thread is another stream. */
  struct gp__launch_rec other_thread = a1;
  other_thread.thread_key = 42;

  struct gp__stream_set s;
  gp__stream_set_init(&s);
  CHECK(!gp__stream_set_holds(&s, &a1));
  CHECK_EQ(gp__stream_set_unfinished(&s, &a1), 0);

  gp__stream_set_add(&s, &a1);
  CHECK(gp__stream_set_holds(&s, &a2)); /* stream order */
  CHECK(!gp__stream_set_holds(&s, &b)); /* non-blocking: independent */
  CHECK(!gp__stream_set_holds(&s, &c)); /* two blocking streams: too */
  CHECK(gp__stream_set_holds(&s, &legacy)); /* legacy waits for blocking */
  CHECK(!gp__stream_set_holds(&s, &other_thread));
  CHECK_EQ(gp__stream_set_unfinished(&s, &a2), 1);
  gp__stream_set_add(&s, &a2);
  CHECK_EQ(gp__stream_set_unfinished(&s, &a1), 2);
  CHECK_EQ(gp__stream_set_unfinished(&s, &b), 0);

  /* An unfinished legacy launch holds back blocking streams, not others. */
  gp__stream_set_init(&s);
  gp__stream_set_add(&s, &legacy);
  CHECK(gp__stream_set_holds(&s, &c));
  CHECK(!gp__stream_set_holds(&s, &d));

  /* Full: streams it could not take are "don't know", never "none". */
  gp__stream_set_init(&s);
  struct gp__launch_rec many[GP__STREAM_SET_MAX + 1];
  for (unsigned i = 0; i <= GP__STREAM_SET_MAX; i++) {
    many[i] = launch_on(100 + i, GP__SYNC_NONE);
    gp__stream_set_add(&s, &many[i]);
  }
  CHECK(s.full);
  CHECK_EQ(gp__stream_set_unfinished(&s, &many[0]), 1);
  CHECK_EQ(gp__stream_set_unfinished(&s, &many[GP__STREAM_SET_MAX]), -1);
  CHECK(gp__stream_set_holds(&s, &many[0]));
}

/* The census of a device's streams (stream_set.h): a walk's set covers it
 * once it holds every stream listed, never while a stream it lacks still
 * has a launch, and never once a stream overflowed the census. */
static void stream_census(void) {
  struct gp__launch_rec a1 = launch_on(1, GP__SYNC_NONE),
                       a2 = launch_on(1, GP__SYNC_NONE),
                       b = launch_on(2, GP__SYNC_NONE);
  struct gp__stream_census c = {0};
  gp__census_add(&c, &a1);
  gp__census_add(&c, &a2);
  gp__census_add(&c, &b);
  CHECK_EQ(c.n, 2);

  struct gp__stream_set s;
  gp__stream_set_init(&s);
  gp__stream_set_add(&s, &a1);
  CHECK(!gp__stream_set_covers(&s, &c)); /* b's stream not met yet */
  gp__stream_set_add(&s, &b);
  CHECK(gp__stream_set_covers(&s, &c));

  /* b leaves the list: its stream goes with its last launch. */
  gp__census_remove(&c, &b);
  CHECK_EQ(c.n, 1);
  gp__stream_set_init(&s);
  gp__stream_set_add(&s, &a1);
  CHECK(gp__stream_set_covers(&s, &c));
  gp__census_remove(&c, &a1);
  CHECK_EQ(c.n, 1); /* a2 is still listed */
  gp__census_remove(&c, &a2);
  CHECK_EQ(c.n, 0);

  /* More streams than it holds: never covered while one overflowed, and
   * the overflowed launch's leaving is counted where it was. */
  struct gp__launch_rec many[GP__STREAM_SET_MAX + 1];
  for (unsigned i = 0; i <= GP__STREAM_SET_MAX; i++) {
    many[i] = launch_on(200 + i, GP__SYNC_NONE);
    gp__census_add(&c, &many[i]);
  }
  CHECK_EQ(c.n, GP__STREAM_SET_MAX);
  CHECK_EQ(c.overflow, 1);
  CHECK(many[GP__STREAM_SET_MAX].census_overflow);
  gp__stream_set_init(&s);
  for (unsigned i = 0; i < GP__STREAM_SET_MAX; i++)
    gp__stream_set_add(&s, &many[i]);
  CHECK(!gp__stream_set_covers(&s, &c));
  gp__census_remove(&c, &many[0]); /* room now, but the overflow stays */
  struct gp__launch_rec again = launch_on(200 + GP__STREAM_SET_MAX,
                                          GP__SYNC_NONE);
  gp__census_add(&c, &again); /* the overflowed stream, in the table now */
  gp__census_remove(&c, &many[GP__STREAM_SET_MAX]);
  CHECK_EQ(c.overflow, 0);
  CHECK_EQ(c.n, GP__STREAM_SET_MAX);
}

int main(void) {
  stream_set();
  stream_census();
  size_classes();
  pool_keeps_clean_state();
  buffer_epochs();
  left_word_says();
  arm_fire();
  raise_numbers();
  raise_landed();
  physical_grids();
  resume_levels();
  drain_percentiles();
  counters();
  names();
  thread_local_error();
  return check_failures() != 0;
}
