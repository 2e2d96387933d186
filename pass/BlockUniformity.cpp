//===- BlockUniformity.cpp - what all threads of a block do together -------===//
#include "BlockUniformity.h"

#include "llvm/Analysis/CycleAnalysis.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/PostDominators.h"
#include "llvm/Analysis/TargetTransformInfoImpl.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/CFG.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/IntrinsicsNVPTX.h"
#include "llvm/IR/PassInstrumentation.h"

using namespace llvm;

namespace gpreempt {
namespace {

constexpr unsigned GenericAS = 0, LocalAS = 5;

/// Special registers with one value per block (or per grid).
bool readsBlockConstant(const IntrinsicInst &II) {
  switch (II.getIntrinsicID()) {
  case Intrinsic::nvvm_read_ptx_sreg_ctaid_x:
  case Intrinsic::nvvm_read_ptx_sreg_ctaid_y:
  case Intrinsic::nvvm_read_ptx_sreg_ctaid_z:
  case Intrinsic::nvvm_read_ptx_sreg_ntid_x:
  case Intrinsic::nvvm_read_ptx_sreg_ntid_y:
  case Intrinsic::nvvm_read_ptx_sreg_ntid_z:
  case Intrinsic::nvvm_read_ptx_sreg_nctaid_x:
  case Intrinsic::nvvm_read_ptx_sreg_nctaid_y:
  case Intrinsic::nvvm_read_ptx_sreg_nctaid_z:
  case Intrinsic::nvvm_read_ptx_sreg_warpsize:
  case Intrinsic::nvvm_read_ptx_sreg_dynamic_smem_size:
  case Intrinsic::nvvm_read_ptx_sreg_total_smem_size:
    return true;
  default:
    return false;
  }
}

/// A generic pointer into global memory: based on a kernel argument or a
/// global variable, never on an alloca (a thread's own local memory).
bool pointsToGlobalMemory(const Value *Ptr) {
  const Value *Base = getUnderlyingObject(Ptr);
  if (auto *GV = dyn_cast<GlobalVariable>(Base))
    return GV->getAddressSpace() != LocalAS;
  if (auto *Arg = dyn_cast<Argument>(Base))
    return Arg->getParent()->getCallingConv() == CallingConv::PTX_Kernel;
  return false;
}

/// The target's uniformity rules, with the block-level corrections above.
class BlockLevelTTI final : public TargetTransformInfoImplBase {
public:
  BlockLevelTTI(const TargetTransformInfo &Target, const DataLayout &DL)
      : TargetTransformInfoImplBase(DL), Target(Target) {}

  bool hasBranchDivergence(const Function *) const override { return true; }

  InstructionUniformity getInstructionUniformity(const Value *V) const override {
    if (auto *II = dyn_cast<IntrinsicInst>(V); II && readsBlockConstant(*II))
      return InstructionUniformity::AlwaysUniform;
    if (auto *Load = dyn_cast<LoadInst>(V)) {
      if (Load->isVolatile() || Load->isAtomic())
        return InstructionUniformity::NeverUniform;
      if (Load->getPointerAddressSpace() == GenericAS &&
          pointsToGlobalMemory(Load->getPointerOperand()))
        return InstructionUniformity::Default;
    }
    return Target.getInstructionUniformity(V);
  }

private:
  const TargetTransformInfo &Target;
};

} // namespace

BlockUniformity::BlockUniformity(
    Function &F, FunctionAnalysisManager &FAM,
    const SmallPtrSetImpl<const Function *> &BarrierCallees)
    : F(F), PDT(FAM.getResult<PostDominatorTreeAnalysis>(F)),
      LI(FAM.getResult<LoopAnalysis>(F)), BarrierCallees(BarrierCallees) {
  // LLVM's own uniformity analysis, in an analysis manager of our own whose
  // target information is the block-level one.
  const TargetTransformInfo &Target = FAM.getResult<TargetIRAnalysis>(F);
  Local.registerPass([&] {
    return TargetIRAnalysis([&Target](const Function &G) {
      return TargetTransformInfo(
          std::make_unique<BlockLevelTTI>(Target, G.getDataLayout()));
    });
  });
  Local.registerPass([] { return DominatorTreeAnalysis(); });
  Local.registerPass([] { return CycleAnalysis(); });
  Local.registerPass([] { return UniformityInfoAnalysis(); });
  Local.registerPass([] { return PassInstrumentationAnalysis(); });
  UI = &Local.getResult<UniformityInfoAnalysis>(F);
}

BlockUniformity::~BlockUniformity() = default;

SmallPtrSet<const BasicBlock *, 8> BlockUniformity::uniformLoopHeaders() {
  SmallPtrSet<const BasicBlock *, 8> Out;
  for (Loop *L : LI.getLoopsInPreorder()) {
    SmallVector<BasicBlock *, 4> Exits, Latches;
    L->getExitingBlocks(Exits);
    L->getLoopLatches(Latches);
    bool Uniform = !inDivergentRegion(L->getHeader());
    for (BasicBlock *BB : concat<BasicBlock *>(Exits, Latches))
      Uniform &= !UI->hasDivergentTerminator(*BB);
    if (Uniform)
      Out.insert(L->getHeader());
  }
  return Out;
}

const Instruction *BlockUniformity::divergentBarrier() {
  auto IsBarrier = [&](const Instruction &I) {
    auto *Call = dyn_cast<CallBase>(&I);
    const Function *Callee = Call ? Call->getCalledFunction() : nullptr;
    if (!Callee)
      return false;
    return Callee->getName().starts_with("llvm.nvvm.barrier.cta.") ||
           BarrierCallees.contains(Callee);
  };
  for (BasicBlock &BB : F)
    for (Instruction &I : BB)
      if (IsBarrier(I) && inDivergentRegion(&BB))
        return &I;
  return nullptr;
}

bool BlockUniformity::controlDependsOn(const BasicBlock *X,
                                       const BasicBlock *BB) {
  if (X == BB || PDT.properlyDominates(X, BB))
    return false;
  return any_of(successors(BB),
                [&](const BasicBlock *S) { return PDT.dominates(X, S); });
}

bool BlockUniformity::inDivergentRegion(const BasicBlock *X) {
  auto [It, New] = Memo.try_emplace(X, false); // in progress: assume not
  if (!New)
    return It->second;
  bool Result = false;
  for (BasicBlock &BB : F)
    if (controlDependsOn(X, &BB) &&
        (UI->hasDivergentTerminator(BB) || inDivergentRegion(&BB))) {
      Result = true;
      break;
    }
  Memo[X] = Result;
  return Result;
}

} // namespace gpreempt
