/* left_words.c - slots of pinned, mapped pages for the kernels' left words. */
#include "left_words.h"

#include "capture_mode.h"
#include "config.h"

#include <cuda_runtime_api.h>

/* A page holds this many slots; a program makes one buffer per launch in
 * flight at once, so one page is usually all it ever needs. */
#define GP__LEFT_PAGE_BYTES 4096u
#define GP__LEFT_PAGE_SLOTS (GP__LEFT_PAGE_BYTES / sizeof(struct gp__left_slot))

struct gp__left_slot *gp__left_word_take(struct gp__left_words *w, int device) {
  pthread_mutex_lock(&w->lock);
  if (w->page == NULL || w->used == GP__LEFT_PAGE_SLOTS) {
    /* Under the lock: pages are made rarely, and a second thread would only
     * make a second one. A page is never freed (cudaFreeHost synchronizes
     * the device), like the buffers its slots belong to. */
    void *page = NULL;
    enum cudaStreamCaptureMode mode;
    bool relaxed = gp__relaxed_begin(&mode);
    cudaError_t err =
        cudaHostAlloc(&page, GP__LEFT_PAGE_BYTES, cudaHostAllocMapped);
    gp__relaxed_end(relaxed, mode);
    if (err != cudaSuccess) {
      (void)cudaGetLastError(); /* ours, not the user's */
      pthread_mutex_unlock(&w->lock);
      GP__LOG("device %d: no mapped host memory for left words (%s): "
              "events tell when launches leave",
              device, cudaGetErrorName(err));
      return NULL;
    }
    w->page = page;
    w->used = 0;
  }
  struct gp__left_slot *s = &w->page[w->used];
  void *dev = NULL;
  if (cudaHostGetDevicePointer(&dev, (void *)&s->word, 0) != cudaSuccess) {
    (void)cudaGetLastError();
    pthread_mutex_unlock(&w->lock);
    return NULL;
  }
  w->used++;
  pthread_mutex_unlock(&w->lock);
  s->word = 0;
  s->word_dev = (uint64_t)(uintptr_t)dev;
  return s;
}
