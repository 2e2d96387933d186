/* capture_mode.h - make gpreempt's own calls legal while some thread
 * captures a graph.
 *
 * During a capture in cudaStreamCaptureModeGlobal, every thread is barred
 * from "potentially unsafe" calls (cudaMalloc, synchronizing a stream, ...)
 * and such a call invalidates the user's capture. gpreempt's calls of that
 * kind touch only its own memory and streams, so it switches its thread to
 * relaxed mode around them, as the CUDA documentation suggests for
 * libraries.
 */
#ifndef GP_RUNTIME_CAPTURE_MODE_H
#define GP_RUNTIME_CAPTURE_MODE_H

#include <cuda_runtime_api.h>

#include <stdbool.h>

/* Switch the calling thread to relaxed capture mode; false if that failed
 * (then there is nothing to undo). */
static inline bool gp__relaxed_begin(enum cudaStreamCaptureMode *saved) {
  *saved = cudaStreamCaptureModeRelaxed;
  if (cudaThreadExchangeStreamCaptureMode(saved) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  return true;
}

/* Restore the mode gp__relaxed_begin saved, if it switched. */
static inline void gp__relaxed_end(bool switched, enum cudaStreamCaptureMode saved) {
  if (switched && cudaThreadExchangeStreamCaptureMode(&saved) != cudaSuccess)
    (void)cudaGetLastError();
}

#endif /* GP_RUNTIME_CAPTURE_MODE_H */
