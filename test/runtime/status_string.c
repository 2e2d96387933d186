/* Every gp_status has its own message; any other value gets a non-NULL one. */
#include "check.h"

#include <gpreempt.h>

#include <string.h>

int main(void) {
  const gp_status all[] = {
      GP_SUCCESS,           GP_ERROR_INVALID_VALUE, GP_ERROR_INVALID_DEVICE,
      GP_ERROR_NO_DEVICE,   GP_ERROR_CUDA,          GP_ERROR_OUT_OF_MEMORY,
      GP_ERROR_NOT_PREEMPTED, GP_ERROR_TIMEOUT,     GP_ERROR_UNSUPPORTED,
      GP_ERROR_INVALID_STREAM,
  };
  const size_t n = sizeof all / sizeof all[0];
  const char *unknown = gp_status_string((gp_status)12345);
  CHECK(unknown != NULL && unknown[0] != '\0');
  CHECK(gp_status_string((gp_status)-1) != NULL);
  CHECK(gp_status_string((gp_status)(GP_ERROR_INVALID_STREAM + 1)) != NULL);

  for (size_t i = 0; i < n; i++) {
    const char *s = gp_status_string(all[i]);
    CHECK(s != NULL && s[0] != '\0');
    /* A known status must not fall through to the unknown message. */
    CHECK(s != NULL && strcmp(s, unknown) != 0);
    for (size_t j = 0; j < i; j++)
      CHECK(strcmp(s, gp_status_string(all[j])) != 0);
  }
  return check_failures() != 0;
}
