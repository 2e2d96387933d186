//===- ExitBoundPolls.cpp - a loop's exit test counts its back-edges ----===//
//
// A yield point with an interval counts back-edges in a counter of its own:
// an add, an and, a compare and a branch in every iteration (on the H100,
// reduction's grid-stride loop went from 8 instructions to 12 and a YIELD,
// and its kernel from 122 to 134 us). Where the loop's exit test already
// compares an induction variable X, stepping by a loop-invariant S, with a
// loop-invariant bound N (X <u N, X <s N or X != N continues), the test
// itself can do the counting: the latch compares X with a limit L <= N
// instead of N (X < L: so X < N, and X != N), and only when X reaches L
// does the thread go to a cold block that applies the real test, checks
// the flag and sets the next limit, min(N, X + K*S), K back-edges on. The
// iteration keeps its instruction count; L and a "primed" bit are two more
// registers. For X != N, X < L is compared unsigned and the step must be a
// positive constant: the unroller's trip counters (by 2 or 4 up to a bound
// rounded down) are such loops; a count down (i != 0, --i) keeps its
// counter.
//
//     latch:      ... fast = X < L; br fast, back, gp.bound
//     gp.bound:   br X < N, gp.due, exit         (the kernel's own test)
//     gp.due:     br primed, gp.check, gp.refill
//     gp.check:   flag raised? -> gp.yield, else gp.refill
//     gp.refill:  L = min(N, X + K*S), primed = true; br back
//
// L enters the loop (and every resume and route into it) as the type's
// least value, so the first back-edge of a run sets the limit without a
// check (a short inner loop run checks no more often than with a counter),
// and the next check is K back-edges later. K*S must fit below 2^(w-1)
// and X + K*S must not wrap: otherwise the limit is the least value and the
// next back-edge checks (a negative step, or a variable about to wrap,
// never runs unchecked; a zero step gives L = X, the same). Between two
// checks: at most K back-edges, since X grows by S without wrapping until
// it reaches X + K*S >= L. Measured on the H100 (docs/results.md, session
// 20): reduction 3-4 % and histogram 4 % less GPU time than with counters.
//
// With -gpreempt-poll-ahead (an experiment, off; counters have their own
// form, YieldPoints.cpp: loadFlagAhead) a loop of K >= 4 polls every K/2
// back-edges, and gp.check decides on the flag that gp.refill
// loaded the time before (a header phi, gp.flag.seen), while gp.refill
// loads it for the next: the check waits for no load. A check sees the
// flag as it was at most K/2 back-edges earlier, so a raise still reaches
// a thread within K back-edges of its run, as before. Why: a check whose
// branch waits for its L2 load stalls the warp for that round trip, which
// a loop with few warps and dependent loads (bfs's edge walk) cannot hide.
//
//===----------------------------------------------------------------------===//
#include "Rewriter.h"

#include "llvm/IR/Dominators.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/PatternMatch.h"
#include "llvm/Support/MathExtras.h"

using namespace llvm;
using namespace llvm::PatternMatch;

namespace gpreempt {
namespace rewrite {

/// The latch's exit test, if it can count LY's back-edges (the header above).
std::optional<ExitTest> Rewriter::matchExitTest(const LoopYield &LY,
                                                BasicBlock *Latch) {
  if (LY.Latches.size() != 1)
    return std::nullopt;
  // The latch of an inner loop too: its other edge is that loop's back-edge,
  // which must stay where that loop's yield point looks for it.
  for (const LoopYield &Other : Plan.Loops)
    if (&Other != &LY && is_contained(Other.Latches, Latch))
      return std::nullopt;
  auto *Br = dyn_cast<BranchInst>(Latch->getTerminator());
  if (!Br || !Br->isConditional() ||
      Br->getSuccessor(0) == Br->getSuccessor(1))
    return std::nullopt;
  // Integers only: a pointer's walk (p != end) has no limit to add to.
  auto *Cmp = dyn_cast<ICmpInst>(Br->getCondition());
  if (!Cmp || !Cmp->getOperand(0)->getType()->isIntegerTy())
    return std::nullopt;
  ExitTest T;
  T.HeaderOnTrue = Br->getSuccessor(0) == LY.Header;
  if (!T.HeaderOnTrue && Br->getSuccessor(1) != LY.Header)
    return std::nullopt;
  CmpPredicate Continues =
      T.HeaderOnTrue ? Cmp->getCmpPredicate() : Cmp->getInverseCmpPredicate();

  DominatorTree DT(*G);
  auto Invariant = [&](Value *V) {
    if (isa<Constant>(V) || isa<Argument>(V))
      return true;
    auto *I = dyn_cast<Instruction>(V);
    return I && DT.properlyDominates(I->getParent(), LY.Header);
  };
  // X steps by S each iteration: X = Phi + S with X back into Phi, or X is
  // the phi and Phi + S comes back into it.
  auto Step = [&](Value *X) -> Value * {
    auto StepOf = [&](Value *Sum, PHINode *Phi) -> Value * {
      auto *Add = dyn_cast<BinaryOperator>(Sum);
      if (!Add || Add->getOpcode() != Instruction::Add)
        return nullptr;
      for (unsigned I = 0; I != 2; ++I)
        if (Add->getOperand(I) == Phi && Invariant(Add->getOperand(1 - I)))
          return Add->getOperand(1 - I);
      return nullptr;
    };
    auto PhiOf = [&](Value *V) {
      auto *Phi = dyn_cast<PHINode>(V);
      return Phi && Phi->getParent() == LY.Header ? Phi : nullptr;
    };
    if (PHINode *Phi = PhiOf(X))
      return StepOf(Phi->getIncomingValueForBlock(Latch), Phi);
    if (auto *Add = dyn_cast<BinaryOperator>(X))
      for (Value *Op : Add->operands())
        if (PHINode *Phi = PhiOf(Op))
          if (Phi->getIncomingValueForBlock(Latch) == X)
            if (Value *S = StepOf(X, Phi))
              return S;
    return nullptr;
  };
  for (unsigned Side = 0; Side != 2; ++Side) {
    Value *X = Cmp->getOperand(Side), *N = Cmp->getOperand(1 - Side);
    CmpInst::Predicate P = Side == 0
                               ? CmpInst::Predicate(Continues)
                               : CmpInst::getSwappedPredicate(Continues);
    if (P != CmpInst::ICMP_ULT && P != CmpInst::ICMP_SLT &&
        P != CmpInst::ICMP_NE)
      continue;
    if (!Invariant(N) || Invariant(X))
      continue;
    if (Value *S = Step(X)) {
      // A step that is not positive (a count down to N) would check at
      // every back-edge: it keeps its counter. At run time a negative step
      // is unusual beside X < N (a grid-stride loop's is positive); beside
      // X != N, as in `for (i = n; i != 0; --i)`, it is not.
      const APInt *C;
      if (match(S, m_APInt(C))
              ? !C->isStrictlyPositive() ||
                    C->ugt(APInt::getSignedMaxValue(C->getBitWidth())
                               .lshr(Log2_32(LY.PollInterval)))
              : P == CmpInst::ICMP_NE)
        continue;
      T.X = X;
      T.Bound = N;
      T.Step = S;
      T.Signed = P == CmpInst::ICMP_SLT;
      return T;
    }
  }
  return std::nullopt;
}

/// Latch -> Back is the back-edge (Back enters the header); the latch's
/// branch is T's. Builds the blocks of the header comment and returns the
/// check block, whose terminator insertYieldPoint replaces with "flag
/// raised? Save : Continue"; Continue is set to gp.refill.
BasicBlock *Rewriter::boundPollsByExit(LoopYield &LY, const ExitTest &T,
                                       BasicBlock *Latch, BasicBlock *Back,
                                       BasicBlock *&Continue) {
  BasicBlock *Header = LY.Header;
  auto *Br = cast<BranchInst>(Latch->getTerminator());
  BasicBlock *Exit = Br->getSuccessor(T.HeaderOnTrue ? 1 : 0);
  auto *Ty = cast<IntegerType>(T.X->getType());
  unsigned Bits = Ty->getBitWidth();
  Constant *Least = ConstantInt::get(
      Ty, T.Signed ? APInt::getSignedMinValue(Bits) : APInt::getZero(Bits));
  Type *I1 = Type::getInt1Ty(Ctx);
  MDBuilder MDB(Ctx);

  PHINode *Limit = PHINode::Create(Ty, 4, Header->getName() + ".gp.limit",
                                   Header->begin());
  PHINode *Primed = PHINode::Create(I1, 4, Header->getName() + ".gp.primed",
                                    Header->begin());
  for (BasicBlock *Pred : predecessors(Header)) { // Back's is set below
    Limit->addIncoming(Least, Pred);
    Primed->addIncoming(ConstantInt::getFalse(Ctx), Pred);
  }
  RestartValue[Limit] = Least;
  RestartValue[Primed] = ConstantInt::getFalse(Ctx);
  // PollAhead: the flag as the last refill loaded it. Read only by a check,
  // which comes after a refill of the same run (primed), so what enters
  // the loop is never decided on.
  PHINode *Seen = LY.PollAhead ? newFlagSeen(LY) : nullptr;

  BasicBlock *Bound = newBlock(Header->getName() + ".gp.bound", Back);
  BasicBlock *Due = newBlock(Header->getName() + ".gp.due", Back);
  BasicBlock *Check = newBlock(Header->getName() + ".gp.check", Back);
  BasicBlock *Refill = newBlock(Header->getName() + ".gp.refill", Back);
  const DebugLoc &Loc = Br->getDebugLoc();

  // The latch: X against the limit; the kernel's test moves to gp.bound.
  {
    IRBuilder<> B(Br);
    B.SetCurrentDebugLocation(Loc);
    Value *Fast = B.CreateICmp(
        T.Signed ? CmpInst::ICMP_SLT : CmpInst::ICMP_ULT, T.X, Limit,
        Header->getName() + ".gp.within");
    B.CreateCondBr(Fast, Back, Bound, MDB.createLikelyBranchWeights());
    Br->removeFromParent();
    Br->insertInto(Bound, Bound->end());
    Br->setSuccessor(T.HeaderOnTrue ? 0 : 1, Due);
    for (PHINode &Phi : Exit->phis())
      Phi.replaceIncomingBlockWith(Latch, Bound);
  }
  BranchInst::Create(Check, Refill, Primed, Due)->setDebugLoc(Loc);
  BranchInst::Create(Refill, Check)->setDebugLoc(Loc);

  // gp.refill: min(N, X + K*S), or the least value (check at the next
  // back-edge) if K*S is negative or does not fit, or X + K*S wraps.
  IRBuilder<> R(Refill);
  R.SetCurrentDebugLocation(Loc);
  // PollAhead: the next check's flag, loaded now and first used there.
  Value *Loaded = nullptr;
  if (Seen)
    Loaded = R.CreateLoad(R.getInt32Ty(), sharedFlagAddress(R),
                          /*isVolatile=*/true, "gp.flag.ahead");
  unsigned Shift = Log2_32(LY.PollInterval);
  Value *StepFits = R.CreateICmpULT(
      T.Step,
      ConstantInt::get(Ty, APInt::getSignedMinValue(Bits).lshr(Shift)),
      "gp.step.fits");
  Value *Ahead = R.CreateShl(T.Step, Shift, "gp.step.ahead");
  Value *Sum = R.CreateBinaryIntrinsic(T.Signed
                                           ? Intrinsic::sadd_with_overflow
                                           : Intrinsic::uadd_with_overflow,
                                       T.X, Ahead);
  Value *Wraps = R.CreateExtractValue(Sum, 1, "gp.limit.wraps");
  Value *Next = R.CreateBinaryIntrinsic(
      T.Signed ? Intrinsic::smin : Intrinsic::umin, T.Bound,
      R.CreateExtractValue(Sum, 0), nullptr, "gp.limit.ahead");
  Value *NewLimit = R.CreateSelect(R.CreateAnd(StepFits, R.CreateNot(Wraps)),
                                   Next, Least, "gp.limit.next");
  R.CreateBr(Back);

  // Back: the limit and the primed bit as they come round.
  IRBuilder<> K(Back, Back->begin());
  PHINode *LimitBack = K.CreatePHI(Ty, 2, Header->getName() + ".gp.limit.back");
  LimitBack->addIncoming(Limit, Latch);
  LimitBack->addIncoming(NewLimit, Refill);
  PHINode *PrimedBack =
      K.CreatePHI(I1, 2, Header->getName() + ".gp.primed.back");
  PrimedBack->addIncoming(Primed, Latch);
  PrimedBack->addIncoming(ConstantInt::getTrue(Ctx), Refill);
  Limit->setIncomingValueForBlock(Back, LimitBack);
  Primed->setIncomingValueForBlock(Back, PrimedBack);
  if (Seen) {
    PHINode *SeenBack =
        K.CreatePHI(Seen->getType(), 2, Header->getName() + ".gp.flag.back");
    SeenBack->addIncoming(Seen, Latch);
    SeenBack->addIncoming(Loaded, Refill);
    Seen->setIncomingValueForBlock(Back, SeenBack);
  }

  LY.ExitBound = true;
  Continue = Refill;
  return Check;
}

} // namespace rewrite
} // namespace gpreempt
