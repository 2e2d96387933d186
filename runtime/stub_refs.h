/* stub_refs.h - kernel references for launches the pass could not name. */
#ifndef GP_RUNTIME_STUB_REFS_H
#define GP_RUNTIME_STUB_REFS_H

#include <gpreempt/abi.h>

/* The ref of the kernel whose host stub is `stub`, made on first use; NULL
 * if `stub` is not a kernel of this program. Needs a current device. */
struct gp_kernel_ref *gp__ref_for_stub(const void *stub);

#endif /* GP_RUNTIME_STUB_REFS_H */
