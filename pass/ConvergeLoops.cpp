//===- ConvergeLoops.cpp - divergent loops whose threads meet in rounds ---===//
//
// In a block-collective kernel a loop whose trip count differs between the
// threads of a block (a grid-stride loop: `for (i = tid; i < n; i += ...)`)
// cannot vote like a uniform one: the threads that already left it would
// never reach the vote. Such a loop, when BlockUniformity finds it
// convergible (every thread goes from one Entry to one Join around it, with
// no barrier on the way), is converged: the threads that leave it, or pass
// it by, wait before Join in a loop of their own, and the block meets in
// rounds:
//   - a thread in the loop takes a round on every PollInterval-th
//     back-edge (YieldPoints.cpp), a waiting thread one round after another;
//   - a round is barrier.red.popc of "I am in the loop": 0 means that every
//     thread is waiting, and all leave the wait together; else a
//     barrier.red.or of the flag, and if it is raised every thread yields,
//     those in the loop at the loop's yield point and the waiting ones at
//     the wait's, each with its own resume point.
// A barrier completes only when every thread of the block has arrived, so
// at each round every thread is in the loop's round or in the wait's, and
// all take the same barriers in the same order (both use the non-aligned
// forms: the threads of one warp may be at either). After a resume the
// rounds go on the same way: a round needs no count of rounds taken.
//
//   <header>.gp.arrive     the way's edges into Join (Join's phis move here)
//   <header>.gp.wait       n = barrier.red.popc(false); n == 0 -> Join
//   <header>.gp.wait.vote  barrier.red.or(flag) -> back to gp.wait, where
//                          insertYieldPoint puts the yield
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

  BasicBlock *Wait = newBlock(Header->getName() + ".gp.wait", Join);
  BasicBlock *Vote = newBlock(Header->getName() + ".gp.wait.vote", Join);
  Arrive->getTerminator()->replaceSuccessorWith(Join, Wait);
  Join->replacePhiUsesWith(Arrive, Wait);

  KernelBuilder W = at(Wait);
  Value *InLoop = W.CreateCall(
      Intrinsic::getOrInsertDeclaration(&M,
                                        Intrinsic::nvvm_barrier_cta_red_popc_all),
      {W.getInt32(0), W.getFalse()}, "gp.round.in.loop");
  W.CreateCondBr(W.CreateICmpEQ(InLoop, W.getInt32(0), "gp.round.all.out"),
                 Join, Vote);

  KernelBuilder V = at(Vote);
  Value *Mine =
      V.CreateICmpNE(V.CreateLoad(V.getInt32Ty(), Flag, /*isVolatile=*/true,
                                  "gp.flag"),
                     V.getInt32(0), "gp.preempted");
  WaitVote[Wait] = V.CreateCall(
      Intrinsic::getOrInsertDeclaration(&M,
                                        Intrinsic::nvvm_barrier_cta_red_or_all),
      {V.getInt32(0), Mine}, "gp.block.preempted");
  V.CreateBr(Wait);
  ConvergedHeaders.insert(Header);
}

} // namespace rewrite
} // namespace gpreempt
