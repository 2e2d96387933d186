/* busy_walk.c - the launches still on the GPU (busy_walk.h). */
#include "busy_walk.h"

#include <stdbool.h>

/* Is `rec` held back by an unfinished launch before it? */
static bool held(struct gp__device *d, const struct gp__stream_set *unfinished,
                 const struct gp__launch_rec *rec) {
  if (gp__stream_set_holds(unfinished, rec))
    return true;
  if (!unfinished->full)
    return false;
  for (struct gp__launch_rec *e = d->head; e != rec; e = e->next)
    if (!gp__rec_done(e) && gp__rec_holds_back(e, rec))
      return true;
  return false;
}

void gp__busy_walk_begin(struct gp__busy_walk *w, struct gp__device *d,
                         uint64_t before_seq) {
  gp__stream_set_init(&w->unfinished);
  w->at = d->head;
  w->before_seq = before_seq;
}

struct gp__launch_rec *gp__busy_walk_next(struct gp__device *d,
                                          struct gp__busy_walk *w) {
  while (w->at != NULL && w->at->seq < w->before_seq &&
         !gp__stream_set_covers(&w->unfinished, &d->census)) {
    struct gp__launch_rec *rec = w->at;
    w->at = rec->next;
    if (held(d, &w->unfinished, rec)) {
      gp__stream_set_add(&w->unfinished, rec);
      continue;
    }
    /* A launch still on the GPU has not completed either: it holds back
     * the later ones of its stream. */
    bool busy = !gp__rec_idle(rec);
    if (busy || !gp__rec_done(rec))
      gp__stream_set_add(&w->unfinished, rec);
    if (busy)
      return rec;
  }
  return NULL;
}
