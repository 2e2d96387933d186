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
//     has decided to yield (a word in shared memory, reset by the dispatch
//     for every logical block); either way it sets that word, arrives at
//     the block's barrier with "yield", and saves its state;
//   - a thread that leaves the loop, or passes it by, arrives at the same
//     barrier before Join with "go on".
// The barrier (barrier.red.or) completes once every thread has arrived:
// all left the loop, or some decided to yield and the rest saw the word at
// their next check or had left the loop. Its result tells the threads at
// the join which: go on together, or yield too, from a resume point of
// their own. No check costs a barrier; each execution of the loop costs
// one. Both arrivals are barrier.red.or on barrier 0 (not mixed with
// bar.sync, which PTX forbids) in their non-aligned form: the lanes of one
// warp may arrive from either.
//
//   <header>.gp.arrive     the way's edges into Join (Join's phis move here)
//   <header>.gp.wait       barrier.red.or(false): nobody yields -> Join
//   <header>.gp.wait.vote  -> back to gp.wait, where insertYieldPoint puts
//                          the yield (so a resume waits at the barrier again)
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

/// Converge the convergible loops whose enclosing loops are all uniform and
/// none votes at a __syncthreads of its own (that vote already bounds the
/// wait: whyNoYield's OuterVotes), so that both halves of each, the loop
/// and its wait, get their yield points in plan().
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

/// The dispatch's part (leader only, before its barrier): no decision yet
/// for the logical block, new or resumed.
void Rewriter::resetConvergeDecision(IRBuilder<> &B) {
  if (!ConvergedHeaders.empty())
    B.CreateStore(B.getInt32(0), sharedWord("__gp_shared_decision"));
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
  Value *Yields = W.CreateCall(
      Intrinsic::getOrInsertDeclaration(&M,
                                        Intrinsic::nvvm_barrier_cta_red_or_all),
      {W.getInt32(0), W.getFalse()}, "gp.block.yields");
  W.CreateCondBr(Yields, Vote, Join);
  at(Vote).CreateBr(Wait);
  WaitVote[Wait] = Yields;
  ConvergedHeaders.insert(Header);
}

} // namespace rewrite
} // namespace gpreempt
