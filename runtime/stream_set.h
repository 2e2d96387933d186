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
 *
 * A device also counts the streams of all its listed launches (a census).
 * Once a walk's set holds an unfinished launch of every one of them, every
 * launch further down the list is held back: the walk can stop there
 * instead of going on through launches queued behind (a program that
 * queues a thousand launches made every walk cost 6-26 us of a lock that
 * gp_wait_drained and the launch path share: measured on the build
 * machine, 6 ns a launch).
 */
#ifndef GP_RUNTIME_STREAM_SET_H
#define GP_RUNTIME_STREAM_SET_H

#include "record.h"

#include <stdbool.h>
#include <stdint.h>

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

/* The streams of a device's listed launches and how many each has. Holds
 * GP__STREAM_SET_MAX streams; a launch of another one counts in
 * `overflow` (and says so in its record), and walks then never stop
 * early. Changed under the device's lock, as its list. */
struct gp__stream_census {
  unsigned n;
  unsigned overflow;
  struct {
    unsigned long long stream_id;
    uintptr_t thread_key;
    unsigned launches;
  } streams[GP__STREAM_SET_MAX];
};

/* `rec` joins, or leaves, the device's list. */
void gp__census_add(struct gp__stream_census *c, struct gp__launch_rec *rec);
void gp__census_remove(struct gp__stream_census *c,
                       const struct gp__launch_rec *rec);

/* Does `s` hold an unfinished launch of every stream of `c`? Then every
 * launch not yet walked is held back by one of them. Only for sets made by
 * walking the list `c` counts (their streams are among its streams). */
bool gp__stream_set_covers(const struct gp__stream_set *s,
                           const struct gp__stream_census *c);

#endif /* GP_RUNTIME_STREAM_SET_H */
