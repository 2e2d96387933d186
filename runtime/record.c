/* record.c - launch records: allocation, completion, reaping. */
#include "record.h"

#include "device.h"
#include "kernel_ref.h"
#include "stream_set.h"

#include <gpreempt/abi.h>

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>

struct gp__launch_rec *gp__rec_alloc(uint32_t num_params, size_t args_bytes,
                                     unsigned char **args) {
  /* One allocation: the record, the params array, then the argument bytes
   * (aligned for any parameter type; cuLaunchKernel copies them through
   * params[] at each launch, so they must live as long as the record). */
  size_t n_params = (size_t)num_params + GP_EXTRA_PARAMS;
  size_t params_at = sizeof(struct gp__launch_rec);
  size_t args_at = params_at + n_params * sizeof(void *);
  args_at = (args_at + alignof(max_align_t) - 1) / alignof(max_align_t) *
            alignof(max_align_t);
  unsigned char *block = malloc(args_at + args_bytes);
  if (block == NULL)
    return NULL;
  struct gp__launch_rec *rec = (struct gp__launch_rec *)block;
  *rec = (struct gp__launch_rec){0};
  rec->params = (void **)(block + params_at);
  *args = block + args_at;
  return rec;
}

/* True unless the event is still pending. */
static bool event_finished(cudaEvent_t ev) {
  cudaError_t err = cudaEventQuery(ev);
  if (err == cudaErrorNotReady)
    return false;
  if (err != cudaSuccess)
    (void)cudaGetLastError(); /* a failed query is ours, not the user's */
  return true;
}

/* The left word's value once the latest instance has left without
 * completing the grid (abi.h: GP_LEFT_VALUE). */
static uint64_t left_when_idle(const struct gp__launch_rec *rec) {
  return GP_LEFT_VALUE(rec->epoch, rec->instances, 0);
}

bool gp__rec_done(struct gp__launch_rec *rec) {
  if (rec->done)
    return true;
  if (rec->left != NULL) {
    /* The epoch in the high half: an older launch's value (same buffer)
     * is never taken for this one's. */
    uint64_t seen = gp__left_word_load(rec->left);
    if (seen >> 32 != rec->epoch || (seen & 1) == 0)
      return false;
    rec->done = rec->completed = true;
    return true;
  }
  cudaError_t err = cudaEventQuery(rec->ev_done);
  if (err == cudaErrorNotReady)
    return false;
  if (err == cudaSuccess)
    rec->completed = rec->launched;
  else
    (void)cudaGetLastError(); /* a failed query is ours, not the user's */
  rec->done = true;
  return true;
}

bool gp__rec_idle(const struct gp__launch_rec *rec) {
  if (rec->left != NULL)
    return gp__left_word_load(rec->left) >= left_when_idle(rec);
  return event_finished(rec->relaunched ? rec->ev_last : rec->ev_ran);
}

bool gp__rec_same_stream(const struct gp__launch_rec *a,
                         const struct gp__launch_rec *b) {
  return a->stream_id == b->stream_id && a->thread_key == b->thread_key;
}

void gp__rec_append(struct gp__device *d, struct gp__launch_rec *rec) {
  rec->next = NULL;
  rec->seq = d->next_seq++;
  if (d->tail != NULL)
    d->tail->next = rec;
  else
    d->head = rec;
  d->tail = rec;
  gp__census_add(&d->census, rec);
  atomic_fetch_add_explicit(&d->n_active, 1, memory_order_relaxed);
}

void gp__rec_set_owed(struct gp__device *d, struct gp__launch_rec *rec,
                      bool owed) {
  if (rec->owed == owed)
    return;
  rec->owed = owed;
  if (owed)
    atomic_fetch_add_explicit(&d->n_owed, 1, memory_order_relaxed);
  else
    atomic_fetch_sub_explicit(&d->n_owed, 1, memory_order_relaxed);
}

/* Those it took (none where the left word tells; record.h). */
static void put_events(struct gp__device *d, struct gp__launch_rec *rec) {
  if (rec->ev_ran != NULL)
    gp__pool_put_event(d, rec->ev_ran);
  if (rec->ev_done != NULL)
    gp__pool_put_event(d, rec->ev_done);
  if (rec->ev_last != NULL)
    gp__pool_put_event(d, rec->ev_last);
}

struct gp__buffer gp__rec_buffer_back(const struct gp__launch_rec *rec) {
  /* A grid that completed left its control block clean (abi.h); the save
   * area after it is not. Anything else: clear it before the next use. A
   * clean block also holds the buffer's left word's address, if the launch
   * used it. The epoch goes on either way (pool.h). */
  struct gp__buffer buf = rec->buffer;
  bool clean = rec->completed && rec->left == buf.left;
  buf.clean_bytes = clean ? rec->ctl_bytes : 0;
  buf.epoch = rec->epoch;
  return buf;
}

static void release(struct gp__device *d, struct gp__launch_rec *rec) {
  gp__rec_set_owed(d, rec, false); /* done: nothing is owed any more */
  struct gp__buffer buf = gp__rec_buffer_back(rec);
  gp__pool_put_buffer(d, &buf);
  put_events(d, rec);
  free(rec);
}

void gp__rec_reap(struct gp__device *d, size_t budget) {
  /* Launches held back by an unfinished one have not completed: no query. */
  struct gp__stream_set unfinished;
  gp__stream_set_init(&unfinished);
  struct gp__launch_rec *prev = NULL, *rec = d->head;
  while (rec != NULL && budget-- > 0 &&
         !gp__stream_set_covers(&unfinished, &d->census)) {
    struct gp__launch_rec *next = rec->next;
    /* Done is not enough: a relaunch of a grid that completed meanwhile may
     * still be about to read the control block (it exits at once). */
    if (!gp__stream_set_holds(&unfinished, rec) && !rec->pinned &&
        gp__rec_done(rec) && gp__rec_idle(rec)) {
      if (prev != NULL)
        prev->next = next;
      else
        d->head = next;
      if (d->tail == rec)
        d->tail = prev;
      gp__census_remove(&d->census, rec);
      atomic_fetch_sub_explicit(&d->n_active, 1, memory_order_relaxed);
      release(d, rec);
    } else {
      if (!rec->done)
        gp__stream_set_add(&unfinished, rec);
      prev = rec;
    }
    rec = next;
  }
}

void gp__rec_discard(struct gp__device *d, struct gp__launch_rec *rec,
                     bool buffer_unused) {
  if (buffer_unused && rec->buffer.ptr != NULL)
    gp__pool_put_buffer(d, &rec->buffer); /* as it was taken */
  /* Events were never recorded (or have completed): safe to reuse. */
  put_events(d, rec);
  free(rec);
}
