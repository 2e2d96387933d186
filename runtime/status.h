/* status.h - turning CUDA failures into gp_status. */
#ifndef GP_RUNTIME_STATUS_H
#define GP_RUNTIME_STATUS_H

#include <gpreempt.h>
#include <stdint.h>

/* Remember `cuda_error` (a cudaError_t or a CUresult: the two number their
 * shared errors alike) as this thread's gp_last_cuda_error(), and return
 * GP_ERROR_CUDA so that callers can write `return gp__cuda_failure(err);`. */
gp_status gp__cuda_failure(int cuda_error);

/* Short stable name of an enum gp_refusal value ("barrier", ...), for the
 * log and the stats summary; "unknown" for values this runtime predates. */
const char *gp__refusal_name(uint32_t refusal);

#endif /* GP_RUNTIME_STATUS_H */
