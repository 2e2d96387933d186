/* stress.h - GPREEMPT_STRESS: preempt at random to test kernels. */
#ifndef GP_RUNTIME_STRESS_H
#define GP_RUNTIME_STRESS_H

/* Start the stress thread once per process (later calls return at once).
 * Called after each preemptible launch when GPREEMPT_STRESS is set. */
void gp__stress_start(void);

#endif /* GP_RUNTIME_STRESS_H */
