/* resumer.h - the thread that makes relaunches gp_resume() could not make yet.
 *
 * gp_resume_after() leaves all its relaunches to it: they wait for the
 * latency-critical work anyway, and the CUDA calls would cost that work's
 * host thread tens of microseconds.
 *
 * gp_resume() relaunches a launch only once its previous instance has left
 * the GPU, so that the relaunch waits for nothing on the shared resume
 * streams (resume_streams.h). A launch whose previous instance is still
 * queued or running (gp_resume() without gp_wait_drained(), or a launch
 * queued behind another on its stream) is marked owed instead, and this
 * thread makes its relaunch once that instance is gone, as long as the
 * device is not preempted again (then the next gp_resume() decides anew).
 *
 * Like gp_resume() it makes only calls that enqueue work or query events,
 * never one that creates something: it must not stop while another thread
 * holds a driver lock until a preempted kernel completes.
 */
#ifndef GP_RUNTIME_RESUMER_H
#define GP_RUNTIME_RESUMER_H

#include <stdbool.h>

/* Start the thread, once per process (later calls return the first call's
 * answer); false if it could not start. Call it after the CUDA runtime has
 * initialized: the thread is stopped and joined at exit, before cudart's own
 * teardown. */
bool gp__resumer_start(void);

/* Tell the thread that a relaunch is owed. Cheap; callers may hold a
 * device's lock (the thread never takes its own lock and a device's at once). */
void gp__resumer_wake(void);

#endif /* GP_RUNTIME_RESUMER_H */
