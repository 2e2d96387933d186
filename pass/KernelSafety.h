//===- KernelSafety.h - can this kernel be made preemptible? ---*- C++ -*-===//
//
// The checks that decide whether a kernel is rewritten at all. A kernel is
// refused, and left exactly as it was, when a yield could break one of the
// rules in docs/design.md: barriers other than whole-block ones, clusters,
// async copies into shared memory, code that reads the physical block index
// where the rewritten kernel hands out logical ones (non-inlined calls,
// inline asm), device-side launches, recursion, or control flow whose cycles
// are not natural loops. Whole-block barriers and shared memory, in the
// kernel or in functions it calls, make its yields block-collective instead,
// warp-synchronous operations alone warp-collective (or are refused without
// -gpreempt-block-collective).
//
//===----------------------------------------------------------------------===//
#ifndef GPREEMPT_KERNELSAFETY_H
#define GPREEMPT_KERNELSAFETY_H

#include "gpreempt/abi.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/IR/Function.h"

#include <optional>
#include <string>

namespace gpreempt {

/// Why a kernel is left alone, and where (At may be null).
struct Refusal {
  gp_refusal Code = GP_REFUSAL_NONE;
  std::string Detail;
  const llvm::Instruction *At = nullptr;
};

/// Short stable name of a refusal code, for remarks and tests.
const char *refusalName(gp_refusal Code);

/// Whether an intrinsic (by name) is warp-synchronous: shuffles, votes,
/// match, redux, __syncwarp, wmma/mma, ldmatrix and the like.
bool isWarpSynchronousIntrinsic(llvm::StringRef Name);

/// What the rewrite must know about a kernel it may make preemptible.
struct KernelTraits {
  /// The kernel (or a function it calls) uses barriers or shared memory:
  /// its threads may only yield all together, at points all of them reach,
  /// and the block saves its shared memory.
  bool BlockCollective = false;
  /// Warp-synchronous operations but no barrier and no shared memory: a
  /// lane may only yield with its whole warp (every lane of it at the same
  /// back-edge), but warps yield on their own.
  bool WarpCollective = false;
  /// Functions the kernel calls, directly or not, that contain a block-wide
  /// barrier: a call to one is a barrier for the kernel.
  llvm::SmallPtrSet<const llvm::Function *, 4> BarrierCallees;
};

/// Decides, with a cache over the functions kernels call.
class KernelSafety {
public:
  /// Why Kernel cannot be made preemptible, or nothing if it can (then
  /// Traits says how). Without AllowBlockCollective, kernels that would need
  /// block-collective yields are refused.
  std::optional<Refusal> check(llvm::Function &Kernel,
                               bool AllowBlockCollective, KernelTraits &Traits);

private:
  /// What a function body needs from the yields around it.
  struct Needs {
    bool Collective = false; // barriers, shared memory, warp operations
    bool Barrier = false;    // a block-wide barrier
    bool Shared = false;     // shared memory
  };
  struct CalleeVerdict {
    std::optional<Refusal> Problem;
    Needs Found;
  };

  std::optional<Refusal> checkBody(llvm::Function &Kernel);
  std::optional<Refusal> checkInstruction(const llvm::Instruction &I,
                                          bool InCallee);
  std::optional<Refusal> checkCollective(const llvm::Instruction &I,
                                         gp_refusal Code);
  std::optional<Refusal> checkCallee(const llvm::Function &Callee);

  bool AllowCollective = false;
  Needs Found; // of the body being scanned
  KernelTraits Traits;

  // Callees already looked at, and those whose bodies are being scanned:
  // meeting one of the latter again is recursion.
  llvm::DenseMap<const llvm::Function *, CalleeVerdict> Callees;
  llvm::DenseMap<const llvm::Function *, bool> InProgress;
};

} // namespace gpreempt

#endif
