//===- ResumableKernel.cpp - build the preemptible clone of a kernel ------===//
//
// Shape of K__gp (block names as emitted):
//
//   gp.prologue      allocas, thread index, save-area address of this thread
//   gp.first         a relaunch: thread 0 reads (and clears) this physical
//                    block's slot, or leaves if the grid had completed
//                    (Dispatch.cpp)
//   gp.next          the loop over logical blocks (its only entry): the
//                    half-done block from the slot first, if any, else
//   gp.take          thread 0 takes a ticket, or none if preempted/finished
//                    (-gpreempt-park-tickets: takes it and, if preempted,
//                    parks it in the slot, not started)
//   gp.block         logical blockIdx from the ticket; new block -> body,
//                    resumed block -> gp.resume
//   gp.resume        word 0 says where this thread stopped: done -> gp.tail,
//                    loop k -> restore and route into loop k (YieldPoints.cpp)
//   <body>           the kernel; `ret` -> gp.tail; each back-edge polls
//   gp.tail          block-wide vote: did any thread yield?
//     no  -> gp.done (count the block in shared memory) -> gp.next, or
//            gp.exit in a grid of one wave
//     yes -> gp.leave (record the slot) -> gp.exit
//   gp.exit          thread 0 adds the blocks counted and its arrival to
//                    ctl->progress; the instance's last arrival cleans the
//                    control block and sets ctl->complete if the grid is
//                    complete (-gpreempt-lone-block-exit: a one-block grid
//                    is the last arrival without the atomic)
//
// Every thread of a physical block passes the same barriers (gp.first once,
// gp.take and gp.tail once per logical block), and none leaves the kernel
// elsewhere, so the barriers cannot deadlock in barrier-free kernels. In
// kernels with barriers of their own (block-collective mode), polls are
// block-wide votes at loops that all threads run together, or checks in
// converged loops whose threads all meet after the loop through a count in
// shared memory (ConvergeLoops.cpp), and a barrier that only some threads
// reach makes the kernel refused (DevicePass), so every thread still meets
// the same sequence of barriers.
//
// This file clones the kernel, builds the prologue, plans the yield points
// and runs the steps (Rewriter.h lists them and the files they live in).
//
//===----------------------------------------------------------------------===//
#include "ResumableKernel.h"
#include "Rewriter.h"
#include "StateCodec.h"
#include "YieldPlan.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/PostOrderIterator.h"
#include "llvm/Analysis/CFG.h"
#include "llvm/Analysis/AssumptionCache.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/IntrinsicsNVPTX.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/Debug.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/Local.h"
#include "llvm/Transforms/Utils/SSAUpdater.h"

#define DEBUG_TYPE "gpreempt"

using namespace llvm;

namespace gpreempt {
namespace rewrite {

/// Whether U is, or through constant expressions feeds, an instruction of
/// one of Fs.
static bool usedIn(const User *U, const SmallPtrSetImpl<const Function *> &Fs) {
  if (auto *I = dyn_cast<Instruction>(U))
    return Fs.contains(I->getFunction());
  return any_of(U->users(), [&Fs](const User *V) { return usedIn(V, Fs); });
}

/// F and the functions it calls, directly or not (KernelSafety has made sure
/// every call has a known callee).
static SmallPtrSet<const Function *, 8> callTreeOf(const Function &F) {
  SmallPtrSet<const Function *, 8> Out;
  SmallVector<const Function *, 8> Work = {&F};
  while (!Work.empty()) {
    const Function *Next = Work.pop_back_val();
    if (!Out.insert(Next).second)
      continue;
    for (const Instruction &I : instructions(*Next))
      if (auto *Call = dyn_cast<CallBase>(&I))
        if (const Function *Callee = Call->getCalledFunction())
          if (!Callee->isDeclaration())
            Work.push_back(Callee);
  }
  return Out;
}

BasicBlock *Rewriter::newBlock(const Twine &Name, BasicBlock *Before) {
  return BasicBlock::Create(Ctx, Name, G, Before);
}

GlobalVariable *Rewriter::sharedWord(StringRef Name) {
  if (auto *GV = M.getGlobalVariable(Name, /*AllowInternal=*/true))
    return GV;
  Type *I64 = Type::getInt64Ty(Ctx);
  auto *GV = new GlobalVariable(M, I64, false, GlobalValue::InternalLinkage,
                                UndefValue::get(I64), Name, nullptr,
                                GlobalValue::NotThreadLocal, SharedAS);
  GV->setAlignment(Align(8));
  return GV;
}

void Rewriter::cloneWithExtraParams() {
  Type *Ptr = PointerType::get(Ctx, 0);
  Type *I32 = Type::getInt32Ty(Ctx);
  SmallVector<Type *, 16> Params(Orig.getFunctionType()->params());
  Params.append({Ptr, Ptr, Ptr, I32, I32, I32, I32});
  auto *FT = FunctionType::get(Type::getVoidTy(Ctx), Params, false);
  // External, like every kernel: the runtime finds it by name.
  G = Function::Create(FT, GlobalValue::ExternalLinkage, Orig.getAddressSpace(),
                       Orig.getName() + GP_VARIANT_SUFFIX, &M);
  for (auto [Old, New] : zip(Orig.args(), G->args())) {
    VMap[&Old] = &New;
    New.setName(Old.getName());
  }
  SmallVector<ReturnInst *, 4> Returns;
  CloneFunctionInto(G, &Orig, VMap, CloneFunctionChangeType::LocalChangesOnly,
                    Returns);
  G->setLinkage(GlobalValue::ExternalLinkage);
  G->setCallingConv(Orig.getCallingConv());
  unsigned N = Orig.arg_size();
  const char *Names[] = {"gp.ctl",    "gp.flag",   "gp.save", "gp.grid.x",
                         "gp.grid.y", "gp.grid.z", "gp.epoch"};
  static_assert(std::size(Names) == GP_EXTRA_PARAMS, "abi.h's parameters");
  for (unsigned I = 0; I < GP_EXTRA_PARAMS; ++I)
    G->getArg(N + I)->setName(Names[I]);
  CtlArg = G->getArg(N);
  FlagArg = G->getArg(N + 1);
  SaveArg = G->getArg(N + 2);
  for (unsigned D = 0; D < 3; ++D)
    GridArg[D] = G->getArg(N + 3 + D);
  EpochArg = G->getArg(N + 6);
  if (DISubprogram *SP = G->getSubprogram())
    ArtificialLoc = DILocation::get(Ctx, 0, 0, SP);
}

void Rewriter::buildPrologue() {
  BodyEntry = &G->getEntryBlock();
  Prologue = newBlock("gp.prologue", BodyEntry);
  BlockStart = newBlock("gp.block", BodyEntry);

  // Allocas live for the whole kernel so that yields can save them and
  // resumes restore them; lifetime markers would let codegen overlap two of
  // them, and a restore would then clobber one with the other.
  for (Instruction &I : make_early_inc_range(*BodyEntry))
    if (auto *AI = dyn_cast<AllocaInst>(&I)) {
      AI->moveBefore(*Prologue, Prologue->end());
      Allocas.push_back(AI);
    }
  for (Instruction &I : make_early_inc_range(instructions(*G)))
    if (auto *II = dyn_cast<IntrinsicInst>(&I))
      if (II->isLifetimeStartOrEnd())
        II->eraseFromParent();

  KernelBuilder B(Prologue, ArtificialLoc);
  Type *I32 = B.getInt32Ty(), *I64 = B.getInt64Ty();
  const Intrinsic::ID Tid[] = {Intrinsic::nvvm_read_ptx_sreg_tid_x,
                               Intrinsic::nvvm_read_ptx_sreg_tid_y,
                               Intrinsic::nvvm_read_ptx_sreg_tid_z};
  const Intrinsic::ID NTid[] = {Intrinsic::nvvm_read_ptx_sreg_ntid_x,
                                Intrinsic::nvvm_read_ptx_sreg_ntid_y,
                                Intrinsic::nvvm_read_ptx_sreg_ntid_z};
  const char *Dim[] = {"x", "y", "z"};
  for (unsigned D = 0; D < 3; ++D) {
    ThreadIdx[D] = readRegister(B, Tid[D], Twine("gp.tid.") + Dim[D]);
    BlockDim[D] = readRegister(B, NTid[D], Twine("gp.ntid.") + Dim[D]);
  }
  Value *PhysBlock =
      readRegister(B, Intrinsic::nvvm_read_ptx_sreg_ctaid_x, "gp.phys.block");
  Value *T = B.CreateAdd(
      ThreadIdx[0],
      B.CreateMul(
          BlockDim[0],
          B.CreateAdd(ThreadIdx[1], B.CreateMul(BlockDim[1], ThreadIdx[2]))),
      "gp.thread");
  Value *NThreads = B.CreateMul(B.CreateMul(BlockDim[0], BlockDim[1]),
                                BlockDim[2], "gp.threads");
  IsLeader = B.CreateICmpEQ(T, B.getInt32(0), "gp.leader");

  Ctl = B.CreateAddrSpaceCast(CtlArg, PointerType::get(Ctx, GlobalAS),
                              "gp.ctl.g");
  // abi.h: this physical block's copy of the flag, so that polls spread
  // over GP_FLAG_COPIES cache lines.
  static_assert((GP_FLAG_COPIES & (GP_FLAG_COPIES - 1)) == 0, "power of two");
  Value *Copy = B.CreateAnd(PhysBlock, B.getInt32(GP_FLAG_COPIES - 1));
  Flag = B.CreateGEP(
      B.getInt8Ty(),
      B.CreateAddrSpaceCast(FlagArg, PointerType::get(Ctx, GlobalAS)),
      B.CreateMul(B.CreateZExt(Copy, I64), B.getInt64(GP_FLAG_STRIDE)),
      "gp.flag.g");
  // abi.h: bit 0 of `save` marks a relaunch (save areas are aligned).
  Value *Save = B.CreateAddrSpaceCast(SaveArg, PointerType::get(Ctx, GlobalAS),
                                      "gp.save.arg");
  Value *RelaunchBit =
      B.CreateAnd(B.CreatePtrToInt(Save, I64), B.getInt64(GP_SAVE_RELAUNCH));
  IsRelaunch = B.CreateICmpNE(RelaunchBit, B.getInt64(0), "gp.relaunch");
  Value *RelayBit =
      B.CreateAnd(B.CreatePtrToInt(Save, I64), B.getInt64(GP_SAVE_RELAY));
  Save = B.CreateGEP(B.getInt8Ty(), Save,
                     B.CreateNeg(B.CreateOr(RelaunchBit, RelayBit)),
                     "gp.save.g");
  PhysBlocks64 = B.CreateZExt(
      readRegister(B, Intrinsic::nvvm_read_ptx_sreg_nctaid_x, "gp.phys.blocks"),
      I64, "gp.phys.blocks64");
  // abi.h: a relay only where another block works.
  Value *Relays = B.CreateAnd(B.CreateICmpNE(RelayBit, B.getInt64(0)),
                              B.CreateICmpUGT(PhysBlocks64, B.getInt64(1)),
                              "gp.relays");
  Workers64 = B.CreateSub(PhysBlocks64, B.CreateZExt(Relays, I64),
                          "gp.workers");
  Total = B.CreateMul(
      B.CreateMul(B.CreateZExt(GridArg[0], I64), B.CreateZExt(GridArg[1], I64)),
      B.CreateZExt(GridArg[2], I64), "gp.total");
  Value *P64 = B.CreateZExt(PhysBlock, I64);
  Slot = B.CreateGEP(
      B.getInt8Ty(), Ctl,
      B.CreateAdd(B.getInt64(GP_CTL_SLOTS_OFFSET), B.CreateShl(P64, 3)),
      "gp.slot");
  PhysBlock64 = P64;
  IsRelayBlock = B.CreateAnd(Relays, B.CreateICmpEQ(P64, Workers64),
                             "gp.relay.block");
  Threads64 = B.CreateZExt(NThreads, I64);
  Thread64 = B.CreateZExt(T, I64);
  SaveArea = Save;
  Stride = B.CreateShl(Threads64, 2, "gp.stride");
  B.CreateBr(BlockStart);

  // gp.block: placeholder incoming from the prologue until buildDispatch
  // wires the real predecessors.
  KernelBuilder S(BlockStart, ArtificialLoc);
  Logical = S.CreatePHI(I64, 2, "gp.logical");
  Resuming = S.CreatePHI(S.getInt1Ty(), 2, "gp.resuming");
  Logical->addIncoming(PoisonValue::get(I64), Prologue);
  Resuming->addIncoming(S.getFalse(), Prologue);
  Value *GX = S.CreateZExt(GridArg[0], I64),
        *GY = S.CreateZExt(GridArg[1], I64);
  Value *Q = S.CreateUDiv(Logical, GX);
  LogicalIdx[0] = S.CreateTrunc(S.CreateURem(Logical, GX), I32, "gp.ctaid.x");
  LogicalIdx[1] = S.CreateTrunc(S.CreateURem(Q, GY), I32, "gp.ctaid.y");
  LogicalIdx[2] = S.CreateTrunc(S.CreateUDiv(Q, GY), I32, "gp.ctaid.z");
  S.CreateBr(BodyEntry);
}

/// The body reads thread indices once, in the prologue (so they are never
/// saved), and sees the logical grid instead of the physical one.
void Rewriter::replaceSpecialRegisters() {
  for (Instruction &I : make_early_inc_range(instructions(*G))) {
    auto *II = dyn_cast<IntrinsicInst>(&I);
    if (!II || II->getParent() == Prologue || II->getParent() == BlockStart)
      continue;
    Value *New = nullptr;
    switch (II->getIntrinsicID()) {
    case Intrinsic::nvvm_read_ptx_sreg_tid_x:
      New = ThreadIdx[0];
      break;
    case Intrinsic::nvvm_read_ptx_sreg_tid_y:
      New = ThreadIdx[1];
      break;
    case Intrinsic::nvvm_read_ptx_sreg_tid_z:
      New = ThreadIdx[2];
      break;
    case Intrinsic::nvvm_read_ptx_sreg_ntid_x:
      New = BlockDim[0];
      break;
    case Intrinsic::nvvm_read_ptx_sreg_ntid_y:
      New = BlockDim[1];
      break;
    case Intrinsic::nvvm_read_ptx_sreg_ntid_z:
      New = BlockDim[2];
      break;
    case Intrinsic::nvvm_read_ptx_sreg_ctaid_x:
      New = LogicalIdx[0];
      break;
    case Intrinsic::nvvm_read_ptx_sreg_ctaid_y:
      New = LogicalIdx[1];
      break;
    case Intrinsic::nvvm_read_ptx_sreg_ctaid_z:
      New = LogicalIdx[2];
      break;
    case Intrinsic::nvvm_read_ptx_sreg_nctaid_x:
      New = GridArg[0];
      break;
    case Intrinsic::nvvm_read_ptx_sreg_nctaid_y:
      New = GridArg[1];
      break;
    case Intrinsic::nvvm_read_ptx_sreg_nctaid_z:
      New = GridArg[2];
      break;
    default:
      break;
    }
    if (New) {
      II->replaceAllUsesWith(New);
      II->eraseFromParent();
    }
  }
}

/// A value live across a yield point that is a pure computation on kernel
/// inputs and block/thread indices (an address, a stride, a bound) is not
/// saved: it moves to gp.block, which every logical block runs, new or
/// resumed, and is recomputed there. Only instructions that may be
/// speculated move, so running them on paths that did not before is
/// harmless. Returns whether anything moved (the plan is then redone).
bool Rewriter::hoistRecomputable() {
  // Recomputable: speculatable, no memory access, operands available in
  // gp.block or recomputable themselves. One pass in reverse post-order sees
  // operands before users.
  SmallPtrSet<Instruction *, 32> Recomputable;
  SmallVector<Instruction *, 32> InOrder;
  auto IsAvailable = [&](Value *V) {
    auto *I = dyn_cast<Instruction>(V);
    return !I || I->getParent() == Prologue || I->getParent() == BlockStart ||
           Recomputable.contains(I);
  };
  ReversePostOrderTraversal<Function *> RPOT(G);
  for (BasicBlock *BB : RPOT)
    if (Body.contains(BB))
      for (Instruction &I : *BB)
        if (!isa<PHINode>(I) && !isa<AllocaInst>(I) && !isa<CallBase>(I) &&
            !I.mayReadOrWriteMemory() && isSafeToSpeculativelyExecute(&I) &&
            all_of(I.operands(), IsAvailable)) {
          Recomputable.insert(&I);
          InOrder.push_back(&I);
        }

  // Move what some loop would save, with the recomputable values it uses.
  SmallPtrSet<Instruction *, 32> Move;
  SmallVector<Instruction *, 16> Work;
  for (const LoopYield &LY : Plan.Loops)
    for (Instruction *V : LY.LiveIns)
      if (Recomputable.contains(V))
        Work.push_back(V);
  while (!Work.empty()) {
    Instruction *I = Work.pop_back_val();
    if (!Move.insert(I).second)
      continue;
    for (Value *Op : I->operands())
      if (auto *OpI = dyn_cast<Instruction>(Op))
        if (Recomputable.contains(OpI))
          Work.push_back(OpI);
  }
  Instruction *InsertAt = BlockStart->getTerminator();
  for (Instruction *I : InOrder)
    if (Move.contains(I)) {
      I->moveBefore(InsertAt->getIterator());
      I->dropPoisonGeneratingAnnotations(); // no longer guarded by a branch
    }
  return !Move.empty();
}

/// A __syncthreads (whole block, barrier 0) in L's own blocks (not in an
/// inner loop) whose block dominates every latch: it runs exactly once per
/// iteration, in every thread (L is uniform), before the back-edge. The last
/// such one, so that the vote sees the flag as late as possible.
static CallInst *voteBarrierOf(const Loop &L, const DominatorTree &DT,
                               const LoopInfo &LI) {
  SmallVector<BasicBlock *, 4> Latches;
  L.getLoopLatches(Latches);
  CallInst *Best = nullptr;
  for (BasicBlock *BB : L.blocks()) {
    if (LI.getLoopFor(BB) != &L || !all_of(Latches, [&](BasicBlock *Latch) {
          return DT.dominates(BB, Latch);
        }))
      continue;
    for (Instruction &I : *BB) {
      auto *II = dyn_cast<IntrinsicInst>(&I);
      if (!II || (II->getIntrinsicID() !=
                      Intrinsic::nvvm_barrier_cta_sync_aligned_all &&
                  II->getIntrinsicID() != Intrinsic::nvvm_barrier_cta_sync_all))
        continue;
      auto *Id = dyn_cast<ConstantInt>(II->getArgOperand(0));
      if (!Id || !Id->isZero())
        continue;
      // Blocks that dominate every latch form a chain: keep the deepest.
      if (!Best || DT.dominates(Best->getParent(), BB) ||
          Best->getParent() == BB)
        Best = II;
    }
  }
  return Best;
}

Rewriter::CollectiveLoops Rewriter::collectiveLoops(const DominatorTree &DT,
                                                    const LoopInfo &LI) {
  CollectiveLoops C;
  if (!Options.BlockCollective)
    return C;
  for (const BasicBlock *H : *Options.UniformHeaders)
    if (Value *Mapped = VMap.lookup(H))
      C.UniformHeaders.insert(cast<BasicBlock>(Mapped));
  if (Options.FuseVotes)
    for (Loop *L : LI.getLoopsInPreorder())
      if (C.UniformHeaders.contains(L->getHeader()))
        if (CallInst *B = voteBarrierOf(*L, DT, LI))
          C.Votes[L] = B;
  return C;
}

/// A loop of a known, small trip count whose whole run (its inner loops'
/// trips counted) is at most Options.ShortLoopLimit instructions needs no
/// check of its own: the check before it (block entry or an enclosing
/// loop's) and the one after it are that far apart. A yield point costs
/// more than its check: ptxas adds a YIELD to a loop whose exit depends on
/// the vote and then issues the loop's loads later (jacobi2d on the H100:
/// 216.6 ms with one check per 8 tiles of 16, 184.6 with the vote kept and
/// its exit removed, 181.8 without the yield point; docs/results.md,
/// session 9).
bool Rewriter::isShort(const Loop &L) {
  if (!SE || Options.ShortLoopLimit == 0)
    return false;
  auto Trips = [this](const Loop &X) {
    return SE->getSmallConstantMaxTripCount(&X);
  };
  std::optional<uint64_t> Size = runSize(L, Trips);
  if (!Size || *Size > Options.ShortLoopLimit)
    return false;
  ShortLoops[L.getHeader()] = {Trips(L), *Size};
  return true;
}

/// Why loop L gets no yield point, if it gets none.
std::optional<SkipReason>
Rewriter::whyNoYield(const Loop &L, const CollectiveLoops &C) {
  const BasicBlock *H = L.getHeader();
  if (ConvergedHeaders.contains(H) || WaitVote.count(H))
    return std::nullopt;
  if (std::optional<SkipReason> Why = whyNoCollectiveYield(L, C))
    return Why;
  // Only a loop that would get a yield point is left out for being short:
  // the others keep their reason (and their effect on the enclosing
  // loop's interval).
  if (isShort(L))
    return SkipReason::Short;
  return std::nullopt;
}

/// Block-collective kernels: collective yields only where all threads of
/// the block arrive together, or in loops converged to make them so.
std::optional<SkipReason>
Rewriter::whyNoCollectiveYield(const Loop &L, const CollectiveLoops &C) {
  if (!Options.BlockCollective)
    return std::nullopt;
  const BasicBlock *H = L.getHeader();
  bool OuterVotes = false;
  for (const Loop *P = L.getParentLoop(); P; P = P->getParentLoop()) {
    if (ConvergedHeaders.contains(P->getHeader())) {
      // Its threads check on their own and meet at P's join, as P's do;
      // not where P's lanes must stop together (warp operations).
      if (Options.ConvergeInner && !ConvergedWarpOps.contains(P->getHeader())) {
        ConvergedInner.insert(H);
        return std::nullopt;
      }
      return SkipReason::InsideConverged;
    }
    OuterVotes |= C.Votes.count(P) != 0;
  }
  if (!C.UniformHeaders.contains(H))
    return OuterVotes && ConvergibleHeaders.contains(H)
               ? SkipReason::OuterVotes
               : SkipReason::Divergent;
  if (OuterVotes && !C.Votes.count(&L))
    return SkipReason::OuterVotes;
  return std::nullopt;
}

std::optional<Refusal> Rewriter::plan() {
  removeUnreachableBlocks(*G);
  Plan = YieldPlan();
  ConvergedInner.clear();
  Body.clear();
  for (BasicBlock &BB : *G)
    if (&BB != Prologue && &BB != BlockStart)
      Body.insert(&BB);
  DominatorTree DT(*G);
  LoopInfo LI(DT);
  CollectiveLoops C = collectiveLoops(DT, LI);
  auto WhyNot = [&](const Loop &L) { return whyNoYield(L, C); };
  // Trip counts: a short loop's whole run (isShort), and a converged
  // loop's inner loops, which never yield (InsideConverged): the time
  // between its checks includes every trip of them, so count them.
  TargetLibraryInfoImpl TLII(M.getTargetTriple());
  TargetLibraryInfo TLI(TLII);
  AssumptionCache AC(*G);
  ScalarEvolution SE(*G, TLI, AC, DT, LI);
  this->SE = &SE;
  ShortLoops.clear();
  auto ConstantTrips = [&SE](const Loop &Inner) {
    return SE.getSmallConstantMaxTripCount(&Inner);
  };
  std::optional<Refusal> R =
      planYields(*G, LI, Body, WhyNot, Allocas, Options.MaxStateBytes, Plan);
  this->SE = nullptr;
  if (R)
    return R;
  for (SkippedLoop &SL : Plan.Skipped) {
    if (SL.Why == SkipReason::Divergent)
      SL.Detail = NotConvergible.lookup(SL.Header);
    if (SL.Why == SkipReason::Short)
      std::tie(SL.Trips, SL.RunSize) = ShortLoops.lookup(SL.Header);
  }
  // A short loop, and every loop inside one, runs whole between its
  // enclosing loop's checks: count its trips there. An inner loop with a
  // yield point checks every PollInterval-th back-edge of one run, its
  // count 0 again at each entry, so a run of up to that many iterations
  // passes no check (iterative_solver's 4 systems a thread, checked every
  // 4): its enclosing loop counts it as that many, its constant trip count
  // if smaller. Plan.Loops is in preorder: backwards, inner loops first.
  // Intervals holds each loop's interval without the memory weight (at
  // least its own): an inner loop that the weight makes check more often
  // still counts as many iterations in the loop around it, which the
  // weight therefore never makes check less often.
  DenseMap<const BasicBlock *, unsigned> Intervals;
  auto InnerTrips = [&](const Loop &Inner) {
    for (const Loop *P = &Inner; P; P = P->getParentLoop())
      if (ShortLoops.count(P->getHeader()))
        return SE.getSmallConstantMaxTripCount(&Inner);
    unsigned Unchecked = std::max(Intervals.lookup(Inner.getHeader()), 1u);
    unsigned Trips = SE.getSmallConstantMaxTripCount(&Inner);
    return Trips != 0 ? std::min(Trips, Unchecked) : Unchecked;
  };
  unsigned ConvergedParts = 0;
  for (LoopYield &LY : reverse(Plan.Loops)) {
    const Loop *L = LI.getLoopFor(LY.Header);
    LY.VoteBarrier = C.Votes.lookup(L);
    bool Converged = ConvergedHeaders.contains(LY.Header);
    if (Converged) {
      LY.Role = LoopYield::Converge::Loop;
      ++ConvergedParts;
    } else if (WaitVote.count(LY.Header)) {
      LY.Role = LoopYield::Converge::Wait;
      ++ConvergedParts;
    } else if (ConvergedInner.contains(LY.Header)) {
      LY.Role = LoopYield::Converge::Loop; // a part of the loop around it
    }
    // Memory's weight only where each thread checks on its own (a load on
    // a cold path; YieldPoints.cpp: ChecksAlone), not where the block or
    // warp votes: a vote more often is a barrier more often, which every
    // thread of the block waits at.
    bool ChecksAlone =
        !Options.WarpCollective &&
        (LY.Role == LoopYield::Converge::Loop
             ? !ConvergedWarpOps.contains(LY.Header)
             : !Options.BlockCollective);
    auto Interval = [&](unsigned Weight) {
      return pollInterval(*L, Options.PollBudget,
                          Converged ? function_ref<unsigned(const Loop &)>(
                                          ConstantTrips)
                                    : InnerTrips,
                          Options.LoadLatency, Options.LoadLatencyIndirect,
                          Weight);
    };
    unsigned Unweighted = Interval(0);
    LY.PollInterval = LY.Role == LoopYield::Converge::Wait
                          ? 1 // the wait's one back-edge is its yield
                      : ChecksAlone && Options.MemoryWeight > 0
                          ? Interval(Options.MemoryWeight)
                          : Unweighted;
    Intervals[LY.Header] = LY.Role == LoopYield::Converge::Wait
                               ? 1
                               : std::max(LY.PollInterval, Unweighted);
  }
  // A converged loop's yields and its wait only meet if both have
  // their yield point (convergeLoops chose loops whose enclosing loops all
  // have theirs): a half would hang the block, so check.
  if (ConvergedParts != ConvergedHeaders.size() * 2)
    return Refusal{GP_REFUSAL_INTERNAL,
                   "could not be rewritten (internal error: a converged loop "
                   "lost its yield point)",
                   nullptr};
  if (Options.BlockCollective)
    collectSharedMemory();
  return std::nullopt;
}

/// The __shared__ variables the kernel or the functions it calls use, saved
/// whole by a block that yields (a collective yield: all its threads are at
/// the same point); dynamic shared memory is saved at its launch size.
void Rewriter::collectSharedMemory() {
  SharedVars.clear();
  SharedWords = 0;
  DynamicShared = nullptr;
  auto Users = callTreeOf(*G);
  for (GlobalVariable &GV : M.globals()) {
    if (GV.getAddressSpace() != SharedAS || GV.getName().starts_with("__gp_"))
      continue;
    bool Used =
        any_of(GV.users(), [&](const User *U) { return usedIn(U, Users); });
    if (!Used)
      continue;
    uint64_t Bytes = DL.getTypeAllocSize(GV.getValueType());
    if (GV.isDeclaration() || Bytes == 0) {
      if (!DynamicShared)
        DynamicShared = &GV;
      continue;
    }
    SharedVars.push_back(&GV);
    SharedFirstWord[&GV] = SharedWords;
    SharedWords += (Bytes + 3) / 4;
  }
}

/// abi.h: block p's region is StateWords * threads + SharedWords words at
/// save + p * that * 4; word w of thread t at index w * threads + t in it,
/// shared memory after the threads' words. So the addresses need the plan.
void Rewriter::placeSaveArea() {
  KernelBuilder B(Prologue->getTerminator(), ArtificialLoc);
  Value *ThreadWords = B.CreateMul(Threads64, B.getInt64(Plan.StateWords));
  Value *BlockWords = B.CreateAdd(ThreadWords, B.getInt64(SharedWords));
  if (DynamicShared) {
    // The runtime sizes the region from the launch's dynamic shared bytes
    // (whole words: it runs other sizes unpreempted).
    Value *Bytes = readRegister(
        B, Intrinsic::nvvm_read_ptx_sreg_dynamic_smem_size, "gp.dynamic.bytes");
    DynamicWords = B.CreateLShr(B.CreateZExt(Bytes, B.getInt64Ty()), 2,
                                "gp.dynamic.words");
    BlockWords = B.CreateAdd(BlockWords, DynamicWords);
  }
  Value *Block = B.CreateMul(PhysBlock64, BlockWords, "gp.save.block");
  SaveBase = B.CreateGEP(B.getInt8Ty(), SaveArea,
                         B.CreateShl(B.CreateAdd(Block, Thread64), 2),
                         "gp.save.thread");
  if (SharedWords || DynamicShared)
    SharedSave = B.CreateGEP(B.getInt8Ty(), SaveArea,
                             B.CreateShl(B.CreateAdd(Block, ThreadWords), 2),
                             "gp.save.shared");
}

void Rewriter::redirectReturns() {
  for (BasicBlock &BB : *G) // function order, not Body's: stable output
    if (Body.contains(&BB))
      if (auto *Ret = dyn_cast<ReturnInst>(BB.getTerminator())) {
        BranchInst::Create(BlockTail, Ret->getIterator());
        Ret->eraseFromParent();
        MyYield->addIncoming(ConstantInt::getFalse(Ctx), &BB);
      }
}

/// Restored values are second definitions of the originals: let SSAUpdater
/// place the phis where the resume path meets the ordinary one.
void Rewriter::repairSSA() {
  for (auto &[V, Defs] : Restored) {
    SSAUpdater SSA;
    SSA.Initialize(V->getType(), V->getName());
    SSA.AddAvailableValue(V->getParent(), V);
    for (auto [BB, Val] : Defs)
      SSA.AddAvailableValue(BB, Val);
    SmallVector<Use *, 16> Uses;
    for (Use &U : V->uses())
      Uses.push_back(&U);
    for (Use *U : Uses) {
      auto *User = cast<Instruction>(U->getUser());
      if (!isa<PHINode>(User) && User->getParent() == V->getParent())
        continue; // after the definition in its own block: still dominated
      SSA.RewriteUse(*U);
    }
  }
}

std::variant<ResumableKernel, Refusal> Rewriter::run() {
  cloneWithExtraParams();
  buildPrologue();
  replaceSpecialRegisters();
  convergeLoops();
  std::optional<Refusal> Problem = plan();
  if (!Problem && hoistRecomputable())
    Problem = plan();
  if (Problem) {
    // The refusal points into the clone, which is about to go: point the
    // remark at the same instruction in the kernel itself.
    const Instruction *InClone = Problem->At;
    Problem->At = nullptr;
    for (const auto &[Original, Cloned] : VMap)
      if (InClone && Cloned == InClone)
        Problem->At = dyn_cast<Instruction>(Original);
    G->eraseFromParent();
    return *Problem;
  }
  placeSaveArea();
  buildDispatch();
  redirectReturns();
  for (LoopYield &LY : Plan.Loops)
    if (LY.VoteBarrier)
      voteAtBarrier(LY);
  for (LoopYield &LY : Plan.Loops)
    for (BasicBlock *Latch : LY.Latches)
      insertYieldPoint(LY, Latch);
  buildRoutes();
  repairSSA();
  if (Options.Rematerialize)
    rematerializePrologue();

  std::string Errors;
  raw_string_ostream OS(Errors);
  if (verifyFunction(*G, &OS)) {
    LLVM_DEBUG(dbgs() << "gpreempt: broken variant\n" << Errors << *G);
    G->eraseFromParent();
    return Refusal{GP_REFUSAL_INTERNAL,
                   "could not be rewritten (internal error: " +
                       StringRef(Errors).take_front(200).str() + ")",
                   nullptr};
  }

  // Rule 6 of docs/design.md: the routes must keep every loop single-entry.
  // Checked, not assumed: an irreducible clone is dropped like a broken one.
  {
    DominatorTree DT(*G);
    LoopInfo LI(DT);
    ReversePostOrderTraversal<Function *> RPOT(G);
    if (containsIrreducibleCFG<const BasicBlock *>(RPOT, LI)) {
      G->eraseFromParent();
      return Refusal{GP_REFUSAL_INTERNAL,
                     "could not be rewritten (internal error: the resume "
                     "routes made the control flow irreducible)",
                     nullptr};
    }
  }

  ResumableKernel Result;
  Result.Variant = G;
  Result.StateWords = Plan.StateWords;
  Result.SharedWords = SharedWords;
  Result.SavesDynamicShared = DynamicShared != nullptr;
  Result.BlockCollective = Options.BlockCollective;
  Result.WarpCollective = Options.WarpCollective;
  Result.YieldPoints = Plan.yieldPoints();
  unsigned AllocaWords = 0;
  for (AllocaInst *AI : Plan.Allocas)
    AllocaWords += (AI->getAllocationSize(DL)->getFixedValue() + 3) / 4;
  Result.AllocaBytes = AllocaWords * 4;
  Result.SkippedLoops = Plan.Skipped;
  for (const LoopYield &LY : Plan.Loops)
    if (LY.Role != LoopYield::Converge::Wait) // reported with its loop
      Result.Loops.push_back({LY.Loc, LY.Id,
                              static_cast<unsigned>(LY.Latches.size()),
                              (1 + LY.Words + AllocaWords) * 4,
                              LY.PollInterval, LY.ExitBound, LY.PollAhead,
                              LY.Role == LoopYield::Converge::Loop});
  return Result;
}

} // namespace rewrite

std::variant<ResumableKernel, Refusal>
buildResumableKernel(Function &Kernel, const RewriteOptions &Options) {
  return rewrite::Rewriter(Kernel, Options).run();
}

} // namespace gpreempt
