/* status.c - messages for gp_status and refusals; the per-thread CUDA error. */
#include "status.h"

#include <gpreempt/abi.h>

#include <stddef.h>

/* Thread-local like cudaGetLastError: a thread reads the error behind the
 * GP_ERROR_CUDA that it was given, not one from another thread. */
static _Thread_local int last_cuda_error;

const char *gp_status_string(gp_status status) {
  switch (status) {
  case GP_SUCCESS:
    return "no error";
  case GP_ERROR_INVALID_VALUE:
    return "invalid argument (a NULL pointer or a negative device)";
  case GP_ERROR_INVALID_DEVICE:
    return "invalid device ordinal";
  case GP_ERROR_NO_DEVICE:
    return "no CUDA device or driver";
  case GP_ERROR_CUDA:
    return "a CUDA call failed (see gp_last_cuda_error)";
  case GP_ERROR_OUT_OF_MEMORY:
    return "out of host or device memory for gpreempt's state";
  case GP_ERROR_NOT_PREEMPTED:
    return "gp_resume without a matching gp_preempt";
  case GP_ERROR_TIMEOUT:
    return "timed out waiting for the device to drain";
  case GP_ERROR_UNSUPPORTED:
    return "the driver or device lacks stream memory operations";
  case GP_ERROR_INVALID_STREAM:
    return "the stream is not usable here";
  }
  /* Outside the switch so that values no enumerator names (a cast int, a
   * status from a newer header) land here too. */
  return "unknown gpreempt status";
}

int gp_last_cuda_error(void) { return last_cuda_error; }

gp_status gp__cuda_failure(int cuda_error) {
  last_cuda_error = cuda_error;
  return GP_ERROR_CUDA;
}

const char *gp__refusal_name(uint32_t refusal) {
  /* Indexed by the stable numbers of enum gp_refusal in gpreempt/abi.h. */
  static const char *const names[GP_REFUSAL_COUNT] = {
      [GP_REFUSAL_NONE] = "none",
      [GP_REFUSAL_OPTED_OUT] = "opted_out",
      [GP_REFUSAL_BARRIER] = "barrier",
      [GP_REFUSAL_WARP_SYNC] = "warp_sync",
      [GP_REFUSAL_SHARED_MEMORY] = "shared_memory",
      [GP_REFUSAL_CLUSTER] = "cluster",
      [GP_REFUSAL_UNSAFE_CALL] = "unsafe_call",
      [GP_REFUSAL_RECURSION] = "recursion",
      [GP_REFUSAL_INLINE_ASM] = "inline_asm",
      [GP_REFUSAL_IRREDUCIBLE] = "irreducible",
      [GP_REFUSAL_STATE_TOO_LARGE] = "state_too_large",
      [GP_REFUSAL_UNSUPPORTED_VALUE] = "unsupported_value",
      [GP_REFUSAL_DYNAMIC_ALLOCA] = "dynamic_alloca",
      [GP_REFUSAL_INTERNAL] = "internal",
  };
  if (refusal < GP_REFUSAL_COUNT && names[refusal] != NULL)
    return names[refusal];
  return "unknown";
}
