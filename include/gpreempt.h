/*
 * gpreempt.h - preempt best-effort CUDA kernels so latency-critical work runs
 * as if alone.
 *
 * Kernels compiled by gpreempt-cc (or clang -fpass-plugin=GPreemptPass.so)
 * become preemptible: while one runs, gp_preempt() makes each of its threads
 * save what it needs at its next loop back-edge and leave the GPU; gp_resume()
 * relaunches it and it continues exactly where it stopped. Nothing runs twice,
 * so kernels that are not idempotent (y[i] += a * x[i], atomics) stay correct.
 *
 * Stream semantics are kept: work enqueued after a preemptible launch on the
 * same stream (kernels, copies, events, synchronization) sees the kernel's
 * complete effects, however often it was preempted.
 *
 * Which launches are preemptible (the best-effort ones):
 *   - kernels the pass instrumented (see GP_NO_PREEMPT to opt one out),
 *   - launched with <<<>>> or cudaLaunchKernel on a stream of default or lower
 *     priority. Streams of higher priority (cudaStreamCreateWithPriority with a
 *     priority below 0) carry latency-critical work and are never preempted.
 *   - not during stream capture (graphs run the original kernel, unpreempted).
 *
 * Latency-critical work must run on a stream created with
 * cudaStreamNonBlocking: a blocking stream (or the legacy default stream)
 * waits for the preempted kernel to complete, which it cannot do before
 * gp_resume().
 *
 * Another thread may wait for a preempted kernel in a stream synchronization
 * or an asynchronous copy, to pageable host memory included (such a copy
 * holds a driver lock until the kernel completes), but not in a synchronous
 * cudaMemcpy on the legacy default stream: that one holds a lock that every
 * CUDA call of other threads needs (measured: cudaEventRecord), so nothing
 * could resume the kernel it waits for. gp_preempt(), gp_resume(),
 * gp_resume_after(), gp_wait_drained() and gp_stream_wait_drained() never
 * create streams, events or memory; they enqueue work and query events
 * only. The exception: the first gp_preempt() on a
 * device where no preemptible kernel was launched yet sets gpreempt up
 * there (it creates streams and allocates). While such a copy may be
 * waiting, code that runs between gp_preempt() and gp_resume() must not
 * create such things either (a preemptible launch may allocate gpreempt's
 * buffers and events): it would wait for that lock, which is released only
 * after the resume.
 *
 * From the first time it sets up a device, gpreempt runs two threads of its
 * own. One relaunches kernels that were still leaving the GPU when
 * gp_resume() returned, and the kernels that gp_resume_after() resumes. The
 * other bounds the armed raise: while preemptible kernels run, the next
 * flag raise waits on gpreempt's signal stream, so that gp_preempt() costs
 * one store to host memory. That pending work makes cudaDeviceSynchronize(),
 * cudaFree() and other calls that wait for the whole device wait until it
 * is released: as soon as gpreempt sees the preemptible launches finished,
 * and at most GPREEMPT_ARM_US microseconds (default 1000; 0 turns arming
 * off) after it last saw them running.
 *
 * All functions are thread-safe and may be called from any host thread.
 * Nothing here prints, except GPREEMPT_STATS=1 at exit and GPREEMPT_LOG=1
 * (see README).
 *
 * Linking the runtime sets two CUDA variables before main, unless the
 * environment already has them (and not with GPREEMPT_DISABLE=1):
 * CUDA_MODULE_LOADING=EAGER (with lazy loading, the first launch of an LC
 * kernel while a BE kernel is preempted could hang) and
 * CUDA_DEVICE_MAX_CONNECTIONS=32 (relaunches and the streams that wait for
 * them need hardware queues of their own).
 */
#ifndef GPREEMPT_H
#define GPREEMPT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GPREEMPT_VERSION_MAJOR 0
#define GPREEMPT_VERSION_MINOR 1
#define GPREEMPT_VERSION_PATCH 0

struct CUstream_st; /* cudaStream_t without including the CUDA headers */

typedef enum gp_status {
  GP_SUCCESS = 0,
  GP_ERROR_INVALID_VALUE = 1,  /* a NULL pointer, a negative device, ... */
  GP_ERROR_INVALID_DEVICE = 2, /* no such device ordinal */
  GP_ERROR_NO_DEVICE = 3,      /* no CUDA device or driver */
  GP_ERROR_CUDA = 4,           /* a CUDA call failed: gp_last_cuda_error() */
  GP_ERROR_OUT_OF_MEMORY = 5,  /* host or device memory for gpreempt's state */
  GP_ERROR_NOT_PREEMPTED = 6,  /* gp_resume() without a matching gp_preempt() */
  GP_ERROR_TIMEOUT = 7,        /* gp_wait_drained() ran out of time */
  GP_ERROR_UNSUPPORTED = 8,    /* the driver lacks stream memory operations */
  GP_ERROR_INVALID_STREAM = 9, /* the stream handle is not usable */
} gp_status;

/* A static, never-NULL English description of `status` (also for values that
 * are not a gp_status). */
const char *gp_status_string(gp_status status);

/* The CUDA error (a cudaError_t value) behind the last GP_ERROR_CUDA returned
 * to the calling thread, or 0. */
int gp_last_cuda_error(void);

/* Raise preemption on `device`: every preemptible kernel running there yields
 * at its next poll, and kernels that start later yield at once, until the
 * matching gp_resume(). Returns as soon as the request is enqueued on the GPU
 * (a few microseconds); use gp_wait_drained() to wait for the GPU to be free.
 * Calls nest: each gp_preempt() needs one gp_resume(), and kernels resume when
 * the last one comes. Call it when a latency-critical request arrives, before
 * its input is copied in, so that the drain overlaps the copy.
 * Returns GP_SUCCESS, GP_ERROR_INVALID_DEVICE, GP_ERROR_NO_DEVICE,
 * GP_ERROR_UNSUPPORTED or GP_ERROR_CUDA. */
gp_status gp_preempt(int device);

/* End one gp_preempt() on `device`. With the last one, lowers the flag and
 * relaunches every kernel that yielded, each ordered after its own earlier
 * work. Does not wait for the GPU. Returns GP_SUCCESS,
 * GP_ERROR_NOT_PREEMPTED, GP_ERROR_INVALID_DEVICE, GP_ERROR_NO_DEVICE or
 * GP_ERROR_CUDA. */
gp_status gp_resume(int device);

/* Like gp_resume(), but the kernels resume on the GPU only once the work
 * enqueued so far on `lc_stream` has finished: "resume when my
 * latency-critical work is done", without waiting for it on the host.
 * `lc_stream` must belong to `device` and not be capturing. It only
 * enqueues the flag's clear; gpreempt's thread makes the relaunches, which
 * wait for that clear (a relaunch that fails is logged, GPREEMPT_LOG=1, as
 * for gp_resume() a relaunch that its thread makes). Returns as
 * gp_resume(), or GP_ERROR_INVALID_STREAM. */
gp_status gp_resume_after(int device, struct CUstream_st *lc_stream);

/* Wait until every preemptible kernel launched on `device` before this call
 * has left the GPU (finished or yielded), at most `timeout_us` microseconds
 * (0: no limit). Meant to be called between gp_preempt() and gp_resume().
 * Launches that cannot have started (queued behind another on their stream)
 * are not waited for; a launch held back by an event dependency the user
 * made on another stream is invisible to it and can make it time out.
 * On success and if `drain_us` is not NULL, stores the time from the last
 * gp_preempt() that raised the flag until the GPU was seen free. Returns
 * GP_SUCCESS, GP_ERROR_TIMEOUT, GP_ERROR_INVALID_DEVICE, GP_ERROR_NO_DEVICE
 * or GP_ERROR_CUDA. */
gp_status gp_wait_drained(int device, uint64_t timeout_us, uint64_t *drain_us);

/* gp_wait_drained() on the GPU: work enqueued on `stream` after this call
 * starts only once every preemptible kernel launched on `device` before it
 * has left the GPU (finished or yielded). The host does not wait. Call it
 * after gp_preempt(), just before launching the latency-critical kernels:
 * they then start on SMs that best-effort blocks have left (a kernel
 * launched while they still hold SMs keeps the placement it got on the
 * others), and their launch calls overlap the drain. The same launches as
 * gp_wait_drained()'s are waited for, looked at once: one queued behind a
 * launch that completes meanwhile is not, and runs until its first check
 * once it starts. The GPU waits with no time limit, so `stream` must not
 * be one that those launches wait for (an event recorded on it later).
 * `stream` must belong to `device`, not be capturing, and be non-blocking
 * (cudaStreamNonBlocking, as all latency-critical work should be: one
 * that synchronizes with the legacy default stream, that stream included,
 * could wait for a preempted launch's completion). Returns
 * GP_SUCCESS, GP_ERROR_INVALID_DEVICE, GP_ERROR_NO_DEVICE,
 * GP_ERROR_INVALID_STREAM, GP_ERROR_UNSUPPORTED (the GPU lacks 64-bit
 * stream memory operations: use gp_wait_drained()) or GP_ERROR_CUDA (then
 * `stream` may wait for some of those launches, not for all: call
 * gp_wait_drained() on the host). */
gp_status gp_stream_wait_drained(int device, struct CUstream_st *stream);

/* Counters since the process started, for all devices. */
typedef struct gp_stats {
  uint64_t launches_preemptible;   /* launches that went to the variant */
  uint64_t launches_unpreempted;   /* launches that ran the original kernel */
  uint64_t unpreempted_not_instrumented; /* device code not built by gpreempt */
  uint64_t unpreempted_refused;    /* the pass refused the kernel (remark) */
  uint64_t unpreempted_latency_critical; /* high-priority stream */
  uint64_t unpreempted_capturing;  /* stream capture in progress */
  uint64_t unpreempted_no_memory;  /* no device memory for its save area */
  uint64_t unpreempted_other;      /* disabled, too large, or a CUDA error */
  uint64_t preemptions;            /* gp_preempt() calls that raised the flag */
  uint64_t resumes;                /* gp_resume() calls that lowered it */
  uint64_t relaunches;             /* kernel launches made to resume */
  uint64_t drain_samples;          /* gp_wait_drained() successes */
  uint64_t drain_p50_us, drain_p99_us, drain_max_us;
} gp_stats;

/* Fill `out`. Returns GP_SUCCESS or GP_ERROR_INVALID_VALUE. */
gp_status gp_get_stats(gp_stats *out);

/* Opt a kernel out of instrumentation: `GP_NO_PREEMPT __global__ void k()`.
 * It then runs exactly as compiled, and is never preempted. */
#if defined(__CUDACC__) || defined(__CUDA__)
#define GP_NO_PREEMPT __attribute__((annotate("gpreempt.no_preempt")))
#else
#define GP_NO_PREEMPT
#endif

#ifdef __cplusplus
}
#endif

#endif /* GPREEMPT_H */
