/* stream_set.h - the user streams that have unfinished launches, met while
 * walking a device's launch list in launch order.
 *
 * A launch cannot start, let alone complete, while an earlier launch that
 * holds it back is unfinished: one on its own stream, and, between the
 * legacy default stream and blocking streams, one on the other side. So
 * once a walk has met an unfinished launch of a stream, the later launches
 * it holds back need no event query. A program may queue a thousand
 * launches; with the set, a walk queries one or two events per stream
 * instead of one per launch (and no longer compares every launch with every
 * earlier one), which kept gp_wait_drained from seeing a drain for
 * milliseconds.
 *
 * The set holds GP__STREAM_SET_MAX streams. When a walk meets more, the set
 * says `full`, and its answers about streams it does not hold are "don't
 * know": callers then decide exactly, the slow way.
 */
#ifndef GP_RUNTIME_STREAM_SET_H
#define GP_RUNTIME_STREAM_SET_H

#include "record.h"

#include <stdbool.h>

#define GP__STREAM_SET_MAX 32

struct gp__stream_set {
  unsigned n;
  bool full; /* a stream with an unfinished launch was not added */
  struct {
    const struct gp__launch_rec *first; /* its first unfinished launch */
    unsigned unfinished;                /* its unfinished launches so far */
  } streams[GP__STREAM_SET_MAX];
};

void gp__stream_set_init(struct gp__stream_set *s);

/* Note that `rec` is unfinished. */
void gp__stream_set_add(struct gp__stream_set *s,
                        const struct gp__launch_rec *rec);

/* Is `rec` held back by an unfinished launch added before? False can also
 * mean "don't know" when the set is full. */
bool gp__stream_set_holds(const struct gp__stream_set *s,
                          const struct gp__launch_rec *rec);

/* How many unfinished launches of rec's own stream were added, or -1 when
 * the set is full and does not hold that stream. */
int gp__stream_set_unfinished(const struct gp__stream_set *s,
                              const struct gp__launch_rec *rec);

/* Can `e`, unfinished, keep `x` from starting? Stream order does, and the
 * legacy default stream waits for (and is waited for by) every blocking
 * stream. Dependencies the user made with events are invisible. */
bool gp__rec_holds_back(const struct gp__launch_rec *e,
                        const struct gp__launch_rec *x);

#endif /* GP_RUNTIME_STREAM_SET_H */
