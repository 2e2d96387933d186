/* Randomized checks of the census (stream_set.h) together with the launch
 * list it counts: the walks that stop once their stream set covers the
 * census (gp__rec_reap, and the busy walk of gp_wait_drained) must leave and
 * find exactly what walks to the end of the list would.
 *
 * A device struct holds real records (gp__rec_append), whose completion is
 * told by a left word the test writes as the kernel would (abi.h:
 * GP_LEFT_VALUE), so no CUDA call is made. A model beside it knows each
 * launch's state; launches finish in an order the streams allow (stream
 * order, and the legacy default stream against blocking streams), and some
 * seeds use more streams than the census holds, so that it overflows.
 * After every step: the census is a recount of the list, and a busy walk
 * finds the launches the model says are on the GPU and not held back;
 * after every reap, the list is what the model says a full walk leaves.
 */
#include "check.h"

#include "busy_walk.h"
#include "device.h"
#include "record.h"
#include "stream_set.h"

#include <gpreempt/abi.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEEDS 200
#define STEPS 300
#define MAX_STREAMS 48 /* more than GP__STREAM_SET_MAX: overflow */
#define MAX_LAUNCHES (STEPS * 4)

/* splitmix64: the same sequence on every machine. */
static uint64_t next_random(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static unsigned below(uint64_t *state, unsigned n) {
  return (unsigned)(next_random(state) % n);
}

/* A user stream as launch.c records it. */
struct model_stream {
  unsigned long long id;
  uintptr_t thread_key; /* per-thread default streams: their thread */
  enum gp__stream_sync sync;
};

enum launch_state {
  ON_GPU,   /* queued or running: its latest instance has not left */
  YIELDED,  /* left without completing the grid; not finished */
  COMPLETE, /* finished: the grid is complete and it has left */
};

struct model_launch {
  struct gp__left_slot left;  /* the word its kernel writes as it leaves */
  struct gp__launch_rec *rec; /* while listed; freed by the reap */
  unsigned stream;
  enum launch_state state;
  uint32_t epoch, instances;
  uint64_t word_before; /* the buffer's word from an earlier launch */
  bool pinned;
};

struct world {
  struct gp__device d;
  struct model_stream streams[MAX_STREAMS];
  unsigned n_streams;
  struct model_launch launches[MAX_LAUNCHES]; /* by seq */
  unsigned listed[MAX_LAUNCHES];              /* seqs on the list, in order */
  unsigned n_listed;
  uint64_t random;
};

/* How often the conditions worth testing came up, over all seeds. */
static unsigned walks_that_could_stop_early, steps_with_overflow;

/* Streams met so far by a walk of the model, in launch order, that have an
 * unfinished launch: those hold back later launches (stream_set.h). */
struct unfinished_streams {
  bool stream[MAX_STREAMS];
  unsigned distinct;
  bool legacy, blocking; /* an unfinished launch of that sync kind */
};

/* Would one of them keep a launch on `stream` from starting? The model's
 * own rule, written apart from gp__rec_holds_back's. */
static bool model_held(const struct world *w, const struct unfinished_streams *u,
                       unsigned stream) {
  enum gp__stream_sync sync = w->streams[stream].sync;
  return u->stream[stream] || (sync == GP__SYNC_BLOCKING && u->legacy) ||
         (sync == GP__SYNC_LEGACY && u->blocking);
}

/* The walk has met `m`. */
static void model_note(const struct world *w, struct unfinished_streams *u,
                       const struct model_launch *m) {
  if (m->state == COMPLETE)
    return;
  if (!u->stream[m->stream])
    u->distinct++;
  u->stream[m->stream] = true;
  u->legacy |= w->streams[m->stream].sync == GP__SYNC_LEGACY;
  u->blocking |= w->streams[m->stream].sync == GP__SYNC_BLOCKING;
}

/* The left word's value in `state` (record.c: done and idle read it). */
static uint64_t word_for(const struct model_launch *m) {
  switch (m->state) {
  case ON_GPU: /* the instance before it has left, or none has */
    return m->instances == 1 ? m->word_before
                             : GP_LEFT_VALUE(m->epoch, m->instances - 1, 0);
  case YIELDED:
    return GP_LEFT_VALUE(m->epoch, m->instances, 0);
  case COMPLETE:
    return GP_LEFT_VALUE(m->epoch, m->instances, 1);
  }
  return 0;
}

static void set_state(struct model_launch *m, enum launch_state state) {
  m->state = state;
  m->left.word = word_for(m);
}

/* Streams of a seed: maybe the legacy default stream, maybe per-thread
 * default streams of two threads (one id, told apart by thread), then
 * ordinary streams, blocking or not. Every fourth seed has more streams
 * than the census holds. */
static void make_streams(struct world *w, unsigned seed) {
  unsigned n = seed % 4 == 0 ? GP__STREAM_SET_MAX + 1 + below(&w->random, 12)
                             : 2 + below(&w->random, 9);
  w->n_streams = 0;
  if (below(&w->random, 3) != 0)
    w->streams[w->n_streams++] =
        (struct model_stream){1, 0, GP__SYNC_LEGACY};
  unsigned threads = below(&w->random, 3);
  for (unsigned t = 0; t < threads; t++)
    w->streams[w->n_streams++] =
        (struct model_stream){2, 0x1000 + t, GP__SYNC_BLOCKING};
  while (w->n_streams < n) {
    enum gp__stream_sync sync =
        below(&w->random, 2) ? GP__SYNC_BLOCKING : GP__SYNC_NONE;
    w->streams[w->n_streams] =
        (struct model_stream){100 + w->n_streams, 0, sync};
    w->n_streams++;
  }
}

static bool census_has(const struct gp__stream_census *c,
                       const struct model_stream *s) {
  for (unsigned i = 0; i < c->n; i++)
    if (c->streams[i].stream_id == s->id &&
        c->streams[i].thread_key == s->thread_key)
      return true;
  return false;
}

/* A launch on `stream`, appended as the launch path does. Its buffer may
 * hold an earlier launch's word (an older epoch), which must not count. */
static void append(struct world *w, unsigned stream) {
  unsigned seq = (unsigned)w->d.next_seq;
  struct model_launch *m = &w->launches[seq];
  memset(m, 0, sizeof *m);
  m->stream = stream;
  m->epoch = 2 + below(&w->random, 5);
  m->instances = 1;
  m->word_before = below(&w->random, 2)
                       ? GP_LEFT_VALUE(m->epoch - 1, 1 + below(&w->random, 3),
                                       below(&w->random, 2))
                       : 0;
  set_state(m, ON_GPU);

  unsigned char *args;
  struct gp__launch_rec *rec = gp__rec_alloc(0, 0, &args);
  CHECK(rec != NULL);
  if (rec == NULL)
    return;
  const struct model_stream *s = &w->streams[stream];
  rec->stream_id = s->id;
  rec->thread_key = s->thread_key;
  rec->sync = s->sync;
  rec->left = &m->left;
  rec->buffer.left = &m->left;
  rec->epoch = m->epoch;
  rec->instances = 1;
  rec->launched = true;
  m->rec = rec;

  /* A launch overflows the census exactly when its stream is not counted
   * and there is no room for it. */
  bool counted = census_has(&w->d.census, s);
  bool room = w->d.census.n < GP__STREAM_SET_MAX;
  gp__rec_append(&w->d, rec);
  CHECK_EQ(rec->seq, seq);
  CHECK_EQ(rec->census_overflow, !counted && !room);
  w->listed[w->n_listed++] = seq;
}

/* One launch that may move on does: one that no unfinished launch holds
 * back leaves (yielding or complete), and one that yielded is relaunched
 * (as gp__relaunch: rarely pinned, which keeps it listed forever). */
static void progress(struct world *w) {
  unsigned movable[MAX_LAUNCHES], n = 0;
  struct unfinished_streams u = {0};
  for (unsigned i = 0; i < w->n_listed; i++) {
    struct model_launch *m = &w->launches[w->listed[i]];
    if (m->state != COMPLETE && !model_held(w, &u, m->stream))
      movable[n++] = w->listed[i];
    model_note(w, &u, m);
  }
  if (n == 0)
    return;
  struct model_launch *m = &w->launches[movable[below(&w->random, n)]];
  if (m->state == ON_GPU) {
    set_state(m, below(&w->random, 5) < 3 ? COMPLETE : YIELDED);
    return;
  }
  m->instances++;
  m->rec->instances++;
  m->rec->relaunched = true;
  if (below(&w->random, 40) == 0)
    m->pinned = m->rec->pinned = true;
  set_state(m, ON_GPU);
}

/* The list as the device holds it, in seqs; CHECKs its links. */
static unsigned device_list(struct world *w, unsigned *seqs) {
  unsigned n = 0;
  struct gp__launch_rec *last = NULL;
  for (struct gp__launch_rec *r = w->d.head; r != NULL && n < MAX_LAUNCHES;
       r = r->next) {
    seqs[n++] = (unsigned)r->seq;
    last = r;
  }
  CHECK(w->d.tail == last);
  CHECK_EQ(atomic_load(&w->d.n_active), n);
  return n;
}

/* Reports the first difference only: the rest follows from it. */
static void check_same_seqs(const unsigned *got, unsigned n_got,
                            const unsigned *want, unsigned n_want) {
  CHECK_EQ(n_got, n_want);
  unsigned i = 0;
  while (i < n_got && i < n_want && got[i] == want[i])
    i++;
  if (i < n_got && i < n_want)
    CHECK_EQ(got[i], want[i]);
}

/* The device's list is the model's. */
static void check_list(struct world *w) {
  unsigned got[MAX_LAUNCHES];
  unsigned n_got = device_list(w, got);
  check_same_seqs(got, n_got, w->listed, w->n_listed);
}

/* (1) The census is a recount of the list: each listed stream's launches
 * that it took, once, and the others in `overflow`. */
static void check_census(struct world *w) {
  const struct gp__stream_census *c = &w->d.census;
  unsigned counted[MAX_STREAMS] = {0}, overflowed = 0, streams = 0;
  for (struct gp__launch_rec *r = w->d.head; r != NULL; r = r->next) {
    if (r->census_overflow)
      overflowed++;
    else if (counted[w->launches[r->seq].stream]++ == 0)
      streams++;
  }
  CHECK_EQ(c->overflow, overflowed);
  CHECK_EQ(c->n, streams);
  bool seen[MAX_STREAMS] = {false};
  for (unsigned i = 0; i < c->n && i < GP__STREAM_SET_MAX; i++) {
    unsigned s = 0;
    while (s < w->n_streams &&
           !(w->streams[s].id == c->streams[i].stream_id &&
             w->streams[s].thread_key == c->streams[i].thread_key))
      s++;
    CHECK(s < w->n_streams);
    if (s == w->n_streams)
      continue;
    CHECK(!seen[s]); /* one entry a stream */
    seen[s] = true;
    CHECK_EQ(c->streams[i].launches, counted[s]);
  }
  steps_with_overflow += c->overflow > 0;
}

/* (2) A reap looks at the first `budget` launches and frees those complete,
 * idle and not pinned (held back, none could be complete): stopping early
 * must change nothing, and nothing unfinished may go. */
static void reap_and_check(struct world *w, size_t budget) {
  unsigned want[MAX_LAUNCHES], n_want = 0;
  struct unfinished_streams u = {0};
  for (unsigned i = 0; i < w->n_listed; i++) {
    struct model_launch *m = &w->launches[w->listed[i]];
    bool held = model_held(w, &u, m->stream);
    CHECK(!(held && m->state == COMPLETE)); /* the model keeps stream order */
    bool freed = i < budget && m->state == COMPLETE && !m->pinned && !held;
    if (!freed)
      want[n_want++] = w->listed[i];
    model_note(w, &u, m);
  }

  gp__rec_reap(&w->d, budget);
  unsigned got[MAX_LAUNCHES];
  unsigned n_got = device_list(w, got);
  check_same_seqs(got, n_got, want, n_want);

  /* The model follows the device, whatever it did. */
  unsigned kept = 0;
  for (unsigned i = 0, j = 0; i < w->n_listed; i++) {
    struct model_launch *m = &w->launches[w->listed[i]];
    if (j < n_got && got[j] == w->listed[i]) {
      w->listed[kept++] = got[j++];
      continue;
    }
    CHECK(m->state == COMPLETE && !m->pinned); /* freed: finished */
    m->rec = NULL;
  }
  w->n_listed = kept;
}

/* (3) A busy walk of the launches before `before_seq` finds those on the
 * GPU that no unfinished launch before them holds back (drain.c), in
 * launch order: stopping early must miss none. */
static void busy_walk_and_check(struct world *w, uint64_t before_seq) {
  unsigned want[MAX_LAUNCHES], n_want = 0;
  unsigned listed_streams = w->d.census.n; /* checked against a recount */
  struct unfinished_streams u = {0};
  bool could_stop = false;
  for (unsigned i = 0; i < w->n_listed && w->listed[i] < before_seq; i++) {
    struct model_launch *m = &w->launches[w->listed[i]];
    if (m->state == ON_GPU && !model_held(w, &u, m->stream))
      want[n_want++] = w->listed[i];
    model_note(w, &u, m);
    could_stop |= w->d.census.overflow == 0 && u.distinct == listed_streams &&
                  i + 1 < w->n_listed && w->listed[i + 1] < before_seq;
  }
  walks_that_could_stop_early += could_stop;

  unsigned got[MAX_LAUNCHES], n_got = 0;
  struct gp__busy_walk walk;
  gp__busy_walk_begin(&walk, &w->d, before_seq);
  for (struct gp__launch_rec *r; n_got < MAX_LAUNCHES &&
                                 (r = gp__busy_walk_next(&w->d, &walk)) != NULL;)
    got[n_got++] = (unsigned)r->seq;
  check_same_seqs(got, n_got, want, n_want);
}

/* Budgets as the launch path and gp_resume use them: a few, or all. */
static size_t random_budget(struct world *w) {
  switch (below(&w->random, 4)) {
  case 0:
    return below(&w->random, 3);
  case 1:
    return 1 + below(&w->random, 8);
  case 2:
    return 1 + below(&w->random, w->n_listed + 1);
  default:
    return SIZE_MAX;
  }
}

/* Appends outnumber what finishes at first, so that lists grow long enough
 * to cover many streams, then reaps catch up. */
static void step(struct world *w) {
  unsigned action = below(&w->random, 20);
  if (action < 6) {
    unsigned n = 1 + below(&w->random, 4);
    for (unsigned i = 0; i < n && w->d.next_seq < MAX_LAUNCHES; i++)
      append(w, below(&w->random, w->n_streams));
  } else if (action < 16) {
    progress(w);
  } else {
    reap_and_check(w, random_budget(w));
  }
}

static void world_begin(struct world *w, unsigned seed) {
  memset(w, 0, sizeof *w);
  pthread_mutex_init(&w->d.lock, NULL);
  pthread_mutex_init(&w->d.pool.lock, NULL);
  w->random = seed;
  make_streams(w, seed);
}

static void world_end(struct world *w) {
  for (unsigned i = 0; i < w->n_listed; i++)
    free(w->launches[w->listed[i]].rec);
  free(w->d.pool.buffers);
  pthread_mutex_destroy(&w->d.pool.lock);
  pthread_mutex_destroy(&w->d.lock);
}

/* Stops at the first step that fails, so that its report comes alone. */
static void run_seed(unsigned seed) {
  static struct world w;
  world_begin(&w, seed);
  int failures = check_failures();
  for (unsigned s = 0; s < STEPS && check_failures() == failures; s++) {
    step(&w);
    check_list(&w);
    check_census(&w);
    busy_walk_and_check(&w, below(&w.random, (unsigned)w.d.next_seq + 1));
    if (check_failures() != failures)
      fprintf(stderr, "census_walks: seed %u, step %u\n", seed, s);
  }
  world_end(&w);
}

int main(void) {
  for (unsigned seed = 0; seed < SEEDS && check_failures() == 0; seed++)
    run_seed(seed);
  if (check_failures() != 0)
    return 1;
  /* The checks are worth something only where these came up. */
  CHECK(walks_that_could_stop_early > 0);
  CHECK(steps_with_overflow > 0);
  printf("census_walks: %u walks could stop early, %u steps overflowed\n",
         walks_that_could_stop_early, steps_with_overflow);
  return check_failures() != 0;
}
