//===- BlockUniformity.cpp - what all threads of a block do together -------===//
#include "BlockUniformity.h"
#include "KernelSafety.h"

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
    : F(F), DT(FAM.getResult<DominatorTreeAnalysis>(F)),
      PDT(FAM.getResult<PostDominatorTreeAnalysis>(F)),
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

bool BlockUniformity::isBarrier(const Instruction &I) const {
  auto *Call = dyn_cast<CallBase>(&I);
  const Function *Callee = Call ? Call->getCalledFunction() : nullptr;
  if (!Callee)
    return false;
  return Callee->getName().starts_with("llvm.nvvm.barrier.cta.") ||
         BarrierCallees.contains(Callee);
}

const Instruction *BlockUniformity::divergentBarrier() {
  for (BasicBlock &BB : F)
    for (Instruction &I : BB)
      if (isBarrier(I) && inDivergentRegion(&BB))
        return &I;
  return nullptr;
}

/// Whether I may read what another thread of the block writes in a way
/// meant to see it change (a spin-wait, a lock): in a converged loop such a
/// wait could hang, since the thread it waits for can be waiting at Join.
/// Plain loads cannot wait for another thread without a barrier between (a
/// data race); inline asm might, and so might a call, unless the callee
/// only reads memory (LLVM counts volatile and atomic reads as writes) and
/// is not convergent (no warp operations, which the lanes of a warp would
/// wait for each other at).
static bool mayWaitForAnotherThread(const Instruction &I) {
  if (auto *Load = dyn_cast<LoadInst>(&I))
    return Load->isVolatile() || Load->isAtomic();
  if (isa<AtomicCmpXchgInst>(I))
    return true;
  if (isa<AtomicRMWInst>(I))
    return !I.use_empty(); // atomicAdd for its effect alone cannot wait
  auto *Call = dyn_cast<CallBase>(&I);
  if (!Call)
    return false;
  const Function *Callee = Call->getCalledFunction();
  if (!Callee || Call->isInlineAsm())
    return true;
  if (!Callee->isIntrinsic())
    return !Call->onlyReadsMemory() || Call->isConvergent();
  StringRef Name = Callee->getName();
  return Call->mayReadFromMemory() && !isa<MemIntrinsic>(Call) &&
         (Name.contains("atomic") || Name.contains("volatile"));
}

/// L (not uniform) can be converged if every thread reaches the same Entry
/// and Join around it and meets nothing on the way that another thread
/// could wait for, or that could make a thread take the way twice:
///   - Join: the nearest post-dominator of L's header outside L that every
///     thread reaches (not in a divergent region), at L's own loop depth;
///   - Entry: where the ways into L and to Join branch apart (the nearest
///     common dominator of Join and L's entering blocks), reached by every
///     thread, and post-dominated by Join (no thread returns or traps on
///     the way);
///   - the way (blocks reachable from Entry without passing Join): no
///     barrier (the threads are at different iterations of L there; the
///     only barrier may be the one the rewrite adds at Join), no loop but L
///     and its inner loops (another loop could hold yield points of its
///     own), no edge back to the enclosing loop's header (a thread would
///     take the way twice before Join), and nothing that waits for another
///     thread (mayWaitForAnotherThread).
ConvergibleLoop BlockUniformity::convergible(const Loop &L) {
  auto No = [](const char *Why) { return ConvergibleLoop{nullptr, nullptr, Why}; };
  const DomTreeNode *N = PDT.getNode(L.getHeader());
  for (N = N ? N->getIDom() : nullptr; N && N->getBlock();
       N = N->getIDom())
    if (!L.contains(N->getBlock()) && !inDivergentRegion(N->getBlock()))
      break;
  const Loop *Parent = L.getParentLoop();
  if (!N || !N->getBlock() || LI.getLoopFor(N->getBlock()) != Parent)
    return No("no block after it that every thread reaches on every way "
              "out of it (a thread may return or trap)");
  BasicBlock *Join = N->getBlock();
  BasicBlock *Entry = Join;
  for (BasicBlock *Pred : predecessors(L.getHeader()))
    if (!L.contains(Pred)) // where threads enter L: often the guard itself
      Entry = DT.findNearestCommonDominator(Entry, Pred);
  if (!Entry || inDivergentRegion(Entry) || !PDT.dominates(Join, Entry))
    return No("not every thread comes to it from the same place, or some "
              "return on the way");

  bool WarpOps = false;
  SmallPtrSet<const BasicBlock *, 16> Way;
  SmallVector<const BasicBlock *, 16> Work(succ_begin(Entry), succ_end(Entry));
  while (!Work.empty()) {
    const BasicBlock *BB = Work.pop_back_val();
    if (BB == Join || !Way.insert(BB).second)
      continue;
    const Loop *In = LI.getLoopFor(BB);
    if (BB == Entry || (Parent && BB == Parent->getHeader()) ||
        (In != Parent && !L.contains(In)))
      return No("another loop lies between where its threads part and "
                "where they meet again");
    for (const Instruction &I : *BB) {
      if (isBarrier(I))
        return No("a barrier lies between where its threads part and where "
                  "they meet again");
      if (mayWaitForAnotherThread(I))
        return No("a thread in it may wait for another (a volatile or "
                  "atomic read, inline asm, or a call that was not inlined "
                  "and may write memory or synchronize), which could be "
                  "waiting after it");
      if (auto *Call = dyn_cast<CallBase>(&I))
        if (const Function *Callee = Call->getCalledFunction())
          WarpOps |= isWarpSynchronousIntrinsic(Callee->getName());
    }
    append_range(Work, successors(BB));
  }
  return ConvergibleLoop{Entry, Join, nullptr, WarpOps};
}

DenseMap<const BasicBlock *, ConvergibleLoop> BlockUniformity::convergibleLoops(
    const SmallPtrSetImpl<const BasicBlock *> &Uniform) {
  DenseMap<const BasicBlock *, ConvergibleLoop> Out;
  for (Loop *L : LI.getLoopsInPreorder())
    if (!Uniform.contains(L->getHeader()))
      Out[L->getHeader()] = convergible(*L);
  return Out;
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
