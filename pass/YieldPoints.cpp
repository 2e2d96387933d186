//===- YieldPoints.cpp - polls, votes, routes into loops ---------------===//
//
// Each planned back-edge polls the flag (or the block votes), saves and
// leaves; a resumed thread is routed through the headers of its enclosing
// loops back to the loop it left, so that every loop keeps one entry.
//
//===----------------------------------------------------------------------===//
#include "Rewriter.h"
#include "gpreempt/abi.h"

#include "llvm/IR/IntrinsicsNVPTX.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"

#define DEBUG_TYPE "gpreempt"

using namespace llvm;

namespace gpreempt {
namespace rewrite {

/// The back-edge Latch -> LY.Header becomes
///     <header>.gp.poll   count back-edges; every PollInterval-th one:
///     <header>.gp.check  flag raised (a block-wide vote in block-collective
///                        kernels)? -> <header>.gp.yield
///     <header>.gp.back   -> header
/// With an interval of 1 there is no count: gp.poll checks the flag and
/// branches to the header itself. Where the latch's exit test can count
/// instead (a thread that checks on its own; ExitBoundPolls.cpp), the
/// latch compares with a limit and the check sits behind it.
void Rewriter::insertYieldPoint(LoopYield &LY, BasicBlock *Latch) {
  BasicBlock *Header = LY.Header;
  // voteAtBarrier ran, or the wait of a converged loop: just branch.
  Value *Fused = FusedVote.lookup(&LY);
  if (!Fused)
    Fused = WaitVote.lookup(Header);
  // Votes (a barrier's, a warp's) need every thread or lane at the same
  // check; an exit test counts each thread's own back-edges.
  bool ChecksAlone =
      !Options.WarpCollective &&
      (LY.Role == LoopYield::Converge::Loop
           ? !ConvergedWarpOps.contains(Header)
           : !Options.BlockCollective);
  std::optional<ExitTest> Test;
  if (Options.ExitBoundPolls && LY.PollInterval > 1 && !Fused && ChecksAlone)
    Test = matchExitTest(LY, Latch);
  // Read one check ahead, the interval halved: a raise still reaches the
  // thread within the interval's back-edges, and no check waits for its
  // load (ExitBoundPolls.cpp). A counter's loop needs one latch: the value
  // comes round on one edge.
  if (Options.PollAhead && ChecksAlone && !Fused && LY.PollInterval >= 4 &&
      (Test || LY.Latches.size() == 1)) {
    LY.PollInterval /= 2;
    LY.PollAhead = true;
  }
  BasicBlock *Poll = SplitBlockPredecessors(Header, {Latch}, ".gp.poll");
  BasicBlock *Save = newBlock(Header->getName() + ".gp.yield", BlockTail);
  MDNode *Unlikely = MDBuilder(Ctx).createUnlikelyBranchWeights();

  // Back: the block whose edge enters the header, where the header's phis
  // take their back-edge values; Check: where the flag is read.
  BasicBlock *Back = Poll, *Check = Poll, *Continue = Header;
  if (Test) {
    Check = boundPollsByExit(LY, *Test, Latch, Back, Continue);
  } else if (LY.PollInterval > 1 && !Fused) {
    Back = SplitBlock(Poll, Poll->getTerminator());
    Back->setName(Header->getName() + ".gp.back");
    Continue = Back;
    // One counter per loop, 0 on every entry (ordinary, restore, route):
    // the interval bounds the back-edges between checks within one run of
    // the loop; an enclosing loop checks between runs.
    PHINode *&Count = PollCounter[&LY];
    Type *I32 = Type::getInt32Ty(Ctx);
    if (!Count) {
      Count = PHINode::Create(I32, 4, Header->getName() + ".gp.count",
                              Header->begin());
      RestartValue[Count] = ConstantInt::get(I32, 0);
      for (BasicBlock *Pred : predecessors(Header))
        if (Pred != Back)
          Count->addIncoming(ConstantInt::get(I32, 0), Pred);
    }
    Instruction *Br = Poll->getTerminator();
    IRBuilder<> B(Br);
    B.SetCurrentDebugLocation(Br->getDebugLoc());
    Value *Next =
        B.CreateAdd(Count, B.getInt32(1), Header->getName() + ".gp.count.next");
    Value *Due =
        B.CreateICmpEQ(B.CreateAnd(Next, B.getInt32(LY.PollInterval - 1)),
                       B.getInt32(0), "gp.check.due");
    Check = newBlock(Header->getName() + ".gp.check", Back);
    B.CreateCondBr(Due, Check, Back, Unlikely);
    Br->eraseFromParent();
    // A second latch of the loop: its edge came over from the header.
    if (Count->getBasicBlockIndex(Back) >= 0)
      Count->setIncomingValueForBlock(Back, Next);
    else
      Count->addIncoming(Next, Back);
    BranchInst::Create(Back, Check)
        ->setDebugLoc(Back->getTerminator()->getDebugLoc());
    if (LY.PollAhead)
      loadFlagAhead(LY, Poll, Check, Back);
  }

  // A check at every back-edge keeps the flag's address in a register; one
  // made every N-th reads it from shared memory (sharedFlagAddress).
  if (Check == Poll)
    FlagReaders.insert(Check);
  Instruction *Br = Check->getTerminator();
  IRBuilder<> B(Br);
  B.SetCurrentDebugLocation(Br->getDebugLoc());
  Value *Raised = Fused;
  if (!Raised) {
    if (PHINode *Seen = FlagSeen.lookup(&LY))
      Raised = B.CreateICmpSGT(Seen, B.getInt32(0), "gp.flag.seen.raised");
    else
      Raised = flagRaised(B, Check == Poll ? Flag : sharedFlagAddress(B));
    if (LY.Role == LoopYield::Converge::Loop) {
      // Each thread on its own (ConvergeLoops.cpp): the flag, or another
      // thread of the block that decided to yield.
      Value *Decided = B.CreateICmpNE(
          B.CreateAlignedLoad(B.getInt32Ty(), sharedWord("__gp_shared_decision"),
                              Align(4), /*isVolatile=*/true, "gp.decision"),
          B.getInt32(0), "gp.block.yields");
      Raised = B.CreateOr(Raised, Decided, "gp.yields");
    } else if (Options.BlockCollective) {
      // Every thread of the block is at this back-edge (the loop is
      // uniform), and all of them must leave or stay together.
      Raised = B.CreateCall(Intrinsic::getOrInsertDeclaration(
                                &M, Intrinsic::nvvm_barrier_cta_red_or_all),
                            {B.getInt32(0), Raised}, "gp.block.preempted");
    }
  }
  // No barriers in either, so never Fused: warp-collective kernels, and
  // converged loops with warp operations, whose lanes stop only together.
  if (Options.WarpCollective ||
      (LY.Role == LoopYield::Converge::Loop &&
       ConvergedWarpOps.contains(Header))) {
    Raised = warpVote(Check, Raised, Back);
    Br = cast<PHINode>(Raised)->getParent()->getTerminator();
    B.SetInsertPoint(Br);
  }
  B.CreateCondBr(Raised, Save, Continue, Unlikely);
  Br->eraseFromParent();

  KernelBuilder S(Save, ArtificialLoc);
  if (LY.Role == LoopYield::Converge::Loop) {
    // Tell the block (the others in the loop see it at their next check),
    // then meet the threads past the loop, which wait at its join
    // (ConvergeLoops.cpp): once all have arrived every thread has stopped,
    // and shared memory is whole.
    S.CreateAlignedStore(S.getInt32(1), sharedWord("__gp_shared_decision"),
                         Align(4), /*isVolatile=*/true);
    meetAtJoin(S, /*Yielding=*/true);
  }
  S.CreateAlignedStore(S.getInt32(LY.Id), SaveBase, Align(4));
  for (PHINode *Phi : LY.CarriedPhis)
    storeValue(S, Phi->getIncomingValueForBlock(Back), LY.FirstWord[Phi]);
  for (Instruction *V : LY.LiveIns)
    storeValue(S, V, LY.FirstWord[V]);
  copyAllocas(S, /*ToSaveArea=*/true);
  copySharedMemory(S, /*ToSaveArea=*/true);
  S.CreateBr(BlockTail);
  MyYield->addIncoming(S.getTrue(), S.GetInsertBlock());
}

/// PollAhead with a counter: a header phi, gp.flag.seen (0 on every entry,
/// route and restore edge), holds the flag as the last check loaded it;
/// the check decides on it, and loads the flag for the next check before
/// its branch, which does not wait for that load. The first check of a run
/// sees 0 and only loads, so with the interval halved a raise still
/// reaches the thread within the old interval's back-edges.
void Rewriter::loadFlagAhead(LoopYield &LY, BasicBlock *Poll, BasicBlock *Check,
                             BasicBlock *Back) {
  BasicBlock *Header = LY.Header;
  Type *I32 = Type::getInt32Ty(Ctx);
  PHINode *Seen = newFlagSeen(LY);
  IRBuilder<> C(Check->getTerminator());
  C.SetCurrentDebugLocation(Check->getTerminator()->getDebugLoc());
  Value *Loaded = C.CreateLoad(I32, sharedFlagAddress(C), /*isVolatile=*/true,
                               "gp.flag.ahead");
  IRBuilder<> K(Back, Back->begin());
  PHINode *SeenBack =
      K.CreatePHI(I32, 2, Header->getName() + ".gp.flag.back");
  SeenBack->addIncoming(Seen, Poll);
  SeenBack->addIncoming(Loaded, Check);
  Seen->setIncomingValueForBlock(Back, SeenBack);
}

/// LY's gp.flag.seen (PollAhead): a header phi, 0 on every edge in (the
/// back-edge's value is the caller's to set) and on every route and
/// restore edge added later, which LY's check decides on.
PHINode *Rewriter::newFlagSeen(LoopYield &LY) {
  Type *I32 = Type::getInt32Ty(Ctx);
  Constant *Zero = ConstantInt::get(I32, 0);
  PHINode *Seen = PHINode::Create(I32, 4, LY.Header->getName() + ".gp.flag.seen",
                                  LY.Header->begin());
  for (BasicBlock *Pred : predecessors(LY.Header))
    Seen->addIncoming(Zero, Pred);
  RestartValue[Seen] = Zero;
  FlagSeen[&LY] = Seen;
  return Seen;
}

/// The lanes of this thread's warp (linear thread index / 32 in a block of
/// any shape): all 32, or the low ones of a last, partial warp. Read from
/// the special registers where it is needed (a check whose warp is not
/// full), rather than kept in a register across the kernel.
Value *Rewriter::warpLanes(IRBuilder<> &B) {
  auto Read = [&](Intrinsic::ID ID) { return readRegister(B, ID); };
  Value *Tid[3] = {Read(Intrinsic::nvvm_read_ptx_sreg_tid_x),
                   Read(Intrinsic::nvvm_read_ptx_sreg_tid_y),
                   Read(Intrinsic::nvvm_read_ptx_sreg_tid_z)};
  Value *NTid[3] = {Read(Intrinsic::nvvm_read_ptx_sreg_ntid_x),
                    Read(Intrinsic::nvvm_read_ptx_sreg_ntid_y),
                    Read(Intrinsic::nvvm_read_ptx_sreg_ntid_z)};
  Value *T = B.CreateAdd(
      Tid[0],
      B.CreateMul(NTid[0], B.CreateAdd(Tid[1], B.CreateMul(NTid[1], Tid[2]))));
  Value *N = B.CreateMul(B.CreateMul(NTid[0], NTid[1]), NTid[2]);
  Value *Left = B.CreateSub(N, B.CreateAnd(T, B.getInt32(~31u)), "gp.warp.left");
  Value *Partial = B.CreateSub(
      B.CreateShl(B.getInt32(1), B.CreateAnd(Left, B.getInt32(31))),
      B.getInt32(1));
  return B.CreateSelect(B.CreateICmpUGE(Left, B.getInt32(32)),
                        B.getInt32(~0u), Partial, "gp.warp.lanes");
}

/// Warp-collective kernels (KernelTraits): the thread yields only with its
/// whole warp. Check's terminator moves to a new block, Join, which gets
/// the decision: yes only if every lane of the warp is at this check
/// (activemask: none is elsewhere, where it could still wait for the others
/// at a shuffle) and one of them saw the flag raised (vote.any.sync, made
/// only when all lanes are here). A warp that is split here checks again
/// at a later back-edge. A full warp is the common case: the lanes of a
/// partial last warp are worked out only when the mask is not all ones.
/// Back becomes Join where it was Check, since Join is now the block whose
/// edge enters the loop.
Value *Rewriter::warpVote(BasicBlock *Check, Value *Raised, BasicBlock *&Back) {
  Instruction *Br = Check->getTerminator();
  BasicBlock *Join = SplitBlock(Check, Br);
  Join->setName(Check->getName() + ".gp.warp");
  if (Back == Check)
    Back = Join;
  BasicBlock *Partial = newBlock(Check->getName() + ".gp.warp.partial", Join);
  BasicBlock *Vote = newBlock(Check->getName() + ".gp.warp.vote", Join);
  Type *I32 = Type::getInt32Ty(Ctx);
  IRBuilder<> B(Check->getTerminator());
  B.SetCurrentDebugLocation(Br->getDebugLoc());
  Value *Active = B.CreateCall(
      Intrinsic::getOrInsertDeclaration(&M, Intrinsic::nvvm_activemask), {},
      "gp.warp.active");
  B.CreateCondBr(B.CreateICmpEQ(Active, B.getInt32(~0u), "gp.warp.full"),
                 Vote, Partial);
  Check->getTerminator()->eraseFromParent();

  IRBuilder<> P(Partial);
  P.SetCurrentDebugLocation(Br->getDebugLoc());
  Value *Lanes = warpLanes(P);
  P.CreateCondBr(P.CreateICmpEQ(Active, Lanes, "gp.warp.whole"), Vote, Join);

  IRBuilder<> V(Vote);
  V.SetCurrentDebugLocation(Br->getDebugLoc());
  PHINode *Mask = V.CreatePHI(I32, 2, "gp.warp.mask");
  Mask->addIncoming(V.getInt32(~0u), Check);
  Mask->addIncoming(Lanes, Partial);
  Value *Any = V.CreateCall(
      Intrinsic::getOrInsertDeclaration(&M, Intrinsic::nvvm_vote_any_sync),
      {Mask, Raised}, "gp.warp.preempted");
  V.CreateBr(Join);

  IRBuilder<> J(Join, Join->begin());
  PHINode *Decision = J.CreatePHI(J.getInt1Ty(), 2, "gp.warp.decision");
  Decision->addIncoming(J.getFalse(), Partial);
  Decision->addIncoming(Any, Vote);
  return Decision;
}

/// LY's own __syncthreads becomes its yield vote, before the back-edges
/// get their polls (which then only branch on it): barrier.red.or of "the
/// flag is raised" has the barrier's effect and gives every thread the
/// block's decision. With an interval, a counter (0 on every entry) picks
/// the iterations that vote, in a block of their own with the flag's read
/// and barrier.red.or; the others keep the kernel's plain barrier (a
/// jacobi2d was 20-30% slower on the H100 with a flag read and a
/// reduction barrier in every iteration)
/// and vote no. Without one, every iteration votes, with the flag read at
/// the top of the iteration, off the way to the barrier.
void Rewriter::voteAtBarrier(LoopYield &LY) {
  CallInst *Old = LY.VoteBarrier;
  Type *I32 = Type::getInt32Ty(Ctx);
  Intrinsic::ID RedOr =
      Old->getIntrinsicID() == Intrinsic::nvvm_barrier_cta_sync_aligned_all
          ? Intrinsic::nvvm_barrier_cta_red_or_aligned_all
          : Intrinsic::nvvm_barrier_cta_red_or_all;
  Value *Raised = nullptr;
  if (LY.PollInterval == 1) {
    IRBuilder<> Top(LY.Header, LY.Header->getFirstInsertionPt());
    Top.SetCurrentDebugLocation(Old->getDebugLoc());
    Raised = flagRaised(Top, Flag);
  } else {
    // At: ... count, due? -> Vote: read the flag, barrier.red.or
    //                     else Sync: the kernel's own barrier
    // Rest: the vote's result (no on Sync's path), the kernel's code on.
    BasicBlock *At = Old->getParent();
    BasicBlock *Sync = SplitBlock(At, Old);
    BasicBlock *Rest = SplitBlock(Sync, Old->getNextNode());
    Sync->setName(At->getName() + ".gp.sync");
    Rest->setName(At->getName() + ".gp.on");
    BasicBlock *Vote = newBlock(At->getName() + ".gp.vote", Rest);
    Body.insert(Sync);
    Body.insert(Rest); // the kernel's own code continues there
    for (BasicBlock *&Latch : LY.Latches)
      if (Latch == At) // its back-edge moved along
        Latch = Rest;
    PHINode *Count = PHINode::Create(I32, 4, LY.Header->getName() + ".gp.count",
                                     LY.Header->begin());
    PollCounter[&LY] = Count;
    RestartValue[Count] = ConstantInt::get(I32, 0);
    IRBuilder<> B(At->getTerminator());
    B.SetCurrentDebugLocation(Old->getDebugLoc());
    Value *Next = B.CreateAdd(Count, B.getInt32(1),
                              LY.Header->getName() + ".gp.count.next");
    for (BasicBlock *Pred : predecessors(LY.Header))
      Count->addIncoming(
          is_contained(LY.Latches, Pred) ? Next : ConstantInt::get(I32, 0),
          Pred);
    Value *Due =
        B.CreateICmpEQ(B.CreateAnd(Next, B.getInt32(LY.PollInterval - 1)),
                       B.getInt32(0), "gp.vote.due");
    Instruction *Br = At->getTerminator();
    BranchInst::Create(Vote, Sync, Due, Br->getIterator())
        ->setMetadata(LLVMContext::MD_prof,
                      MDBuilder(Ctx).createUnlikelyBranchWeights());
    Br->eraseFromParent();
    IRBuilder<> V(Vote);
    V.SetCurrentDebugLocation(Old->getDebugLoc());
    Value *Mine = flagRaised(V, sharedFlagAddress(V));
    Value *Red = V.CreateCall(Intrinsic::getOrInsertDeclaration(&M, RedOr),
                              {Old->getArgOperand(0), Mine}, "gp.block.voted");
    V.CreateBr(Rest);
    IRBuilder<> J(Rest, Rest->begin());
    PHINode *P = J.CreatePHI(J.getInt1Ty(), 2, "gp.block.preempted");
    P->addIncoming(J.getFalse(), Sync);
    P->addIncoming(Red, Vote);
    FusedVote[&LY] = P;
    return; // Old stays, in Sync
  }
  IRBuilder<> B(Old);
  FusedVote[&LY] =
      B.CreateCall(Intrinsic::getOrInsertDeclaration(&M, RedOr),
                   {Old->getArgOperand(0), Raised}, "gp.block.preempted");
  Old->eraseFromParent(); // LY.VoteBarrier now only says "fused"
}

/// The block that resumes a thread in loop LY: reloads what the yield saved
/// and enters LY's header, where the header phis take the saved values.
BasicBlock *Rewriter::buildRestoreBlock(LoopYield &LY) {
  BasicBlock *E = newBlock(LY.Header->getName() + ".gp.restore", LY.Header);
  KernelBuilder B(E, ArtificialLoc);
  for (PHINode *Phi : LY.CarriedPhis)
    Phi->addIncoming(loadValue(B, Phi->getType(), LY.FirstWord[Phi],
                               Phi->getName() + ".gp.restored"),
                     E);
  for (Instruction *V : LY.LiveIns)
    Restored[V].push_back({E, loadValue(B, V->getType(), LY.FirstWord[V],
                                        V->getName() + ".gp.restored")});
  B.CreateBr(LY.Header);
  setRouteIncoming(LY, E, /*ForTarget=*/true, nullptr);
  return E;
}

/// A new route edge From -> LY.Header: header phis that have no value on it
/// yet get poison (a route to a deeper loop restores what it needs there),
/// and the route key says whether to go deeper (Key) or stop here (0).
void Rewriter::setRouteIncoming(LoopYield &LY, BasicBlock *From, bool ForTarget,
                                Value *Key) {
  for (PHINode &Phi : LY.Header->phis()) {
    if (&Phi == RouteKey.lookup(&LY) || Phi.getBasicBlockIndex(From) >= 0)
      continue;
    // The polls' own phis restart (a counter at 0, an exit test's limit
    // at its least value); any other value is restored deeper.
    Value *In = RestartValue.lookup(&Phi);
    Phi.addIncoming(In ? In : PoisonValue::get(Phi.getType()), From);
  }
  if (PHINode *K = RouteKey.lookup(&LY))
    K->addIncoming(ForTarget ? ConstantInt::get(K->getType(), 0) : Key, From);
}

static void collectDescendants(LoopYield &LY,
                               SmallVectorImpl<LoopYield *> &Out) {
  for (LoopYield *C : LY.Children) {
    Out.push_back(C);
    collectDescendants(*C, Out);
  }
}

void Rewriter::addRouteCases(SwitchInst *SW, Value *Key, LoopYield &Child) {
  auto *KeyTy = cast<IntegerType>(SW->getCondition()->getType());
  SW->addCase(ConstantInt::get(KeyTy, Child.Id), buildRestoreBlock(Child));
  SmallVector<LoopYield *, 4> Deeper;
  collectDescendants(Child, Deeper);
  if (Deeper.empty())
    return;
  BasicBlock *Into =
      newBlock(Child.Header->getName() + ".gp.route.into", Child.Header);
  BranchInst::Create(Child.Header, Into);
  setRouteIncoming(Child, Into, /*ForTarget=*/false, Key);
  for (LoopYield *D : Deeper)
    SW->addCase(ConstantInt::get(KeyTy, D->Id), Into);
}

/// Headers of loops with inner loops get a route check: a phi that is 0 on
/// every ordinary edge, and the target loop's id on the edge a resume takes.
void Rewriter::buildRoutes() {
  Type *I32 = Type::getInt32Ty(Ctx);
  for (LoopYield &LY : Plan.Loops) {
    if (LY.Children.empty())
      continue;
    BasicBlock *H = LY.Header;
    BasicBlock *Rest =
        H->splitBasicBlock(H->getFirstNonPHIIt(), H->getName() + ".gp.body");
    PHINode *Key =
        PHINode::Create(I32, 4, H->getName() + ".gp.route.key", H->begin());
    for (BasicBlock *Pred : predecessors(H)) // one entry per edge
      Key->addIncoming(ConstantInt::get(I32, 0), Pred);
    BasicBlock *Route = newBlock(H->getName() + ".gp.route", Rest);
    Instruction *Br = H->getTerminator();
    KernelBuilder B(Br, ArtificialLoc);
    B.CreateCondBr(B.CreateICmpNE(Key, B.getInt32(0)), Route, Rest,
                   MDBuilder(Ctx).createUnlikelyBranchWeights());
    Br->eraseFromParent();
    KernelBuilder R(Route, ArtificialLoc);
    RouteSwitch[&LY] = R.CreateSwitch(Key, Trap);
    RouteKey[&LY] = Key;
  }
  for (LoopYield &LY : Plan.Loops) {
    if (!LY.Parent)
      addRouteCases(ResumeSwitch, ResumePoint, LY);
    for (LoopYield *C : LY.Children)
      addRouteCases(RouteSwitch[&LY], RouteKey[&LY], *C);
  }
}

} // namespace rewrite
} // namespace gpreempt
