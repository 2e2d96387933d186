/* stream_set.c - streams with unfinished launches, for walks of the launch
 * list (stream_set.h). */
#include "stream_set.h"

bool gp__rec_holds_back(const struct gp__launch_rec *e,
                        const struct gp__launch_rec *x) {
  if (gp__rec_same_stream(e, x))
    return true;
  return (e->sync == GP__SYNC_LEGACY && x->sync == GP__SYNC_BLOCKING) ||
         (e->sync == GP__SYNC_BLOCKING && x->sync == GP__SYNC_LEGACY);
}

void gp__stream_set_init(struct gp__stream_set *s) {
  s->n = 0;
  s->full = false;
}

static int find(const struct gp__stream_set *s,
                const struct gp__launch_rec *rec) {
  for (unsigned i = 0; i < s->n; i++)
    if (gp__rec_same_stream(s->streams[i].first, rec))
      return (int)i;
  return -1;
}

void gp__stream_set_add(struct gp__stream_set *s,
                        const struct gp__launch_rec *rec) {
  int i = find(s, rec);
  if (i >= 0) {
    s->streams[i].unfinished++;
  } else if (s->n < GP__STREAM_SET_MAX) {
    s->streams[s->n].first = rec;
    s->streams[s->n].unfinished = 1;
    s->n++;
  } else {
    s->full = true;
  }
}

bool gp__stream_set_holds(const struct gp__stream_set *s,
                          const struct gp__launch_rec *rec) {
  /* The sync kind is the stream's, so any one launch of it stands for all. */
  for (unsigned i = 0; i < s->n; i++)
    if (gp__rec_holds_back(s->streams[i].first, rec))
      return true;
  return false;
}

int gp__stream_set_unfinished(const struct gp__stream_set *s,
                              const struct gp__launch_rec *rec) {
  int i = find(s, rec);
  if (i >= 0)
    return (int)s->streams[i].unfinished;
  return s->full ? -1 : 0;
}

static int census_find(const struct gp__stream_census *c,
                       const struct gp__launch_rec *rec) {
  for (unsigned i = 0; i < c->n; i++)
    if (c->streams[i].stream_id == rec->stream_id &&
        c->streams[i].thread_key == rec->thread_key)
      return (int)i;
  return -1;
}

void gp__census_add(struct gp__stream_census *c, struct gp__launch_rec *rec) {
  int i = census_find(c, rec);
  if (i >= 0) {
    c->streams[i].launches++;
  } else if (c->n < GP__STREAM_SET_MAX) {
    c->streams[c->n].stream_id = rec->stream_id;
    c->streams[c->n].thread_key = rec->thread_key;
    c->streams[c->n].launches = 1;
    c->n++;
  } else {
    rec->census_overflow = true;
    c->overflow++;
  }
}

void gp__census_remove(struct gp__stream_census *c,
                       const struct gp__launch_rec *rec) {
  if (rec->census_overflow) {
    c->overflow--;
    return;
  }
  int i = census_find(c, rec);
  if (i < 0 || --c->streams[i].launches > 0)
    return;
  c->streams[i] = c->streams[--c->n]; /* order does not matter */
}

bool gp__stream_set_covers(const struct gp__stream_set *s,
                           const struct gp__stream_census *c) {
  return c->overflow == 0 && !s->full && s->n == c->n;
}
