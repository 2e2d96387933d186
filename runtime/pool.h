/* pool.h - per-device pools of device buffers and events.
 *
 * Launches need a control block and a save area in device memory, and three
 * events. cudaFree synchronizes the device (it would wait for a preempted
 * kernel's stream, which waits for gp_resume), so buffers are never freed:
 * they go back to the pool once no launch instance can still use them, and
 * the next launch takes them again. Taking may create (cudaMalloc,
 * cudaEventCreate): only the launch path takes. Giving back never calls
 * CUDA, so gp_resume and gp_wait_drained may give back what they reap.
 */
#ifndef GP_RUNTIME_POOL_H
#define GP_RUNTIME_POOL_H

#include "left_words.h"

#include <gpreempt.h>

#include <cuda_runtime_api.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A device buffer: a control block, then a save area (launch.c). Its first
 * clean_bytes bytes are a control block that the last launch to use it left
 * clean, with `complete` == epoch (abi.h: struct gp_launch_ctl); a launch
 * that needs no more than that reuses it as it is. 0: nothing is known,
 * clear it first. epoch is the last launch's on it, clean or not (0: none
 * yet, a new buffer): the next one takes the next epoch. */
struct gp__buffer {
  void *ptr;
  size_t bytes;
  size_t clean_bytes;
  uint32_t epoch;
  /* The buffer's left word (left_words.h), NULL where launches on it use
   * events (GPREEMPT_EVENTS=1, or no mapped memory). A clean control block
   * already holds its address. */
  struct gp__left_slot *left;
};

struct gp__pool {
  pthread_mutex_t lock;
  struct gp__left_words left_words; /* has its own lock */
  struct gp__buffer *buffers; /* free buffers */
  size_t n_buffers, cap_buffers;
  cudaEvent_t *events;        /* free events (cudaEventDisableTiming) */
  size_t n_events, cap_events;
};

struct gp__device;

/* The epoch of the next launch on `buf`, whose control block takes
 * `ctl_bytes`, and whether that block must be cleared first. Epochs go on
 * from the buffer's last launch, whether or not it left the control block
 * clean, so that the values its launches leave (abi.h: left_value, the
 * left word) only grow: a stream wait made for an earlier launch on the
 * buffer (gp_stream_wait_drained) ends no later than it would have. After
 * UINT32_MAX they start again at 1, with a clear. */
uint32_t gp__buffer_next_epoch(const struct gp__buffer *buf, size_t ctl_bytes,
                               bool *clear);

/* The size actually allocated for a request of `bytes`: at least `bytes`,
 * at most a quarter more (four size classes per power of two), so that
 * launches of slightly different sizes share buffers. */
size_t gp__pool_size_class(size_t bytes);

/* A device buffer of at least `bytes` (its real size in out->bytes): the
 * smallest free one that fits, else a new cudaMalloc on the current device,
 * which must be d's (clean_bytes 0; a left word unless GPREEMPT_EVENTS=1).
 * GP_ERROR_OUT_OF_MEMORY if that fails. */
gp_status gp__pool_get_buffer(struct gp__device *d, size_t bytes,
                              struct gp__buffer *out);
/* Give a buffer back. Only once nothing on the GPU can still use it. */
void gp__pool_put_buffer(struct gp__device *d, const struct gp__buffer *buf);

/* An event from the pool, or a new one on the current device. */
gp_status gp__pool_get_event(struct gp__device *d, cudaEvent_t *event);
/* Give an event back. Only once it has completed. */
void gp__pool_put_event(struct gp__device *d, cudaEvent_t event);

#endif /* GP_RUNTIME_POOL_H */
