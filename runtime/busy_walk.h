/* busy_walk.h - the launches of a device still on the GPU, in launch order:
 * what gp_wait_drained waits for and gp_stream_wait_drained enqueues waits
 * for (drain.c).
 *
 * The launches appended before `before_seq` that have not left the GPU. One
 * held back by an unfinished launch before it (stream order, or the legacy
 * default stream's: stream_set.h) has not started, so it does not count:
 * waiting for it would wait for gp_resume(). A walk stops once every stream
 * of the device's census holds an unfinished launch of the walk's: all
 * later launches are held back. Caller holds d->lock for the whole walk.
 */
#ifndef GPREEMPT_RUNTIME_BUSY_WALK_H
#define GPREEMPT_RUNTIME_BUSY_WALK_H

#include "device.h"
#include "record.h"
#include "stream_set.h"

#include <stdint.h>

struct gp__busy_walk {
  struct gp__stream_set unfinished; /* met so far */
  struct gp__launch_rec *at;        /* the next to look at */
  uint64_t before_seq;
};

void gp__busy_walk_begin(struct gp__busy_walk *w, struct gp__device *d,
                         uint64_t before_seq);

/* The next launch of the walk that has not left the GPU, or NULL. */
struct gp__launch_rec *gp__busy_walk_next(struct gp__device *d,
                                          struct gp__busy_walk *w);

#endif
