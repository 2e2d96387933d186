/* pool.c - reuse device buffers and events instead of freeing them. */
#include "pool.h"

#include "capture_mode.h"
#include "config.h"
#include "device.h"
#include "status.h"

#include <stdint.h>
#include <stdlib.h>

/* Small buffers (a control block for a few blocks) all share one class. */
#define GP__POOL_MIN_BYTES 256u

size_t gp__pool_size_class(size_t bytes) {
  if (bytes <= GP__POOL_MIN_BYTES)
    return GP__POOL_MIN_BYTES;
  /* Highest power of two not above bytes, then round up to a quarter of it
   * (to whole GP__POOL_MIN_BYTES, cudaMalloc's alignment). */
  size_t top = (size_t)1 << (sizeof(size_t) * 8 - 1 - (size_t)__builtin_clzl(bytes));
  size_t step = top / 4 > GP__POOL_MIN_BYTES ? top / 4 : GP__POOL_MIN_BYTES;
  if (bytes > SIZE_MAX - step)
    return bytes; /* absurd request: cudaMalloc refuses it anyway */
  return (bytes + step - 1) / step * step;
}

/* Grow `*array` (of `elem` bytes each) to hold one more; false if no memory. */
static bool reserve_one(void **array, size_t n, size_t *cap, size_t elem) {
  if (n < *cap)
    return true;
  size_t new_cap = *cap ? *cap * 2 : 16;
  void *grown = realloc(*array, new_cap * elem);
  if (grown == NULL)
    return false;
  *array = grown;
  *cap = new_cap;
  return true;
}

uint32_t gp__buffer_next_epoch(const struct gp__buffer *buf, size_t ctl_bytes,
                               bool *clear) {
  uint32_t epoch = buf->epoch < UINT32_MAX ? buf->epoch + 1 : 1;
  *clear = epoch == 1 || buf->clean_bytes < ctl_bytes;
  return epoch;
}

gp_status gp__pool_get_buffer(struct gp__device *d, size_t bytes,
                              struct gp__buffer *out) {
  struct gp__pool *p = &d->pool;
  pthread_mutex_lock(&p->lock);
  /* Best fit: a large save area taken for a small launch would force the
   * next large launch to allocate again. The list is short (buffers in flight
   * at once), so a linear scan is fine. */
  size_t best = p->n_buffers;
  for (size_t i = 0; i < p->n_buffers; i++) {
    if (p->buffers[i].bytes >= bytes &&
        (best == p->n_buffers || p->buffers[i].bytes < p->buffers[best].bytes))
      best = i;
  }
  if (best < p->n_buffers) {
    *out = p->buffers[best];
    p->buffers[best] = p->buffers[--p->n_buffers];
    pthread_mutex_unlock(&p->lock);
    return GP_SUCCESS;
  }
  pthread_mutex_unlock(&p->lock);

  /* Allocate outside the lock: cudaMalloc can take a while and does not wait
   * for running kernels, so it may run on the launch path. */
  size_t size = gp__pool_size_class(bytes);
  void *fresh = NULL;
  enum cudaStreamCaptureMode mode;
  bool relaxed = gp__relaxed_begin(&mode);
  cudaError_t err = cudaMalloc(&fresh, size);
  gp__relaxed_end(relaxed, mode);
  if (err != cudaSuccess) {
    (void)cudaGetLastError(); /* our failure, not the user's */
    GP__LOG("device %d: cudaMalloc(%zu) for a save area failed: %s",
            d->ordinal, size, cudaGetErrorName(err));
    return GP_ERROR_OUT_OF_MEMORY;
  }
  *out = (struct gp__buffer){.ptr = fresh, .bytes = size};
  if (!gp__config()->events)
    out->left = gp__left_word_take(&p->left_words, d->ordinal);
  return GP_SUCCESS;
}

void gp__pool_put_buffer(struct gp__device *d, const struct gp__buffer *buf) {
  struct gp__pool *p = &d->pool;
  pthread_mutex_lock(&p->lock);
  if (reserve_one((void **)&p->buffers, p->n_buffers, &p->cap_buffers,
                  sizeof *p->buffers)) {
    p->buffers[p->n_buffers++] = *buf;
    pthread_mutex_unlock(&p->lock);
    return;
  }
  pthread_mutex_unlock(&p->lock);
  /* No host memory to remember it. Freeing it would synchronize the device,
   * so it is lost instead: a leak, never a hang. */
  GP__LOG("device %d: out of host memory, leaking a %zu-byte buffer",
          d->ordinal, buf->bytes);
}

gp_status gp__pool_get_event(struct gp__device *d, cudaEvent_t *event) {
  struct gp__pool *p = &d->pool;
  pthread_mutex_lock(&p->lock);
  if (p->n_events > 0) {
    *event = p->events[--p->n_events];
    pthread_mutex_unlock(&p->lock);
    return GP_SUCCESS;
  }
  pthread_mutex_unlock(&p->lock);
  /* Timing off: gpreempt only orders and polls with its events, and timing
   * events cost more to record. */
  enum cudaStreamCaptureMode mode;
  bool relaxed = gp__relaxed_begin(&mode);
  cudaError_t err = cudaEventCreateWithFlags(event, cudaEventDisableTiming);
  gp__relaxed_end(relaxed, mode);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    GP__LOG("device %d: cudaEventCreate failed: %s", d->ordinal,
            cudaGetErrorName(err));
    return gp__cuda_failure(err);
  }
  return GP_SUCCESS;
}

void gp__pool_put_event(struct gp__device *d, cudaEvent_t event) {
  struct gp__pool *p = &d->pool;
  pthread_mutex_lock(&p->lock);
  if (reserve_one((void **)&p->events, p->n_events, &p->cap_events,
                  sizeof *p->events)) {
    p->events[p->n_events++] = event;
    pthread_mutex_unlock(&p->lock);
    return;
  }
  pthread_mutex_unlock(&p->lock);
  /* No host memory to remember it. Destroying it is a CUDA call that the
   * resume path must not make (pool.h), so it is lost: a leak, never a hang. */
  GP__LOG("device %d: out of host memory, leaking an event", d->ordinal);
}
