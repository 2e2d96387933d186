/* clock.h - the one clock gpreempt measures with. */
#ifndef GP_RUNTIME_CLOCK_H
#define GP_RUNTIME_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC: drain times must not jump with wall-clock adjustments. */
static inline uint64_t gp__now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* GP_RUNTIME_CLOCK_H */
