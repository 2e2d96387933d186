//===- Rewriter.h - the steps that build K__gp, shared by their files ----===//
//
// Private to the pass (ResumableKernel.h is the interface). The Rewriter
// builds the preemptible clone of one kernel; its steps live in files of
// their own: ResumableKernel.cpp (clone, prologue, plan, run), Dispatch.cpp
// (the loop over logical blocks), ConvergeLoops.cpp (divergent loops whose
// threads wait for each other at the exit), YieldPoints.cpp (polls, votes,
// routes back into loops), ExitBoundPolls.cpp (a loop's exit test counting
// its polls), SaveRestore.cpp (state to and from the save area),
// Rematerialize.cpp (prologue values recomputed outside the body).
//
//===----------------------------------------------------------------------===//
#ifndef GPREEMPT_PASS_REWRITER_H
#define GPREEMPT_PASS_REWRITER_H

#include "ResumableKernel.h"
#include "YieldPlan.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

#include <optional>
#include <variant>

namespace gpreempt {
namespace rewrite {

constexpr unsigned GlobalAS = 1;
constexpr unsigned SharedAS = 3;
constexpr uint64_t NoBlock = ~uint64_t(0); // "no ticket": leave the kernel
/// In a slot (abi.h): the logical block was taken but not started.
constexpr uint64_t SlotNotStarted = uint64_t(1) << 62;

/// New code carries a line-0 location in the kernel's scope: debuggers and
/// the verifier want one, and no source line is responsible for it.
struct KernelBuilder : llvm::IRBuilder<> {
  KernelBuilder(llvm::BasicBlock *BB, const llvm::DebugLoc &Loc)
      : llvm::IRBuilder<>(BB) {
    SetCurrentDebugLocation(Loc);
  }
  KernelBuilder(llvm::Instruction *Before, const llvm::DebugLoc &Loc)
      : llvm::IRBuilder<>(Before) {
    SetCurrentDebugLocation(Loc);
  }
};

/// A latch's exit test that can count its loop's back-edges
/// (ExitBoundPolls.cpp): the loop goes on while X < Bound (signed or not)
/// or X != Bound, X growing by the loop-invariant Step each iteration.
struct ExitTest {
  llvm::Value *X = nullptr, *Bound = nullptr, *Step = nullptr;
  bool Signed = false;
  bool HeaderOnTrue = true; // the branch continues on Cmp true
};

class Rewriter {
public:
  Rewriter(llvm::Function &Kernel, const RewriteOptions &Options)
      : Orig(Kernel), M(*Kernel.getParent()), Ctx(Kernel.getContext()),
        DL(M.getDataLayout()), Options(Options) {}

  std::variant<ResumableKernel, Refusal> run();

private:
  // Steps, in the order run() calls them.
  void cloneWithExtraParams();
  void buildPrologue();
  void replaceSpecialRegisters();
  void convergeLoops();
  bool hoistRecomputable();
  std::optional<Refusal> plan();
  void collectSharedMemory();
  void placeSaveArea();
  void buildDispatch();
  void redirectReturns();
  void insertYieldPoint(LoopYield &LY, llvm::BasicBlock *Latch);
  std::optional<ExitTest> matchExitTest(const LoopYield &LY,
                                        llvm::BasicBlock *Latch);
  llvm::BasicBlock *boundPollsByExit(LoopYield &LY, const ExitTest &T,
                                     llvm::BasicBlock *Latch,
                                     llvm::BasicBlock *Back,
                                     llvm::BasicBlock *&Continue);
  void voteAtBarrier(LoopYield &LY);
  void buildRoutes();
  void repairSSA();
  void rematerializePrologue();
  void loadFlagAhead(LoopYield &LY, llvm::BasicBlock *Poll,
                     llvm::BasicBlock *Check, llvm::BasicBlock *Back);
  llvm::PHINode *newFlagSeen(LoopYield &LY);
  llvm::Value *sharedFlagAddress(llvm::IRBuilder<> &B);

  // Helpers.
  KernelBuilder at(llvm::BasicBlock *BB) {
    return KernelBuilder(BB, ArtificialLoc);
  }
  llvm::Value *readRegister(llvm::IRBuilder<> &B, llvm::Intrinsic::ID ID,
                            const llvm::Twine &Name = "") {
    return B.CreateCall(llvm::Intrinsic::getOrInsertDeclaration(&M, ID), {},
                        Name);
  }
  llvm::Value *wordAddress(llvm::IRBuilder<> &B, unsigned Word);
  llvm::Value *flagRaised(llvm::IRBuilder<> &B, llvm::Value *FlagAt,
                          const llvm::Twine &Name = "gp.preempted");
  void buildRelay(llvm::BasicBlock *Relay, llvm::BasicBlock *Exit,
                  llvm::BasicBlock *Return);
  llvm::Value *warpLanes(llvm::IRBuilder<> &B);
  llvm::Value *warpVote(llvm::BasicBlock *Check, llvm::Value *Raised,
                        llvm::BasicBlock *&Back);
  void storeValue(llvm::IRBuilder<> &B, llvm::Value *V, unsigned FirstWord);
  llvm::Value *loadValue(llvm::IRBuilder<> &B, llvm::Type *Ty,
                         unsigned FirstWord, const llvm::Twine &Name);
  void copyAllocas(llvm::IRBuilder<> &B, bool ToSaveArea);
  void copySharedMemory(llvm::IRBuilder<> &B, bool ToSaveArea);
  void emitCountedLoop(
      llvm::IRBuilder<> &B, llvm::Value *Start, llvm::Value *End,
      llvm::Value *Step, const llvm::Twine &Name,
      llvm::function_ref<void(llvm::IRBuilder<> &, llvm::Value *)> Body);
  void copyAlloca(llvm::IRBuilder<> &B, llvm::AllocaInst *AI,
                  unsigned FirstWord, bool ToSaveArea);
  /// Block-collective kernels: which loops of G are uniform, and which of
  /// those vote at a __syncthreads of their own (voteBarrierOf).
  struct CollectiveLoops {
    llvm::SmallPtrSet<const llvm::BasicBlock *, 8> UniformHeaders;
    llvm::DenseMap<const llvm::Loop *, llvm::CallInst *> Votes;
  };
  CollectiveLoops collectiveLoops(const llvm::DominatorTree &DT,
                                  const llvm::LoopInfo &LI);
  bool isShort(const llvm::Loop &L);
  std::optional<SkipReason> whyNoYield(const llvm::Loop &L,
                                       const CollectiveLoops &C);
  std::optional<SkipReason> whyNoCollectiveYield(const llvm::Loop &L,
                                       const CollectiveLoops &C);
  void convergeLoop(llvm::BasicBlock *Header, llvm::BasicBlock *Entry,
                    llvm::BasicBlock *Join);
  void resetConvergeWords(llvm::IRBuilder<> &B, bool PhysicalBlockStarts);
  llvm::Value *meetAtJoin(llvm::IRBuilder<> &B, bool Yielding);
  llvm::BasicBlock *newBlock(const llvm::Twine &Name,
                             llvm::BasicBlock *Before = nullptr);
  llvm::GlobalVariable *sharedWord(llvm::StringRef Name);
  void addRouteCases(llvm::SwitchInst *SW, llvm::Value *Key, LoopYield &Child);
  llvm::BasicBlock *buildRestoreBlock(LoopYield &LY);
  void setRouteIncoming(LoopYield &LY, llvm::BasicBlock *From, bool ForTarget,
                        llvm::Value *Key);

  llvm::Function &Orig;
  llvm::Module &M;
  llvm::LLVMContext &Ctx;
  const llvm::DataLayout &DL;
  const RewriteOptions &Options;

  llvm::Function *G = nullptr;
  llvm::ValueToValueMapTy VMap; // K -> K__gp
  llvm::Argument *CtlArg = nullptr, *FlagArg = nullptr, *SaveArg = nullptr,
                 *EpochArg = nullptr;
  llvm::Argument *GridArg[3] = {};
  bool isControlArg(const llvm::Argument *A) const {
    return A == CtlArg || A == FlagArg || A == SaveArg || A == EpochArg ||
           A == GridArg[0] || A == GridArg[1] || A == GridArg[2];
  }
  llvm::SmallVector<llvm::AllocaInst *, 4> Allocas;
  llvm::SmallPtrSet<llvm::BasicBlock *, 32> Body;
  YieldPlan Plan;
  llvm::SmallVector<llvm::GlobalVariable *, 4>
      SharedVars; // saved by collective yields
  llvm::DenseMap<const llvm::GlobalVariable *, unsigned> SharedFirstWord;
  unsigned SharedWords = 0;
  // extern __shared__: every such array starts at the launch's dynamic
  // shared memory, so one of them stands for all.
  llvm::GlobalVariable *DynamicShared = nullptr;
  llvm::Value *DynamicWords = nullptr; // i64, the launch's dynamic shared words
  llvm::Value *SharedSave = nullptr;   // this block's shared-memory save region

  llvm::BasicBlock *Prologue = nullptr, *BlockStart = nullptr,
                   *BodyEntry = nullptr;
  llvm::BasicBlock *ResumeDispatch = nullptr, *BlockTail = nullptr;
  llvm::BasicBlock *Trap = nullptr;
  llvm::SwitchInst *ResumeSwitch = nullptr;
  llvm::PHINode *Logical = nullptr, *Resuming = nullptr, *MyYield = nullptr;
  llvm::PHINode *Pending = nullptr; // slot value still to resume, in gp.next
  llvm::Value *ResumePoint = nullptr;
  llvm::Value *LogicalIdx[3] = {};
  llvm::Value *ThreadIdx[3] = {}, *BlockDim[3] = {};
  llvm::Value *IsLeader = nullptr, *SaveBase = nullptr, *Stride = nullptr;
  llvm::Value *IsRelaunch = nullptr, *PhysBlocks64 = nullptr;
  // Blocks that take logical blocks: PhysBlocks64, less the relay block if
  // the launch has one (abi.h: GP_SAVE_RELAY); and whether this is it.
  llvm::Value *Workers64 = nullptr, *IsRelayBlock = nullptr;
  llvm::Value *Flag = nullptr, *Ctl = nullptr, *Slot = nullptr,
              *Total = nullptr;
  llvm::Value *SaveArea = nullptr, *PhysBlock64 = nullptr, *Threads64 = nullptr;
  llvm::Value *Thread64 = nullptr;
  llvm::DebugLoc ArtificialLoc;

  llvm::DenseMap<LoopYield *, llvm::PHINode *>
      PollCounter; // loops with an interval > 1
  // Header phis of the polls' own (counters, exit-test limits) and the
  // value each takes on a route or restore edge into its loop.
  llvm::DenseMap<const llvm::PHINode *, llvm::Constant *> RestartValue;
  llvm::DenseMap<LoopYield *, llvm::Value *>
      FusedVote; // loops voting at a barrier
  // Loops with PollAhead: the header phi holding the flag as the last
  // refill loaded it (ExitBoundPolls.cpp), which their check decides on.
  llvm::DenseMap<const LoopYield *, llvm::PHINode *> FlagSeen;
  // Converged loops (ConvergeLoops.cpp): their headers, the headers of the
  // loops where their threads wait (with the meeting's decision: "some
  // thread yields"), and the headers of the loops that could be converged
  // or, with the reason, cannot (for remarks).
  llvm::SmallPtrSet<const llvm::BasicBlock *, 4> ConvergedHeaders;
  // With Options.ConvergeInner: the headers of loops inside converged
  // loops, which yield as parts of them (each thread on its own).
  llvm::SmallPtrSet<const llvm::BasicBlock *, 4> ConvergedInner;
  llvm::DenseMap<const llvm::BasicBlock *, llvm::Value *> WaitVote;
  llvm::SmallPtrSet<const llvm::BasicBlock *, 4> ConvergibleHeaders;
  llvm::DenseMap<const llvm::BasicBlock *, const char *> NotConvergible;
  /// Loops left without a yield point as short (isShort): trip count and
  /// instructions of a whole run. SE is set while plan() plans.
  llvm::DenseMap<const llvm::BasicBlock *, std::pair<unsigned, uint64_t>>
      ShortLoops;
  llvm::ScalarEvolution *SE = nullptr;
  // ... of which these have warp-synchronous operations on their way.
  llvm::SmallPtrSet<const llvm::BasicBlock *, 4> ConvergedWarpOps;
  // Blocks that read the flag at every back-edge of a loop: the flag's
  // address stays in a register there rather than being recomputed each
  // iteration.
  llvm::SmallPtrSet<llvm::BasicBlock *, 8> FlagReaders;
  // In gp.first, the store that sharedFlagAddress's word is set after, until
  // the first call sets it.
  llvm::Instruction *FlagPublishAfter = nullptr;
  // emitCountedLoop's blocks -> the block before the loop.
  llvm::DenseMap<llvm::BasicBlock *, llvm::BasicBlock *> CopyLoopPreheader;
  llvm::DenseMap<LoopYield *, llvm::PHINode *>
      RouteKey; // loops with children only
  llvm::DenseMap<LoopYield *, llvm::SwitchInst *> RouteSwitch;
  llvm::MapVector<
      llvm::Instruction *,
      llvm::SmallVector<std::pair<llvm::BasicBlock *, llvm::Value *>, 2>>
      Restored;
};

} // namespace rewrite
} // namespace gpreempt

#endif // GPREEMPT_PASS_REWRITER_H
