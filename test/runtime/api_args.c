/* Argument checks come before anything touches CUDA, with or without a GPU. */
#include "check.h"

#include <gpreempt.h>

#include <stddef.h>

int main(void) {
  CHECK_EQ(gp_last_cuda_error(), 0);
  CHECK_EQ(gp_get_stats(NULL), GP_ERROR_INVALID_VALUE);

  CHECK_EQ(gp_preempt(-1), GP_ERROR_INVALID_VALUE);
  CHECK_EQ(gp_preempt(-1000), GP_ERROR_INVALID_VALUE);
  CHECK_EQ(gp_resume(-1), GP_ERROR_INVALID_VALUE);
  CHECK_EQ(gp_resume_after(-1, NULL), GP_ERROR_INVALID_VALUE);
  uint64_t drain = 77;
  CHECK_EQ(gp_wait_drained(-1, 0, &drain), GP_ERROR_INVALID_VALUE);
  CHECK_EQ(drain, 77); /* untouched on failure */
  CHECK_EQ(gp_stream_wait_drained(-1, NULL), GP_ERROR_INVALID_VALUE);

  /* No GPU: no device at all. With GPUs: an ordinal past the last one. */
  gp_status st = gp_preempt(1 << 20);
  CHECK(st == GP_ERROR_NO_DEVICE || st == GP_ERROR_INVALID_DEVICE);
  st = gp_resume(1 << 20);
  CHECK(st == GP_ERROR_NO_DEVICE || st == GP_ERROR_INVALID_DEVICE);
  st = gp_stream_wait_drained(1 << 20, NULL);
  CHECK(st == GP_ERROR_NO_DEVICE || st == GP_ERROR_INVALID_DEVICE);

  gp_stats stats;
  CHECK_EQ(gp_get_stats(&stats), GP_SUCCESS);
  CHECK_EQ(stats.preemptions, 0);
  CHECK_EQ(stats.resumes, 0);
  /* None of the failures above was a CUDA error. */
  CHECK_EQ(gp_last_cuda_error(), 0);
  return check_failures() != 0;
}
