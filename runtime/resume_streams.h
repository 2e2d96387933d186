/* resume_streams.h - the few streams that every relaunch of a device runs on.
 *
 * gp_resume() may run while another host thread is inside a CUDA call that
 * holds a driver lock until a preempted kernel completes (a copy to pageable
 * host memory behind it, measured on an H100): creating a stream there
 * deadlocks. So relaunches never create anything: they go on a fixed set of
 * streams made at device initialization, GP__RESUME_STREAMS per best-effort
 * priority.
 *
 * The set is small because streams share the GPU's hardware queues
 * (CUDA_DEVICE_MAX_CONNECTIONS): with one stream per launch, dozens of them,
 * a relaunch ended up queued behind another stream's wait for a kernel that
 * only that relaunch could finish. Sharing a stream between relaunches is
 * safe because a relaunch is enqueued only once the launch's previous
 * instance has left the GPU (preempt.c): nothing on a resume stream waits
 * for anything but the flag clear, and every relaunch ends, by finishing or
 * by yielding, so the next one on the stream always gets its turn.
 */
#ifndef GP_RUNTIME_RESUME_STREAMS_H
#define GP_RUNTIME_RESUME_STREAMS_H

#include <gpreempt.h>

#include <cuda_runtime_api.h>

/* Streams per priority level: relaunches of up to this many launches run
 * side by side; more queue behind the one that has been busy longest. */
#define GP__RESUME_STREAMS 4
/* Best-effort priority levels with streams of their own (GPUs so far have
 * one: 0). Lower priorities share the last level's streams. */
#define GP__RESUME_LEVELS 4

struct gp__resume_stream {
  cudaStream_t stream; /* non-blocking, of its level's priority */
  cudaEvent_t ev_tail; /* after the latest relaunch enqueued on it */
};

struct gp__resume_streams {
  int first_priority; /* of level 0: the greatest best-effort priority */
  unsigned levels;    /* 1..GP__RESUME_LEVELS */
  struct gp__resume_stream lane[GP__RESUME_LEVELS][GP__RESUME_STREAMS];
  unsigned next[GP__RESUME_LEVELS]; /* round-robin start; guarded by d->lock */
};

struct gp__device;

/* The level whose streams carry relaunches of a launch made on a stream of
 * `priority`: the nearest one (pure; exposed for the unit tests). */
unsigned gp__resume_level(int first_priority, unsigned levels, int priority);

/* Which levels the device's priority range [greatest, least] needs:
 * best-effort launches are those on streams of priority >= 0. */
void gp__resume_levels_for_range(int least, int greatest, int *first_priority,
                                 unsigned *levels);

/* Create the device's resume streams and their events (at initialization,
 * on the current device, which must be d's). */
gp_status gp__resume_streams_create(struct gp__device *d, int least,
                                    int greatest);

/* The stream for a relaunch of a launch made at `priority`: the first idle
 * one of its level, else the next in turn. Creates nothing and waits for
 * nothing. Caller holds d->lock, and records the stream's ev_tail after the
 * relaunch (gp__resume_stream_mark). */
struct gp__resume_stream *gp__resume_stream_pick(struct gp__device *d,
                                                 int priority);

/* Record `rs`'s ev_tail after what was just enqueued on it. A failure only
 * makes the stream look idle to later picks, which then may queue behind
 * it: slower, never wrong. */
void gp__resume_stream_mark(struct gp__resume_stream *rs);

#endif /* GP_RUNTIME_RESUME_STREAMS_H */
