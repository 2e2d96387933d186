//===- ConvergeLoops.cpp - divergent loops whose threads wait at the join -===//
//
// In a block-collective kernel a loop whose trip count differs between the
// threads of a block (a grid-stride loop: `for (i = tid; i < n; i += ...)`)
// cannot vote like a uniform one: the threads that already left it would
// never reach the vote. Such a loop, when BlockUniformity finds it
// convergible (every thread goes from one Entry to one Join around it, with
// no barrier on the way), is converged:
//   - in the loop each thread checks, on its own, every PollInterval-th
//     back-edge, whether the flag is raised or another thread of the block
//     has decided to yield (a word in shared memory); either way it sets
//     that word and yields: it waits at a barrier for the whole block, then
//     saves its state;
//   - a thread that leaves the loop, or passes it by, counts itself in at
//     the join and waits there until every thread of the block has (then
//     all go on) or the block has decided to yield (then it yields, with a
//     resume point of its own, and waits at the same barrier).
// No check costs a barrier: the only one is the yield's, which every
// thread reaches (the ones in the loop at their next check, the waiting
// ones at once), so shared memory is saved only once every thread has
// stopped writing it. The count and the release can never both happen: a
// thread that decides to yield never counts itself in. A thread yields at
// its own iteration; it saves its own values, as in a barrier-free kernel.
//
// Shared words: the count and a generation (gpreempt_converge_wait, saved
// and restored with the block's shared memory, so that a resumed block
// knows who is already waiting), and the decision (reset by the dispatch
// for every logical block, new or resumed).
//
//   <header>.gp.arrive   the way's edges into Join (Join's phis move here);
//                        read the generation, count in; the last one in:
//   <header>.gp.release  reset the count, bump the generation -> Join
//   <header>.gp.wait     generation moved on -> Join
//   <header>.gp.wait.vote  the block decided to yield? -> back to gp.wait,
//                        where insertYieldPoint puts the yield
//
//===----------------------------------------------------------------------===//
#include "Rewriter.h"

#include "llvm/IR/CFG.h"
#include "llvm/IR/IntrinsicsNVPTX.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"

#define DEBUG_TYPE "gpreempt"

using namespace llvm;

namespace gpreempt {
namespace rewrite {

/// Converge the convergible loops whose enclosing loops all yield at votes
/// of their own (no barrier of theirs, which would make the loop's rounds
/// the costlier way: whyNoYield's OuterVotes), so that both halves of each
/// get their yield points in plan().
void Rewriter::convergeLoops() {
  if (!Options.BlockCollective || !Options.ConvergibleLoops)
    return;
  DenseMap<const BasicBlock *, std::pair<BasicBlock *, BasicBlock *>> Around;
  for (const auto &[Header, Loop] : *Options.ConvergibleLoops) {
    auto *H = cast_or_null<BasicBlock>(VMap.lookup(Header));
    auto *Entry = Loop.Entry ? cast_or_null<BasicBlock>(VMap.lookup(Loop.Entry))
                             : nullptr;
    auto *Join = Loop.Join ? cast_or_null<BasicBlock>(VMap.lookup(Loop.Join))
                           : nullptr;
    if (H && Loop.Why)
      NotConvergible[H] = Loop.Why;
    else if (H && Entry && Join) {
      Around[H] = {Entry, Join};
      ConvergibleHeaders.insert(H);
      if (Loop.WarpOps)
        ConvergedWarpOps.insert(H);
    }
  }
  DominatorTree DT(*G);
  LoopInfo LI(DT);
  CollectiveLoops C = collectiveLoops(DT, LI);
  SmallVector<std::tuple<BasicBlock *, BasicBlock *, BasicBlock *>, 4> Chosen;
  SmallPtrSet<BasicBlock *, 4> Joins;
  for (Loop *L : LI.getLoopsInPreorder()) { // program order: stable output
    auto It = Around.find(L->getHeader());
    if (It == Around.end())
      continue;
    bool Enclosed = true;
    for (const Loop *P = L->getParentLoop(); P; P = P->getParentLoop())
      Enclosed &= C.UniformHeaders.contains(P->getHeader()) && !C.Votes.count(P);
    auto [Entry, Join] = It->second;
    // Two loops ending at one Join would be on each other's way, which
    // BlockUniformity rules out; kept as a check, not an assumption.
    if (Enclosed && Joins.insert(Join).second)
      Chosen.push_back({L->getHeader(), Entry, Join});
  }
  for (auto [Header, Entry, Join] : Chosen)
    convergeLoop(Header, Entry, Join);
}

GlobalVariable *Rewriter::convergeWaitWords() {
  // Not named __gp_*: those are the dispatch's words, which are not saved.
  StringRef Name = "gpreempt_converge_wait";
  if (auto *GV = M.getGlobalVariable(Name, /*AllowInternal=*/true))
    return GV;
  auto *Ty = ArrayType::get(Type::getInt32Ty(Ctx), 2); // count, generation
  auto *GV = new GlobalVariable(M, Ty, false, GlobalValue::InternalLinkage,
                                UndefValue::get(Ty), Name, nullptr,
                                GlobalValue::NotThreadLocal, SharedAS);
  GV->setAlignment(Align(8));
  return GV;
}

/// The dispatch's part (leader only, before its barrier): no decision yet
/// for the logical block; a new one also starts with nobody counted in (a
/// resumed one gets its count back with its shared memory).
void Rewriter::resetConvergeWords(IRBuilder<> &B, bool NewBlock) {
  if (ConvergedHeaders.empty())
    return;
  B.CreateStore(B.getInt32(0), sharedWord("__gp_shared_decision"));
  if (NewBlock)
    B.CreateStore(B.getInt32(0), convergeWaitWords());
}

void Rewriter::convergeLoop(BasicBlock *Header, BasicBlock *Entry,
                            BasicBlock *Join) {
  // The way: Entry and what is reachable from it before Join.
  SmallPtrSet<BasicBlock *, 16> Way;
  SmallVector<BasicBlock *, 16> Work = {Entry};
  while (!Work.empty()) {
    BasicBlock *BB = Work.pop_back_val();
    if (BB != Join && Way.insert(BB).second)
      append_range(Work, successors(BB));
  }
  SmallVector<BasicBlock *, 4> Into;
  for (BasicBlock *P : predecessors(Join))
    if (Way.contains(P) && !is_contained(Into, P))
      Into.push_back(P);
  BasicBlock *Arrive = SplitBlockPredecessors(Join, Into, ".gp.arrive");
  if (!Arrive)
    return; // an edge that cannot be split: the loop stays divergent
  Arrive->setName(Header->getName() + ".gp.arrive");

  BasicBlock *Release = newBlock(Header->getName() + ".gp.release", Join);
  BasicBlock *Wait = newBlock(Header->getName() + ".gp.wait", Join);
  BasicBlock *Vote = newBlock(Header->getName() + ".gp.wait.vote", Join);
  Type *I32 = Type::getInt32Ty(Ctx);
  SyncScope::ID Block = Ctx.getOrInsertSyncScopeID("block");
  GlobalVariable *Words = convergeWaitWords();
  Value *Count = Words;
  Value *Generation = ConstantExpr::getInBoundsGetElementPtr(
      Words->getValueType(), Words,
      ArrayRef<Constant *>{ConstantInt::get(I32, 0), ConstantInt::get(I32, 1)});

  Arrive->getTerminator()->eraseFromParent();
  KernelBuilder A = at(Arrive);
  // Read before counting in: the generation cannot move on before this
  // thread is counted.
  Value *Mine = A.CreateAlignedLoad(I32, Generation, Align(4),
                                    /*isVolatile=*/true, "gp.wait.generation");
  Value *Threads = A.CreateMul(
      A.CreateMul(readRegister(A, Intrinsic::nvvm_read_ptx_sreg_ntid_x),
                  readRegister(A, Intrinsic::nvvm_read_ptx_sreg_ntid_y)),
      readRegister(A, Intrinsic::nvvm_read_ptx_sreg_ntid_z), "gp.wait.threads");
  Value *Before =
      A.CreateAtomicRMW(AtomicRMWInst::Add, Count, A.getInt32(1), Align(4),
                        AtomicOrdering::Monotonic, Block);
  A.CreateCondBr(
      A.CreateICmpEQ(A.CreateAdd(Before, A.getInt32(1)), Threads, "gp.wait.last"),
      Release, Wait);

  // The count is reset before the generation moves on (the fence), so a
  // thread that sees the new generation and reaches the next converged
  // loop's join counts itself into a fresh count.
  KernelBuilder R = at(Release);
  R.CreateAlignedStore(R.getInt32(0), Count, Align(4), /*isVolatile=*/true);
  R.CreateFence(AtomicOrdering::Release, Block);
  R.CreateAtomicRMW(AtomicRMWInst::Add, Generation, R.getInt32(1), Align(4),
                    AtomicOrdering::Monotonic, Block);
  R.CreateBr(Join);

  KernelBuilder W = at(Wait);
  LoadInst *Now =
      W.CreateAlignedLoad(I32, Generation, Align(4), "gp.wait.now");
  Now->setAtomic(AtomicOrdering::Acquire, Block);
  W.CreateCondBr(W.CreateICmpNE(Now, Mine, "gp.wait.released"), Join, Vote);

  KernelBuilder V = at(Vote);
  WaitVote[Wait] = V.CreateICmpNE(
      V.CreateAlignedLoad(I32, sharedWord("__gp_shared_decision"), Align(4),
                          /*isVolatile=*/true, "gp.decision"),
      V.getInt32(0), "gp.block.yields");
  V.CreateBr(Wait);

  // Join's phis took their values from Arrive; they come from Release and
  // Wait now, the same values.
  for (PHINode &Phi : Join->phis()) {
    Value *V = Phi.getIncomingValueForBlock(Arrive);
    Phi.setIncomingBlock(Phi.getBasicBlockIndex(Arrive), Wait);
    Phi.addIncoming(V, Release);
  }
  ConvergedHeaders.insert(Header);
}

} // namespace rewrite
} // namespace gpreempt
