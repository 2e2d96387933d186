/* preempt.h - relaunching launches that a preemption may have stopped. */
#ifndef GP_RUNTIME_PREEMPT_H
#define GP_RUNTIME_PREEMPT_H

#include <gpreempt.h>

#include <cuda_runtime_api.h>
#include <stdbool.h>

struct gp__device;
struct gp__launch_rec;

/* After a flag clear (d->depth == 0), relaunch `rec`, unless it is done, on
 * a resume stream, ordered after the clear. If its latest instance has not
 * left the GPU yet, only mark the relaunch owed (the resumer thread makes
 * it). Creates nothing (see preempt.c). Caller holds d->lock and has the
 * device's context current. */
gp_status gp__relaunch(struct gp__device *d, struct gp__launch_rec *rec);

/* The resumer thread's look at `d`: unless it is preempted, make the
 * relaunches a gp_resume_after() left to it, and the owed relaunches whose
 * instance has left. True if some are still owed and the device is not
 * preempted (look again later). Takes d->lock. */
bool gp__relaunch_owed(struct gp__device *d);

/* Is `lc` a stream of `device` that is not capturing, as gp_resume_after()
 * and gp_stream_wait_drained() need? GP_SUCCESS or GP_ERROR_INVALID_STREAM.
 * Asks about capture first: other queries on a capturing stream end the
 * capture. */
gp_status gp__check_lc_stream(int device, cudaStream_t lc);

#endif /* GP_RUNTIME_PREEMPT_H */
