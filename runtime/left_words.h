/* left_words.h - the mapped host words that preemptible kernels write as an
 * instance leaves the GPU (abi.h: gp_launch_ctl.left_word).
 *
 * One per device buffer, for the buffer's life (buffers are never freed:
 * pool.h). The last block of an instance to leave stores
 * GP_LEFT_VALUE(epoch, instances, complete) there, so "has the launch's
 * latest instance left?" and "is its grid complete?" are loads: no event is
 * recorded per launch (docs/design.md says why that matters). Words come
 * from pinned, mapped pages
 * handed out a slot at a time; each slot also holds the word's device
 * address, which the launch path copies into a cleared control block.
 */
#ifndef GP_RUNTIME_LEFT_WORDS_H
#define GP_RUNTIME_LEFT_WORDS_H

#include <cuda.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One slot of a page: the word, then its device address (pinned, so
 * cudaMemcpyAsync reads it when the copy runs, never a staged value). */
struct gp__left_slot {
  volatile uint64_t word;
  uint64_t word_dev;
};

struct gp__left_words {
  pthread_mutex_t lock;
  struct gp__left_slot *page; /* the page slots are taken from */
  size_t used;                /* slots of it handed out */
};

/* A new slot, its word 0; NULL if no mapped host memory could be had (the
 * caller then uses events). Makes a page (cudaHostAlloc) when the last is
 * used up: only the launch path calls this, when it makes a buffer. */
struct gp__left_slot *gp__left_word_take(struct gp__left_words *w, int device);

/* The word, read with acquire order: what the kernel wrote before it is
 * visible after. */
static inline uint64_t gp__left_word_load(const struct gp__left_slot *s) {
  return __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);
}

#endif /* GP_RUNTIME_LEFT_WORDS_H */
