/* config.h - the environment variables that steer gpreempt, read once. */
#ifndef GP_RUNTIME_CONFIG_H
#define GP_RUNTIME_CONFIG_H

#include "physical_grid.h"

#include <stdbool.h>
#include <stdint.h>

struct gp__config {
  bool disable;          /* GPREEMPT_DISABLE=1: every launch runs plain */
  bool log;              /* GPREEMPT_LOG=1: one stderr line per decision */
  bool stats;            /* GPREEMPT_STATS=1: summary on stderr at exit */
  double stress_mean_us; /* GPREEMPT_STRESS=<us>: random preemptions; 0 off */
  bool seed_set;         /* GPREEMPT_SEED given */
  uint64_t seed;         /* GPREEMPT_SEED: the stress thread's random seed */
  uint32_t arm_us;       /* GPREEMPT_ARM_US: longest an armed raise waits
                            (arm.h); 0: raises are enqueued when asked */
  uint32_t arm_idle_ms;  /* GPREEMPT_ARM_IDLE_MS: arm only this long after
                            the device's last gp_preempt() (arm.h); 0: from
                            the first launch on, preempted or not */
  enum gp__relay_places relay; /* GPREEMPT_RELAY: where launches may have
                            a relay block (physical_grid.h): unset or 1 any
                            place, "free" only free ones, 0 none */
  bool events;           /* GPREEMPT_EVENTS=1: tell that a launch has left
                            the GPU by events recorded after it, not by the
                            kernel's left word (left_words.h); for
                            comparison */
};

/* The configuration, read from the environment on the first call (so every
 * entry point calls this first). Never NULL. */
const struct gp__config *gp__config(void);

/* Write "gpreempt: <message>\n" to stderr. Only GP__LOG calls it. */
void gp__log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Format nothing unless GPREEMPT_LOG asked for it: logging must cost one
 * branch on the hot path when it is off. */
#define GP__LOG(...)                                                           \
  do {                                                                         \
    if (gp__config()->log)                                                     \
      gp__log(__VA_ARGS__);                                                    \
  } while (0)

#endif /* GP_RUNTIME_CONFIG_H */
