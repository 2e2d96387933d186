//===- UniformHints.cpp - tell ptxas what a warp shares ------------------===//
//
// ptxas keeps a value that it can prove the same in every lane of a warp in
// a uniform register (UR), beside the 255 per-thread ones, and runs the
// arithmetic on it on the uniform datapath. It proves that from how a value
// is made: a parameter, a constant, blockIdx... and loses it at a load from
// memory or a branch on one. The preemptible clone makes block-uniform
// values so: the logical block and the half-done slot come from shared
// memory, a resumed thread reads its resume point and its live values from
// the save area, so every value that flows through those joins (a uniform
// loop's counter, a tile's base address) moves to a per-thread register.
// In a kernel that ptxas holds at 32 registers (its occupancy target, with
// no launch bounds) those are registers the plain kernel spent on having
// more loads in flight: nbody_step's inner loop kept two shared loads
// ahead instead of three, and short-scoreboard stalls went from 13 % to
// 26 % of its samples (Nsight Compute on the H100, docs/results.md,
// session 21).
//
// A value that is the same in every active lane is its own maximum over
// the warp: redux.sync.umax (sm_80 and later) writes it to a uniform
// register, and ptxas knows that. Used only where the value is known
// uniform, so the result is the value itself.
//
//===----------------------------------------------------------------------===//
#include "Rewriter.h"
#include "StateCodec.h"

#include "llvm/IR/IntrinsicsNVPTX.h"

using namespace llvm;

namespace gpreempt {
namespace rewrite {

/// sm_80 or later: redux.sync exists.
static bool hasRedux(const Function &F) {
  StringRef CPU = F.getFnAttribute("target-cpu").getValueAsString();
  unsigned SM = 0;
  return CPU.consume_front("sm_") && !CPU.take_while(isDigit).getAsInteger(10, SM) &&
         SM >= 80;
}

Value *Rewriter::warpUniform(IRBuilder<> &B, Value *V) {
  if (!Options.UniformHints || !hasRedux(*G) ||
      stateWordsFor(V->getType(), DL) == 0)
    return V;
  Value *Lanes = B.CreateCall(
      Intrinsic::getOrInsertDeclaration(&M, Intrinsic::nvvm_activemask), {},
      "gp.lanes");
  Function *Max =
      Intrinsic::getOrInsertDeclaration(&M, Intrinsic::nvvm_redux_sync_umax);
  SmallVector<Value *, 4> Words;
  for (Value *W : encodeStateWords(B, V, DL))
    Words.push_back(B.CreateCall(Max, {W, Lanes}));
  Value *Out = decodeStateWords(B, Words, V->getType(), DL);
  Out->setName(V->getName() + ".uniform");
  return Out;
}

} // namespace rewrite
} // namespace gpreempt
