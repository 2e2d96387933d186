/* preempt.h - relaunching launches that a preemption may have stopped. */
#ifndef GP_RUNTIME_PREEMPT_H
#define GP_RUNTIME_PREEMPT_H

#include <gpreempt.h>

struct gp__device;
struct gp__launch_rec;

/* After a flag clear (d->depth == 0), relaunch `rec`, unless it is done, on
 * its resume stream, ordered after the clear and after its first launch.
 * Caller holds d->lock. */
gp_status gp__relaunch(struct gp__device *d, struct gp__launch_rec *rec);

#endif /* GP_RUNTIME_PREEMPT_H */
