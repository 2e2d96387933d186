/* config.c - parse GPREEMPT_* once, and the debug log. */
#include "config.h"

#include "stats.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct gp__config config;
static pthread_once_t config_once = PTHREAD_ONCE_INIT;

/* "1", "yes", any nonzero number: on. Unset, empty or "0": off. */
static bool env_flag(const char *name) {
  const char *v = getenv(name);
  if (v == NULL || v[0] == '\0')
    return false;
  char *end;
  long n = strtol(v, &end, 10);
  if (end != v && *end == '\0')
    return n != 0;
  return true;
}

/* A whole number, at most `max`; `fallback` when unset, empty or not a
 * plain number ("5ms"). */
static uint32_t env_count(const char *name, uint32_t fallback, uint32_t max) {
  const char *v = getenv(name);
  if (v == NULL || v[0] == '\0')
    return fallback;
  char *end;
  unsigned long n = strtoul(v, &end, 10);
  if (end == v || *end != '\0')
    return fallback;
  return n > max ? max : (uint32_t)n;
}

/* CUDA settings that gpreempt needs, applied before main (so before CUDA
 * initializes, unless another constructor uses CUDA first) and only where
 * the user set nothing. Measured on an H100 with CUDA 13:
 *  - CUDA_MODULE_LOADING=EAGER: with lazy loading, the first launch of a
 *    kernel loads its module and waits for the device, which includes the
 *    user stream that waits for a preempted kernel: a latency-critical
 *    kernel launched for the first time during a preemption hangs until
 *    gp_resume(), and forever if the same thread resumes afterwards.
 *  - CUDA_DEVICE_MAX_CONNECTIONS=32: with the default 8 hardware queues,
 *    relaunches were stuck behind streams waiting for a preempted kernel
 *    (several user streams, legacy and blocking ones among them). */
static bool set_module_loading, set_connections;

__attribute__((constructor)) static void prepare_cuda_environment(void) {
  if (env_flag("GPREEMPT_DISABLE"))
    return;
  if (getenv("CUDA_MODULE_LOADING") == NULL)
    set_module_loading = setenv("CUDA_MODULE_LOADING", "EAGER", 0) == 0;
  if (getenv("CUDA_DEVICE_MAX_CONNECTIONS") == NULL)
    set_connections = setenv("CUDA_DEVICE_MAX_CONNECTIONS", "32", 0) == 0;
}

/* GPREEMPT_LOG: say what was set, and warn about settings that can hang. */
static void log_cuda_environment(void) {
  const char *loading = getenv("CUDA_MODULE_LOADING");
  const char *connections = getenv("CUDA_DEVICE_MAX_CONNECTIONS");
  gp__log("CUDA_MODULE_LOADING=%s%s", loading ? loading : "(unset)",
          set_module_loading ? " (set by gpreempt)" : "");
  gp__log("CUDA_DEVICE_MAX_CONNECTIONS=%s%s",
          connections ? connections : "(unset)",
          set_connections ? " (set by gpreempt)" : "");
  if (loading == NULL || strcmp(loading, "EAGER") != 0)
    gp__log("warning: lazy module loading: a kernel launched for the first "
            "time while another is preempted can hang until gp_resume()");
  if (connections == NULL || atoi(connections) < 32)
    gp__log("warning: fewer than 32 hardware queues: relaunches can be "
            "stuck behind streams that wait for preempted kernels");
}

static void read_config(void) {
  config.disable = env_flag("GPREEMPT_DISABLE");
  config.log = env_flag("GPREEMPT_LOG");
  config.stats = env_flag("GPREEMPT_STATS");
  config.events = env_flag("GPREEMPT_EVENTS");
  /* On unless "0": on an H100 relays took the drain's median down by 2-15
   * us and LC p99 at launch by 20 (docs/results.md, session 27). */
  const char *relay = getenv("GPREEMPT_RELAY");
  config.relay = relay == NULL || relay[0] == '\0' ? GP__RELAY_ANY
                 : strcmp(relay, "free") == 0      ? GP__RELAY_FREE_ONLY
                 : env_flag("GPREEMPT_RELAY")      ? GP__RELAY_ANY
                                                   : GP__RELAY_NONE;

  const char *stress = getenv("GPREEMPT_STRESS");
  if (stress != NULL && stress[0] != '\0') {
    char *end;
    double mean = strtod(stress, &end);
    /* A mean below a microsecond would only spin the stress thread. */
    if (end != stress && mean >= 1.0)
      config.stress_mean_us = mean;
  }

  /* Default 1000: the arm's lease (arm.h). A call that waits for the whole
   * device waits at most about a millisecond more when the resumer cannot
   * look (its CUDA calls wait for a lock), and the resumer looks at least
   * every half millisecond while an arm is pending. */
  config.arm_us = env_count("GPREEMPT_ARM_US", 1000, 1000000);
  /* Default a second: a pending arm costs launch-heavy programs a few
   * percent (arm.h), which only pays while preemptions come; an LC service
   * asks more often than that, and the first request after a quiet second
   * gets an enqueued raise (tens of microseconds later on the GPU). At most
   * an hour. */
  config.arm_idle_ms = env_count("GPREEMPT_ARM_IDLE_MS", 1000, 3600000);

  const char *seed = getenv("GPREEMPT_SEED");
  if (seed != NULL && seed[0] != '\0') {
    char *end;
    unsigned long long s = strtoull(seed, &end, 0);
    if (end != seed) {
      config.seed_set = true;
      config.seed = s;
    }
  }

  if (config.log && !config.disable)
    log_cuda_environment();

  /* Registered here, at the first use of the library, so that a program that
   * never touches gpreempt prints nothing. */
  if (config.stats)
    atexit(gp__stats_print_summary);
}

const struct gp__config *gp__config(void) {
  pthread_once(&config_once, read_config);
  return &config;
}

void gp__log(const char *fmt, ...) {
  /* One fprintf per line: stdio locks the stream per call, so lines from
   * several threads do not interleave. */
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "gpreempt: %s\n", line);
}
