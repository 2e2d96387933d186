/* arm.h - the armed raise: a flag raise enqueued before it is needed.
 *
 * Enqueueing costs this host 7-16 us at the median, and a few hundred at
 * p99 when other threads' launches and queries hold the driver's lock; the
 * raise's copy then still has to reach the GPU (docs/results.md). So while
 * preemptible work may run, the signal stream holds a raise in advance,
 * waiting for a word in mapped host memory:
 *
 *     cuStreamWaitValue32(word, seq, GEQ)      cyclic comparison
 *     cudaMemcpyAsync(flag copies <- src)      pinned: read when it runs
 *     write of its raise tag to d->raise_word   (device.h)
 *     cudaEventRecord(ev)
 *
 * gp_preempt() fires it with one store to the word: no CUDA call, no lock
 * of the driver's (H100: 0.4-1 us on the host, 13-17 us from the store to a
 * drained GPU at the median, 22-47 at p99; an enqueued copy 11-28 / 25-217
 * from the call).
 *
 * A pending arm is work on a stream: cudaDeviceSynchronize, cudaFree and
 * every other call that waits for the whole device waits for it, and
 * cudaFree holds a driver lock meanwhile that other threads' CUDA calls wait
 * for (measured). So the resumer thread, which looks at the launches every
 * 20 us at first and then every GPREEMPT_ARM_US / 2 at most, releases the
 * arm once none is unfinished, by writing the lowered value into its source
 * and storing the word (the copy then writes what the flag already holds:
 * an arm is only made while the device is not preempted, after the last
 * clear on the same stream; firing writes the raise's number in instead,
 * abi.h). Each look that finds launches unfinished renews the arm's lease.
 * Its looks are CUDA calls, which may wait for the driver lock such a
 * call holds: a guard thread that makes no CUDA call releases an arm whose
 * lease is older than GPREEMPT_ARM_US the same way, and wakes the resumer,
 * which arms again if launches are unfinished. A call that waits for the
 * whole device thus waits at most about that long more than it would
 * without gpreempt.
 *
 * A pending arm is not free either: a program that waits for each launch
 * before making the next (the zoo's bfs) ran 2-5 % slower with arms pending
 * than without (docs/results.md, sessions 10, 21, 22), and keeping the arm
 * across its launches took none of that away. So arms are made only while
 * preemptions are being asked for: within GPREEMPT_ARM_IDLE_MS (default
 * 1000) of the device's last gp_preempt(). Until a device's first
 * gp_preempt(), and after a quiet spell that long, no arm is made (the call
 * enqueues its raise, unless a launch ending meanwhile arms for it), and the
 * resumer releases a pending arm at its next look.
 *
 * Each arm has its own source buffer and event, two in turn; a buffer is
 * used again only once its previous copy has run (its event). Firing and
 * releasing race through one compare-and-swap on the arm's state, so the
 * guard needs no lock that a thread inside a CUDA call might hold.
 */
#ifndef GP_RUNTIME_ARM_H
#define GP_RUNTIME_ARM_H

#include <cuda_runtime_api.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct gp__device;

#define GP__ARM_SLOTS 2

/* Per device (in struct gp__device). */
struct gp__arm {
  atomic_bool usable;          /* set up at device init; false after a
                                  failed arm */
  volatile uint32_t *word;     /* mapped pinned host word the arm waits on */
  uint64_t word_dev;           /* its device address */
  uint32_t *src[GP__ARM_SLOTS]; /* pinned images of the flag's copies */
  cudaEvent_t ev[GP__ARM_SLOTS]; /* after each slot's copy */
  uint32_t tag[GP__ARM_SLOTS];   /* the raise tag each slot's arm writes */
  /* seq << 1 | pending. seq is what the pending arm waits for; its slot is
   * seq % GP__ARM_SLOTS. Changed by gp__arm (signal_lock), and from pending
   * to not by whoever wins the CAS: gp__arm_fire or the guard. */
  _Atomic uint64_t state;
  _Atomic uint64_t made_ns; /* when the pending arm was made or its lease
                               last renewed */
  _Atomic uint64_t asked_ns; /* when gp_preempt() was last called on the
                                device; 0: never */
};

/* Allocate the word, sources and events (device init; the device's context
 * current). Best effort: without them every raise is enqueued when asked. */
void gp__arm_init(struct gp__device *d);

/* Enqueue an arm if none is pending and the device is not preempted. The
 * caller holds d->signal_lock and has entered the device, and wakes the
 * resumer thread if that is not the caller: it releases the arm once the
 * launches are finished. */
void gp__arm(struct gp__device *d);

/* Arm if none is pending, the device is not preempted and launches are
 * unfinished; takes signal_lock and enters the device itself. From the
 * launch path (`launching`): the launch just made is unfinished, and rather
 * than wait for signal_lock it leaves the arm to a later look. Otherwise it
 * reaps finished launches first (d->lock), so that an idle device is not
 * armed again and again. */
void gp__arm_if_busy(struct gp__device *d, bool launching);

/* The resumer thread, while an arm is pending: release it if no launch is
 * unfinished (reaps them, so it makes CUDA calls; the guard covers the case
 * where those wait for a driver lock). True if the arm is still pending and
 * launches still run: look again later. */
bool gp__arm_release_if_idle(struct gp__device *d);

/* gp_preempt (signal_lock held, depth 0): fire the pending arm with raise
 * number `raise` (abi.h). True if it did: the raise is on its way, and
 * d->ev_raise and d->raise_tag follow it. No CUDA call. */
bool gp__arm_fire(struct gp__device *d, int32_t raise);

/* Preemptions asked for lately: within GPREEMPT_ARM_IDLE_MS of the
 * device's last gp_preempt() (or always, with 0). Arms, and relays
 * (launch.c), are made only then. */
bool gp__arm_wanted(struct gp__device *d);

/* gp_preempt, at every call: preemptions are being asked for, so arms are
 * worth their cost for GPREEMPT_ARM_IDLE_MS from `now_ns`. */
void gp__arm_asked(struct gp__device *d, uint64_t now_ns);

/* Is an arm pending? (tests, stats) */
bool gp__arm_pending(struct gp__device *d);

#endif /* GP_RUNTIME_ARM_H */
