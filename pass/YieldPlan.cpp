//===- YieldPlan.cpp - where a kernel yields and what it saves ------------===//
#include "YieldPlan.h"
#include "StateCodec.h"

#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/CFG.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/Support/MathExtras.h"

#include <functional>

using namespace llvm;

namespace gpreempt {

unsigned YieldPlan::yieldPoints() const {
  unsigned N = 0;
  for (const LoopYield &LY : Loops)
    N += LY.Latches.size();
  return N;
}

/// For each body value, the loop headers it is live into. One backward walk
/// per use, stopping at the defining block (SSA: the definition dominates
/// every use, so every path back from a use meets it).
static DenseMap<BasicBlock *, SmallVector<Instruction *, 8>>
liveIntoHeaders(const SmallPtrSetImpl<BasicBlock *> &Body,
                const SmallPtrSetImpl<BasicBlock *> &Headers,
                ArrayRef<Instruction *> Values) {
  DenseMap<BasicBlock *, SmallVector<Instruction *, 8>> Live;
  SmallPtrSet<BasicBlock *, 32> Visited;
  SmallVector<BasicBlock *, 32> Work;
  for (Instruction *V : Values) {
    BasicBlock *Def = V->getParent();
    Visited.clear();
    for (Use &U : V->uses()) {
      auto *User = cast<Instruction>(U.getUser());
      BasicBlock *UseBB = User->getParent();
      if (auto *Phi = dyn_cast<PHINode>(User))
        UseBB = Phi->getIncomingBlock(U); // used at the end of that block
      else if (UseBB == Def)
        continue;
      if (UseBB != Def)
        Work.push_back(UseBB);
      while (!Work.empty()) {
        BasicBlock *BB = Work.pop_back_val();
        if (BB == Def || !Body.contains(BB) || !Visited.insert(BB).second)
          continue;
        if (Headers.contains(BB))
          Live[BB].push_back(V);
        append_range(Work, predecessors(BB));
      }
    }
  }
  return Live;
}

static bool hasUseBesidesItself(PHINode *Phi) {
  for (User *U : Phi->users())
    if (U != Phi)
      return true;
  return false;
}

std::optional<Refusal>
planYields(Function &F, LoopInfo &LI, const SmallPtrSetImpl<BasicBlock *> &Body,
           function_ref<std::optional<SkipReason>(const Loop &)> WhyNot,
           ArrayRef<AllocaInst *> Allocas, unsigned MaxStateBytes,
           YieldPlan &Plan) {
  const DataLayout &DL = F.getDataLayout();

  // Number instructions so every list below comes out in program order: the
  // save layout, and so the output, must not depend on pointer values.
  DenseMap<const Instruction *, unsigned> Order;
  SmallVector<Instruction *, 64> Values;
  for (BasicBlock &BB : F) {
    if (!Body.contains(&BB))
      continue;
    for (Instruction &I : BB) {
      Order[&I] = Order.size();
      if (!I.getType()->isVoidTy() && !isa<AllocaInst>(I))
        Values.push_back(&I);
    }
  }

  SmallVector<Loop *, 8> Preorder = LI.getLoopsInPreorder();
  Plan.Loops.reserve(Preorder.size());
  DenseMap<Loop *, LoopYield *> ByLoop;
  SmallPtrSet<BasicBlock *, 8> Headers;
  for (Loop *L : Preorder) {
    Loop *P = L->getParentLoop();
    std::optional<SkipReason> Why = WhyNot(*L);
    if (!Why && P && !ByLoop.count(P))
      Why = SkipReason::InsideSkipped;
    if (Why) {
      Plan.Skipped.push_back({L->getStartLoc(), *Why, L->getHeader()});
      continue;
    }
    LoopYield &LY = Plan.Loops.emplace_back();
    LY.Loc = L->getStartLoc();
    LY.Id = Plan.Loops.size();
    LY.Header = L->getHeader();
    L->getLoopLatches(LY.Latches);
    if (P) {
      LY.Parent = ByLoop.lookup(P);
      LY.Parent->Children.push_back(&LY);
    }
    ByLoop[L] = &LY;
    Headers.insert(LY.Header);
  }

  auto Live = liveIntoHeaders(Body, Headers, Values);
  unsigned MaxLoopWords = 0;
  for (LoopYield &LY : Plan.Loops) {
    for (PHINode &Phi : LY.Header->phis())
      if (hasUseBesidesItself(&Phi))
        LY.CarriedPhis.push_back(&Phi);
    LY.LiveIns = Live.lookup(LY.Header);
    llvm::sort(LY.LiveIns, [&](Instruction *A, Instruction *B) {
      return Order.lookup(A) < Order.lookup(B);
    });
    unsigned Word = 1;
    auto Assign = [&](Instruction *V) -> std::optional<Refusal> {
      unsigned N = stateWordsFor(V->getType(), DL);
      if (!N)
        return Refusal{GP_REFUSAL_UNSUPPORTED_VALUE,
                       "keeps a value of a type the save area cannot hold "
                       "live across a loop back-edge",
                       V};
      LY.FirstWord[V] = Word;
      Word += N;
      return std::nullopt;
    };
    for (PHINode *Phi : LY.CarriedPhis)
      if (auto R = Assign(Phi))
        return R;
    for (Instruction *V : LY.LiveIns)
      if (auto R = Assign(V))
        return R;
    LY.Words = Word - 1;
    MaxLoopWords = std::max(MaxLoopWords, LY.Words);
  }

  unsigned Word = 1 + MaxLoopWords;
  for (AllocaInst *AI : Allocas) {
    std::optional<TypeSize> Size = AI->getAllocationSize(DL);
    if (!Size || Size->isScalable())
      return Refusal{GP_REFUSAL_DYNAMIC_ALLOCA,
                     "has local memory of unknown size", AI};
    Plan.Allocas.push_back(AI);
    Plan.AllocaFirstWord[AI] = Word;
    Word += (Size->getFixedValue() + 3) / 4;
  }
  Plan.StateWords = Word;
  if (uint64_t(Plan.StateWords) * 4 > MaxStateBytes)
    return Refusal{GP_REFUSAL_STATE_TOO_LARGE,
                   "would save " + std::to_string(Plan.StateWords * 4) +
                       " bytes per thread (limit " +
                       std::to_string(MaxStateBytes) + ")",
                   nullptr};
  return std::nullopt;
}

/// What an instruction whose time is unknown counts as: more than any poll
/// budget, so that a loop around it checks the flag at every back-edge. A
/// check costs a load and a branch; the call, at least a call.
static constexpr uint64_t UnknownCost = 1u << 20;

/// Instructions one instruction stands for: 1, or UnknownCost for a call
/// that was not inlined (it may run as long as it likes, and its own loops
/// never yield) and for a memory intrinsic of run-time length (a loop once
/// lowered); a constant-length one, its length in 16-byte pieces.
static uint64_t instructionCost(const Instruction &I) {
  if (const auto *Mem = dyn_cast<MemIntrinsic>(&I)) {
    if (const auto *Len = dyn_cast<ConstantInt>(Mem->getLength()))
      return 1 + std::min<uint64_t>(Len->getLimitedValue() / 16, UnknownCost);
    return UnknownCost;
  }
  if (const auto *Call = dyn_cast<CallBase>(&I))
    if (!isa<IntrinsicInst>(Call) && !Call->isInlineAsm())
      return UnknownCost;
  return 1;
}

/// Instructions of one iteration of L, an inner loop's InnerTrips times
/// (saturating: only comparisons with a budget of hundreds matter).
static uint64_t iterationSize(const Loop &L,
                              function_ref<unsigned(const Loop &)> InnerTrips) {
  uint64_t Size = 0;
  for (const BasicBlock *BB : L.blocks()) {
    if (any_of(L.getSubLoops(), [BB](const Loop *S) { return S->contains(BB); }))
      continue;
    for (const Instruction &I : *BB)
      if (!isa<PHINode>(I) && !I.isDebugOrPseudoInst() &&
          !isa<BranchInst>(I))
        Size += instructionCost(I);
  }
  for (const Loop *S : L.getSubLoops())
    Size += std::max(InnerTrips(*S), 1u) * iterationSize(*S, InnerTrips);
  return std::min<uint64_t>(Size, 1u << 30);
}

std::optional<uint64_t>
runSize(const Loop &L, function_ref<unsigned(const Loop &)> Trips) {
  for (const Loop *Inner : L.getLoopsInPreorder())
    if (Trips(*Inner) == 0)
      return std::nullopt;
  // A call that was not inlined may run for as long as it likes (its own
  // loops never yield): such a loop is never short, whatever its count.
  for (const BasicBlock *BB : L.blocks())
    for (const Instruction &I : *BB)
      if (instructionCost(I) >= UnknownCost)
        return std::nullopt;
  return std::min<uint64_t>(uint64_t(Trips(L)) * iterationSize(L, Trips),
                            1u << 30);
}

/// Whether an access through Ptr may be to global memory: the global
/// address space, or a generic pointer that is not a cast of a shared,
/// local or constant one (clang reaches __shared__ arrays through generic
/// pointers, and the backend infers their address space only later).
static bool mayBeGlobal(const Value *Ptr) {
  unsigned AS = Ptr->getType()->getPointerAddressSpace();
  if (AS == 0)
    AS = getUnderlyingObject(Ptr)->getType()->getPointerAddressSpace();
  return AS == 0 || AS == 1;
}

/// A load that may go to global memory (generic or global address space):
/// what a chain of dependent accesses waits for.
static bool isGlobalLoad(const Instruction &I) {
  const auto *Ld = dyn_cast<LoadInst>(&I);
  return Ld && mayBeGlobal(Ld->getPointerOperand());
}

/// The longest chain of global loads in one iteration of L where each
/// load's address (or value) depends on the one before, through L's own
/// instructions (phis end a chain: they carry values between iterations);
/// each inner loop's chain counted InnerTrips times. IndirectOnly: each
/// chain's first load is not counted.
static uint64_t loadChain(const Loop &L,
                          function_ref<unsigned(const Loop &)> InnerTrips,
                          bool IndirectOnly) {
  auto Own = [&L](const BasicBlock *BB) {
    return L.contains(BB) &&
           none_of(L.getSubLoops(),
                   [BB](const Loop *S) { return S->contains(BB); });
  };
  DenseMap<const Instruction *, uint64_t> Depth;
  // SSA without phis is acyclic, so the recursion ends.
  std::function<uint64_t(const Instruction &)> DepthOf =
      [&](const Instruction &I) -> uint64_t {
    auto It = Depth.find(&I);
    if (It != Depth.end())
      return It->second;
    uint64_t Before = 0;
    if (!isa<PHINode>(I))
      for (const Value *Op : I.operands())
        if (const auto *OpI = dyn_cast<Instruction>(Op))
          if (Own(OpI->getParent()) && !isa<PHINode>(OpI))
            Before = std::max(Before, DepthOf(*OpI));
    uint64_t D = Before + (isGlobalLoad(I) ? 1 : 0);
    Depth[&I] = D;
    return D;
  };
  uint64_t Chain = 0;
  for (const BasicBlock *BB : L.blocks())
    if (Own(BB))
      for (const Instruction &I : *BB)
        Chain = std::max(Chain, DepthOf(I));
  if (IndirectOnly && Chain > 0)
    --Chain;
  for (const Loop *S : L.getSubLoops())
    Chain += std::max(InnerTrips(*S), 1u) *
             loadChain(*S, InnerTrips, IndirectOnly);
  return std::min<uint64_t>(Chain, 1u << 20);
}

/// 4-byte words of global memory (mayBeGlobal) that one iteration of L
/// loads, stores or updates atomically, each inner loop's InnerTrips times
/// (saturating). Memory intrinsics are not counted: iterationSize counts a
/// copy of constant length in 16-byte pieces, and one of run-time length
/// as more than any budget.
static uint64_t memoryWords(const Loop &L,
                            function_ref<unsigned(const Loop &)> InnerTrips) {
  const DataLayout &DL = L.getHeader()->getModule()->getDataLayout();
  uint64_t Words = 0;
  for (const BasicBlock *BB : L.blocks()) {
    if (any_of(L.getSubLoops(), [BB](const Loop *S) { return S->contains(BB); }))
      continue;
    for (const Instruction &I : *BB) {
      Type *T = nullptr;
      if (const auto *Ld = dyn_cast<LoadInst>(&I)) {
        if (mayBeGlobal(Ld->getPointerOperand()))
          T = Ld->getType();
      } else if (const auto *St = dyn_cast<StoreInst>(&I)) {
        if (mayBeGlobal(St->getPointerOperand()))
          T = St->getValueOperand()->getType();
      } else if (const auto *RMW = dyn_cast<AtomicRMWInst>(&I)) {
        if (mayBeGlobal(RMW->getPointerOperand()))
          T = RMW->getType();
      } else if (const auto *CX = dyn_cast<AtomicCmpXchgInst>(&I)) {
        if (mayBeGlobal(CX->getPointerOperand()))
          T = CX->getNewValOperand()->getType();
      }
      if (T && T->isSized())
        Words += (DL.getTypeStoreSize(T).getKnownMinValue() + 3) / 4;
    }
  }
  for (const Loop *S : L.getSubLoops())
    Words += std::max(InnerTrips(*S), 1u) * memoryWords(*S, InnerTrips);
  return std::min<uint64_t>(Words, 1u << 20);
}

unsigned pollInterval(const Loop &L, unsigned Budget,
                      function_ref<unsigned(const Loop &)> InnerTrips,
                      unsigned LoadLatency, bool IndirectOnly,
                      unsigned MemoryWeight) {
  if (Budget == 0)
    return 1;
  uint64_t Size = iterationSize(L, InnerTrips);
  if (LoadLatency > 1)
    Size = std::min<uint64_t>(
        Size + uint64_t(LoadLatency - 1) *
                   loadChain(L, InnerTrips, IndirectOnly),
        1u << 30);
  if (MemoryWeight > 0)
    Size = std::min<uint64_t>(
        Size + uint64_t(MemoryWeight) * memoryWords(L, InnerTrips), 1u << 30);
  uint64_t Wanted =
      (Budget + std::max<uint64_t>(Size, 1) - 1) / std::max<uint64_t>(Size, 1);
  return std::min<unsigned>(PowerOf2Ceil(std::max<uint64_t>(Wanted, 1)), 1024);
}

} // namespace gpreempt
