/* resume_streams.c - the fixed set of streams relaunches run on. */
#include "resume_streams.h"

#include "config.h"
#include "device.h"
#include "status.h"

unsigned gp__resume_level(int first_priority, unsigned levels, int priority) {
  if (levels == 0 || priority <= first_priority)
    return 0;
  long long offset = (long long)priority - first_priority;
  return offset >= (long long)levels ? levels - 1 : (unsigned)offset;
}

void gp__resume_levels_for_range(int least, int greatest, int *first_priority,
                                 unsigned *levels) {
  /* Numbers: greatest <= least (lower is more urgent). Best effort: >= 0.
   * A range with no such priority (none known) still gets one level, at the
   * least priority, so that the set is never empty. */
  int first = greatest > 0 ? greatest : 0;
  if (first > least)
    first = least;
  long long span = (long long)least - first + 1;
  *first_priority = first;
  *levels = span > GP__RESUME_LEVELS ? GP__RESUME_LEVELS : (unsigned)span;
}

gp_status gp__resume_streams_create(struct gp__device *d, int least,
                                    int greatest) {
  struct gp__resume_streams *rs = &d->resume;
  gp__resume_levels_for_range(least, greatest, &rs->first_priority,
                              &rs->levels);
  for (unsigned level = 0; level < rs->levels; level++) {
    for (unsigned k = 0; k < GP__RESUME_STREAMS; k++) {
      struct gp__resume_stream *lane = &rs->lane[level][k];
      /* Non-blocking: a relaunch must not wait for the legacy default
       * stream, which may itself be waiting for the preempted kernel. */
      cudaError_t err = cudaStreamCreateWithPriority(
          &lane->stream, cudaStreamNonBlocking,
          rs->first_priority + (int)level);
      if (err == cudaSuccess)
        err = cudaEventCreateWithFlags(&lane->ev_tail, cudaEventDisableTiming);
      if (err != cudaSuccess) {
        (void)cudaGetLastError();
        GP__LOG("device %d: creating resume stream %u.%u failed: %s",
                d->ordinal, level, k, cudaGetErrorName(err));
        return gp__cuda_failure(err);
      }
    }
    rs->next[level] = 0;
  }
  return GP_SUCCESS;
}

struct gp__resume_stream *gp__resume_stream_pick(struct gp__device *d,
                                                 int priority) {
  struct gp__resume_streams *rs = &d->resume;
  unsigned level = gp__resume_level(rs->first_priority, rs->levels, priority);
  unsigned start = rs->next[level], chosen = start;
  /* An idle stream lets the relaunch start at once instead of after another
   * launch's (which may run for seconds). An event never recorded counts as
   * complete, so unused streams are idle. */
  for (unsigned i = 0; i < GP__RESUME_STREAMS; i++) {
    unsigned k = (start + i) % GP__RESUME_STREAMS;
    cudaError_t q = cudaEventQuery(rs->lane[level][k].ev_tail);
    if (q != cudaSuccess && q != cudaErrorNotReady)
      (void)cudaGetLastError();
    if (q != cudaErrorNotReady) {
      chosen = k;
      break;
    }
  }
  rs->next[level] = (chosen + 1) % GP__RESUME_STREAMS;
  return &rs->lane[level][chosen];
}

void gp__resume_stream_mark(struct gp__resume_stream *rs) {
  if (cudaEventRecord(rs->ev_tail, rs->stream) != cudaSuccess)
    (void)cudaGetLastError();
}
