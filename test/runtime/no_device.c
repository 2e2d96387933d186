/* Without a driver or device, every call says so at once and nothing hangs.
 * gp_resume, gp_wait_drained and gp_stream_wait_drained validate the
 * ordinal like gp_preempt, so they answer GP_ERROR_NO_DEVICE too. */
#include "check.h"

#include <gpreempt.h>

#include <stddef.h>
#include <time.h>
#include <unistd.h>

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void) {
  alarm(30); /* a hang fails the test instead of stalling the suite */

  double start = seconds();
  CHECK_EQ(gp_preempt(0), GP_ERROR_NO_DEVICE);
  CHECK(seconds() - start < 2.0);

  CHECK_EQ(gp_preempt(0), GP_ERROR_NO_DEVICE); /* cached answer */
  CHECK_EQ(gp_preempt(3), GP_ERROR_NO_DEVICE);
  CHECK_EQ(gp_resume(0), GP_ERROR_NO_DEVICE);
  CHECK_EQ(gp_resume_after(0, NULL), GP_ERROR_NO_DEVICE);
  uint64_t drain = 5;
  CHECK_EQ(gp_wait_drained(0, 1000, &drain), GP_ERROR_NO_DEVICE);
  CHECK_EQ(gp_wait_drained(0, 0, NULL), GP_ERROR_NO_DEVICE);
  CHECK_EQ(gp_stream_wait_drained(0, NULL), GP_ERROR_NO_DEVICE);
  CHECK_EQ(gp_last_cuda_error(), 0);

  gp_stats stats;
  CHECK_EQ(gp_get_stats(&stats), GP_SUCCESS);
  CHECK_EQ(stats.launches_preemptible, 0);
  CHECK_EQ(stats.launches_unpreempted, 0);
  CHECK_EQ(stats.preemptions, 0);
  CHECK_EQ(stats.drain_samples, 0);
  CHECK(seconds() - start < 5.0);
  return check_failures() != 0;
}
