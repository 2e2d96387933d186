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
//     for every logical block); either way it sets that word, meets the
//     others (below), and saves its state;
//   - a thread that leaves the loop, or passes it by, meets them before
//     Join, and learns from the meeting whether any thread arrived from
//     its yield: go on together, or yield too, from a resume point of its
//     own.
// The meeting completes once every thread has arrived: all left the loop,
// or some decided to yield and the rest saw the word at their next check
// or had left the loop. Then no thread writes shared memory any more, and
// the yielders may save it. No check costs a meeting; each run of the loop
// costs one.
//
// The threads meet through a count in shared memory (meetAtJoin), not a
// hardware barrier: a non-aligned barrier.red at the loop's exits (the
// lanes of one warp arrive from the loop and from the join) made ptxas
// wrap every iteration's check in a BSSY/BSYNC warp reconvergence, and it
// hung on the H100 with converged loops inside another loop
// (test/gpu/converged_passes; docs/results.md, session 7).
//
//   <header>.gp.arrive     the way's edges into Join (Join's phis move here)
//   <header>.gp.wait       meet; no thread yields -> Join
//   <header>.gp.wait.vote  -> back to gp.wait, where insertYieldPoint puts
//                          the yield (a resumed thread meets the others
//                          again)
//
//===----------------------------------------------------------------------===//
#include "Rewriter.h"

#include "llvm/IR/CFG.h"
#include "llvm/IR/InlineAsm.h"
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

/// The dispatch's part (leader only, before its barrier): no thread has
/// decided to yield yet in the logical block, new or resumed; and, once per
/// physical block, before any thread can arrive, an empty meeting word
/// (shared memory starts undefined). Between logical blocks the meeting
/// word stays as the last meeting left it, with no arrivals counted.
void Rewriter::resetConvergeWords(IRBuilder<> &B, bool PhysicalBlockStarts) {
  if (ConvergedHeaders.empty())
    return;
  B.CreateStore(B.getInt32(0), sharedWord("__gp_shared_decision"));
  if (PhysicalBlockStarts)
    B.CreateStore(B.getInt32(0), sharedWord("__gp_shared_meet"));
}

/// Every thread of the block arrives here once per run of a converged loop,
/// from its join (Yielding false) or from its yield (true), and waits for
/// the others; the result, for the join, is whether the block yields. One
/// word in shared memory:
///   bits 0-10   this meeting's arrivals (a block has at most 1024 threads)
///   bit 11      some thread arrived from its yield
///   bit 12      the last meeting's decision (bit 11 when it ended)
///   bits 13-31  the meeting's number
/// A yielder sets bit 11 before it adds itself. The last to arrive sees
/// every request (each thread's or comes before its add) and ends the
/// meeting with one store: count and bit 11 cleared, bit 12 the decision,
/// number + 1 (no one else can write the word until the number moves).
/// Every thread spins until the number moves, and takes the decision from
/// the same load: it stays there until the next meeting ends, which needs
/// this thread. The decision word the loop's checks read cannot serve
/// here: a fast thread may set it in the next converged loop before a slow
/// one has read it after this meeting.
///
/// So the word needs no reset between meetings (a converged loop inside a
/// uniform loop meets once per outer iteration), and a thread slow to see
/// one meeting end is never caught by the next. Arrivals are acq_rel, the
/// end a release and the spin's loads acquire, at CTA scope: what a thread
/// wrote to shared memory before it arrived is seen by every thread after
/// the meeting, as a barrier would have made it. A resumed block starts
/// from 0 (resetConvergeWords) and every thread arrives again: those
/// that waited are resumed at the wait, the others in the loop.
Value *Rewriter::meetAtJoin(IRBuilder<> &B, bool Yielding) {
  Type *SharedPtr = PointerType::get(Ctx, SharedAS);
  const char *Constraint = DL.getPointerSizeInBits(SharedAS) == 64
                               ? "=r,l,~{memory}"
                               : "=r,r,~{memory}";
  // Each thread adds itself (ptxas turns same-address shared atomics into
  // one per warp on its own). The last to arrive ends the meeting with a
  // predicated store, not on a branch of its own: its warp-mates then never
  // spin while the lane that would release them waits on another path. An
  // explicit per-warp add (activemask, bar.warp.sync, one lane's atomic,
  // shfl.sync) hung on the H100 in test/gpu/converged_passes and under
  // racecheck: not used.
  std::string Meet = "{\n"
                     ".reg .pred %gpp;\n"
                     ".reg .b32 %gpm<4>;\n"
                     "mov.u32 %gpm0, %ntid.x;\n"
                     "mov.u32 %gpm1, %ntid.y;\n"
                     "mul.lo.u32 %gpm0, %gpm0, %gpm1;\n"
                     "mov.u32 %gpm1, %ntid.z;\n"
                     "mul.lo.u32 %gpm0, %gpm0, %gpm1;\n";
  if (Yielding)
    Meet += "red.relaxed.cta.shared.or.b32 [$1], 2048;\n";
  Meet += "atom.acq_rel.cta.shared.add.u32 %gpm1, [$1], 1;\n"
          "and.b32 %gpm2, %gpm1, 2047;\n"
          "add.u32 %gpm2, %gpm2, 1;\n"
          "setp.eq.u32 %gpp, %gpm2, %gpm0;\n"
          // The end: number + 1, bit 12 = bit 11, the rest 0.
          "shr.u32 %gpm2, %gpm1, 13;\n"
          "add.u32 %gpm2, %gpm2, 1;\n"
          "shl.b32 %gpm2, %gpm2, 13;\n"
          "and.b32 %gpm3, %gpm1, 2048;\n"
          "shl.b32 %gpm3, %gpm3, 1;\n"
          "or.b32 %gpm2, %gpm2, %gpm3;\n"
          "@%gpp st.release.cta.shared.u32 [$1], %gpm2;\n"
          "and.b32 %gpm3, %gpm1, -8192;\n"
          "GP_MEET_WAIT:\n"
          "ld.acquire.cta.shared.u32 %gpm1, [$1];\n"
          "and.b32 %gpm2, %gpm1, -8192;\n"
          "setp.eq.u32 %gpp, %gpm2, %gpm3;\n"
          "@%gpp bra GP_MEET_WAIT;\n"
          "bfe.u32 $0, %gpm1, 12, 1;\n"
          "}";
  auto *Asm = InlineAsm::get(
      FunctionType::get(B.getInt32Ty(), {SharedPtr}, false), Meet, Constraint,
      /*hasSideEffects=*/true);
  return B.CreateCall(Asm, {sharedWord("__gp_shared_meet")},
                      Yielding ? "gp.met" : "gp.met.decision");
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
  Value *Yields = W.CreateICmpNE(meetAtJoin(W, /*Yielding=*/false),
                                 W.getInt32(0), "gp.block.yields");
  W.CreateCondBr(Yields, Vote, Join);
  at(Vote).CreateBr(Wait);
  WaitVote[Wait] = Yields;
  ConvergedHeaders.insert(Header);
}

} // namespace rewrite
} // namespace gpreempt
