/* stats.h - counters behind gp_get_stats() and GPREEMPT_STATS. */
#ifndef GP_RUNTIME_STATS_H
#define GP_RUNTIME_STATS_H

#include <stdbool.h>
#include <stdint.h>

/* Why a launch ran the original kernel. The first five have their own
 * gp_stats counter; the rest add up to unpreempted_other. */
enum gp__why {
  GP__WHY_NOT_INSTRUMENTED = 0, /* no N__gp_info in the module */
  GP__WHY_REFUSED,              /* the pass refused it (refusal says why) */
  GP__WHY_LATENCY_CRITICAL,     /* stream priority above the default */
  GP__WHY_CAPTURING,            /* stream capture (or its query failed) */
  GP__WHY_NO_MEMORY,            /* no device memory for ctl/save */
  GP__WHY_DISABLED,             /* GPREEMPT_DISABLE */
  GP__WHY_ABI_MISMATCH,         /* info, variant or reference malformed */
  GP__WHY_NO_DEVICE,            /* no driver or device: nothing runs */
  GP__WHY_UNSUPPORTED_DEVICE,   /* no driver entry points, no memops, ... */
  GP__WHY_LAUNCH_CONFIG,        /* empty or invalid grid/block, occupancy 0,
                                   dynamic shared bytes not whole words */
  GP__WHY_HOST_MEMORY,          /* malloc failed */
  GP__WHY_CUDA_ERROR,           /* a CUDA call of gpreempt's failed */
  GP__WHY_COUNT
};

/* Short name of a reason, for the log and the summary. */
const char *gp__why_name(enum gp__why why);

void gp__stats_preemptible(void);
/* ... of which on the kernel's wide variant (kernel_ref.h). */
void gp__stats_wide(void);
/* ... of which with a relay block (abi.h: GP_SAVE_RELAY). */
void gp__stats_relay(void);
/* `refusal` counts only with GP__WHY_REFUSED. */
void gp__stats_unpreempted(enum gp__why why, uint32_t refusal);
void gp__stats_preemption(void);
void gp__stats_resume(void);
void gp__stats_relaunch(void);
/* One gp_wait_drained() success; the last GP__DRAIN_WINDOW are kept. */
void gp__stats_drain(uint64_t drain_us);
#define GP__DRAIN_WINDOW 65536u
/* What one gp_wait_drained() sample was made of, for the summary's split
 * of the slow ones: where a drain's tail could come from besides the GPU. */
struct gp__drain_parts {
  uint64_t drain_us;
  uint64_t lock_wait_us;    /* waiting for the device lock, all looks */
  uint64_t last_look_us;    /* the look that saw the GPU free (the walk) */
  uint64_t raise_call_us;   /* the raising gp_preempt() */
  uint64_t since_clear_us;  /* from the clear before the raise to the raise
                               (UINT64_MAX: none before it) */
  bool last_relaunch;       /* the last launch it saw on the GPU was a
                               relaunch (false: a first launch, or none) */
};
void gp__stats_drain_parts(const struct gp__drain_parts *parts);
/* A drain this long or longer is "slow" in the summary's split. */
#define GP__SLOW_DRAIN_US 50u

/* How long after gp_preempt() gp_wait_drained() first saw the raise landed
 * on the GPU (an upper bound: it looks between its checks). Splits a slow
 * drain into the signal's way to the GPU and the kernels' way out; only in
 * the GPREEMPT_STATS summary. */
void gp__stats_raise_landed(uint64_t raise_us);
/* A gp_preempt() that raised the flag: how long it waited for the device
 * lock, and how long its CUDA calls took (a driver lock held by another
 * thread's calls shows here). Also only in the summary. */
void gp__stats_raise_call(uint64_t lock_wait_ns, uint64_t driver_ns);
/* A raise that fired an armed one (arm.h) instead of enqueueing. */
void gp__stats_raise_armed(void);
/* How many so far (the summary; tests). */
uint64_t gp__stats_raises_armed(void);

/* A gp_stream_wait_drained() success, which enqueued waits for `launches`
 * launches (0: the GPU was already free of them). Only in the summary. */
void gp__stats_stream_wait(uint64_t launches);

/* atexit handler for GPREEMPT_STATS=1: the summary on stderr. */
void gp__stats_print_summary(void);

#endif /* GP_RUNTIME_STATS_H */
