//===- ResumableKernel.cpp - build the preemptible clone of a kernel ------===//
//
// Shape of K__gp (block names as emitted):
//
//   gp.prologue      allocas, thread index, save-area address of this thread
//   gp.first         thread 0 reads (and clears) this physical block's slot
//   gp.next          the loop over logical blocks (its only entry): the
//                    half-done block from the slot first, if any, else
//   gp.take          thread 0 takes a ticket, or none if preempted/finished
//   gp.block         logical blockIdx from the ticket; new block -> body,
//                    resumed block -> gp.resume
//   gp.resume        word 0 says where this thread stopped: done -> gp.tail,
//                    loop k -> restore and route into loop k
//   <body>           the kernel; `ret` -> gp.tail; each back-edge polls
//   gp.tail          block-wide vote: did any thread yield?
//     no  -> gp.done (count the block; the last one sets ctl->complete)
//            -> gp.next
//     yes -> gp.leave (record the slot) -> gp.exit
//
// Every thread of a physical block passes the same three barriers (gp.first,
// gp.take, gp.tail) once per logical block, and none leaves the kernel
// elsewhere, so the barriers cannot deadlock in barrier-free kernels. In
// kernels with barriers of their own (block-collective mode), polls are
// block-wide votes at loops that all threads run together, and a barrier
// that only some threads reach makes the kernel refused (DevicePass), so
// every thread still meets the same sequence of barriers.
//
//===----------------------------------------------------------------------===//
#include "ResumableKernel.h"
#include "StateCodec.h"
#include "YieldPlan.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/PostOrderIterator.h"
#include "llvm/Analysis/CFG.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/Analysis/LoopInfo.h"
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
namespace {

constexpr unsigned GlobalAS = 1;
constexpr unsigned SharedAS = 3;
constexpr uint64_t NoBlock = ~uint64_t(0); // "no ticket": leave the kernel

/// New code carries a line-0 location in the kernel's scope: debuggers and
/// the verifier want one, and no source line is responsible for it.
struct KernelBuilder : IRBuilder<> {
  KernelBuilder(BasicBlock *BB, const DebugLoc &Loc) : IRBuilder<>(BB) {
    SetCurrentDebugLocation(Loc);
  }
  KernelBuilder(Instruction *Before, const DebugLoc &Loc)
      : IRBuilder<>(Before) {
    SetCurrentDebugLocation(Loc);
  }
};

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

class Rewriter {
public:
  Rewriter(Function &Kernel, const RewriteOptions &Options)
      : Orig(Kernel), M(*Kernel.getParent()), Ctx(Kernel.getContext()),
        DL(M.getDataLayout()), Options(Options) {}

  std::variant<ResumableKernel, Refusal> run();

private:
  // Steps, in the order run() calls them.
  void cloneWithExtraParams();
  void buildPrologue();
  void replaceSpecialRegisters();
  bool hoistRecomputable();
  std::optional<Refusal> plan();
  void collectSharedMemory();
  void placeSaveArea();
  void buildDispatch();
  void redirectReturns();
  void insertYieldPoint(LoopYield &LY, BasicBlock *Latch);
  void voteAtBarrier(LoopYield &LY);
  void buildRoutes();
  void repairSSA();
  void rematerializePrologue();

  // Helpers.
  KernelBuilder at(BasicBlock *BB) { return KernelBuilder(BB, ArtificialLoc); }
  Value *readRegister(IRBuilder<> &B, Intrinsic::ID ID, const Twine &Name = "") {
    return B.CreateCall(Intrinsic::getOrInsertDeclaration(&M, ID), {}, Name);
  }
  Value *wordAddress(IRBuilder<> &B, unsigned Word);
  void storeValue(IRBuilder<> &B, Value *V, unsigned FirstWord);
  Value *loadValue(IRBuilder<> &B, Type *Ty, unsigned FirstWord,
                   const Twine &Name);
  void copyAllocas(IRBuilder<> &B, bool ToSaveArea);
  void copySharedMemory(IRBuilder<> &B, bool ToSaveArea);
  void emitCountedLoop(IRBuilder<> &B, Value *Start, Value *End, Value *Step,
                       const Twine &Name,
                       function_ref<void(IRBuilder<> &, Value *)> Body);
  void copyAlloca(IRBuilder<> &B, AllocaInst *AI, unsigned FirstWord,
                  bool ToSaveArea);
  BasicBlock *newBlock(const Twine &Name, BasicBlock *Before = nullptr);
  GlobalVariable *sharedWord(StringRef Name);
  void addRouteCases(SwitchInst *SW, Value *Key, LoopYield &Child);
  BasicBlock *buildRestoreBlock(LoopYield &LY);
  void setRouteIncoming(LoopYield &LY, BasicBlock *From, bool ForTarget,
                        Value *Key);

  Function &Orig;
  Module &M;
  LLVMContext &Ctx;
  const DataLayout &DL;
  const RewriteOptions &Options;

  Function *G = nullptr;
  ValueToValueMapTy VMap; // K -> K__gp
  Argument *CtlArg = nullptr, *FlagArg = nullptr, *SaveArg = nullptr;
  Argument *GridArg[3] = {};
  SmallVector<AllocaInst *, 4> Allocas;
  SmallPtrSet<BasicBlock *, 32> Body;
  YieldPlan Plan;
  SmallVector<GlobalVariable *, 4> SharedVars; // saved by collective yields
  DenseMap<const GlobalVariable *, unsigned> SharedFirstWord;
  unsigned SharedWords = 0;
  // extern __shared__: every such array starts at the launch's dynamic
  // shared memory, so one of them stands for all.
  GlobalVariable *DynamicShared = nullptr;
  Value *DynamicWords = nullptr; // i64, the launch's dynamic shared words
  Value *SharedSave = nullptr; // this block's shared-memory save region

  BasicBlock *Prologue = nullptr, *BlockStart = nullptr, *BodyEntry = nullptr;
  BasicBlock *ResumeDispatch = nullptr, *BlockTail = nullptr;
  BasicBlock *Trap = nullptr;
  SwitchInst *ResumeSwitch = nullptr;
  PHINode *Logical = nullptr, *Resuming = nullptr, *MyYield = nullptr;
  PHINode *Pending = nullptr; // slot value still to resume, in gp.next
  Value *ResumePoint = nullptr;
  Value *LogicalIdx[3] = {};
  Value *ThreadIdx[3] = {}, *BlockDim[3] = {};
  Value *IsLeader = nullptr, *SaveBase = nullptr, *Stride = nullptr;
  Value *IsRelaunch = nullptr, *PhysBlocks64 = nullptr;
  Value *Flag = nullptr, *Ctl = nullptr, *Slot = nullptr, *Total = nullptr;
  Value *SaveArea = nullptr, *PhysBlock64 = nullptr, *Threads64 = nullptr;
  Value *Thread64 = nullptr;
  DebugLoc ArtificialLoc;

  DenseMap<LoopYield *, PHINode *> PollCounter; // loops with an interval > 1
  DenseMap<LoopYield *, Value *> FusedVote; // loops voting at a barrier
  // Blocks inside the kernel's loops that read the flag: the flag's address
  // stays in a register there rather than being recomputed every time.
  SmallPtrSet<BasicBlock *, 8> FlagReaders;
  // emitCountedLoop's blocks -> the block before the loop.
  DenseMap<BasicBlock *, BasicBlock *> CopyLoopPreheader;
  DenseMap<LoopYield *, PHINode *> RouteKey; // loops with children only
  DenseMap<LoopYield *, SwitchInst *> RouteSwitch;
  MapVector<Instruction *, SmallVector<std::pair<BasicBlock *, Value *>, 2>>
      Restored;
};

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
  Params.append({Ptr, Ptr, Ptr, I32, I32, I32});
  auto *FT = FunctionType::get(Type::getVoidTy(Ctx), Params, false);
  // External, like every kernel: the runtime finds it by name.
  G = Function::Create(FT, GlobalValue::ExternalLinkage,
                       Orig.getAddressSpace(), Orig.getName() + GP_VARIANT_SUFFIX,
                       &M);
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
  const char *Names[] = {"gp.ctl", "gp.flag", "gp.save",
                         "gp.grid.x", "gp.grid.y", "gp.grid.z"};
  for (unsigned I = 0; I < GP_EXTRA_PARAMS; ++I)
    G->getArg(N + I)->setName(Names[I]);
  CtlArg = G->getArg(N);
  FlagArg = G->getArg(N + 1);
  SaveArg = G->getArg(N + 2);
  for (unsigned D = 0; D < 3; ++D)
    GridArg[D] = G->getArg(N + 3 + D);
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
      B.CreateMul(BlockDim[0],
                  B.CreateAdd(ThreadIdx[1],
                              B.CreateMul(BlockDim[1], ThreadIdx[2]))),
      "gp.thread");
  Value *NThreads =
      B.CreateMul(B.CreateMul(BlockDim[0], BlockDim[1]), BlockDim[2],
                  "gp.threads");
  IsLeader = B.CreateICmpEQ(T, B.getInt32(0), "gp.leader");

  Ctl = B.CreateAddrSpaceCast(CtlArg, PointerType::get(Ctx, GlobalAS), "gp.ctl.g");
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
  Value *RelaunchBit = B.CreateAnd(B.CreatePtrToInt(Save, I64),
                                   B.getInt64(GP_SAVE_RELAUNCH));
  IsRelaunch = B.CreateICmpNE(RelaunchBit, B.getInt64(0), "gp.relaunch");
  Save = B.CreateGEP(B.getInt8Ty(), Save, B.CreateNeg(RelaunchBit), "gp.save.g");
  PhysBlocks64 = B.CreateZExt(
      readRegister(B, Intrinsic::nvvm_read_ptx_sreg_nctaid_x, "gp.phys.blocks"),
      I64, "gp.phys.blocks64");
  Total = B.CreateMul(B.CreateMul(B.CreateZExt(GridArg[0], I64),
                                  B.CreateZExt(GridArg[1], I64)),
                      B.CreateZExt(GridArg[2], I64), "gp.total");
  Value *P64 = B.CreateZExt(PhysBlock, I64);
  Slot = B.CreateGEP(
      B.getInt8Ty(), Ctl,
      B.CreateAdd(B.getInt64(GP_CTL_SLOTS_OFFSET), B.CreateShl(P64, 3)),
      "gp.slot");
  PhysBlock64 = P64;
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
  Value *GX = S.CreateZExt(GridArg[0], I64), *GY = S.CreateZExt(GridArg[1], I64);
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
    case Intrinsic::nvvm_read_ptx_sreg_tid_x: New = ThreadIdx[0]; break;
    case Intrinsic::nvvm_read_ptx_sreg_tid_y: New = ThreadIdx[1]; break;
    case Intrinsic::nvvm_read_ptx_sreg_tid_z: New = ThreadIdx[2]; break;
    case Intrinsic::nvvm_read_ptx_sreg_ntid_x: New = BlockDim[0]; break;
    case Intrinsic::nvvm_read_ptx_sreg_ntid_y: New = BlockDim[1]; break;
    case Intrinsic::nvvm_read_ptx_sreg_ntid_z: New = BlockDim[2]; break;
    case Intrinsic::nvvm_read_ptx_sreg_ctaid_x: New = LogicalIdx[0]; break;
    case Intrinsic::nvvm_read_ptx_sreg_ctaid_y: New = LogicalIdx[1]; break;
    case Intrinsic::nvvm_read_ptx_sreg_ctaid_z: New = LogicalIdx[2]; break;
    case Intrinsic::nvvm_read_ptx_sreg_nctaid_x: New = GridArg[0]; break;
    case Intrinsic::nvvm_read_ptx_sreg_nctaid_y: New = GridArg[1]; break;
    case Intrinsic::nvvm_read_ptx_sreg_nctaid_z: New = GridArg[2]; break;
    default: break;
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
    if (LI.getLoopFor(BB) != &L ||
        !all_of(Latches, [&](BasicBlock *Latch) {
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

std::optional<Refusal> Rewriter::plan() {
  removeUnreachableBlocks(*G);
  Plan = YieldPlan();
  Body.clear();
  for (BasicBlock &BB : *G)
    if (&BB != Prologue && &BB != BlockStart)
      Body.insert(&BB);
  DominatorTree DT(*G);
  LoopInfo LI(DT);
  // Collective yields only where all threads of the block arrive together.
  SmallPtrSet<const BasicBlock *, 8> Uniform;
  if (Options.BlockCollective)
    for (const BasicBlock *H : *Options.UniformHeaders)
      if (Value *Mapped = VMap.lookup(H))
        Uniform.insert(cast<BasicBlock>(Mapped));
  DenseMap<const Loop *, CallInst *> Votes;
  if (Options.BlockCollective && Options.FuseVotes)
    for (Loop *L : LI.getLoopsInPreorder())
      if (Uniform.contains(L->getHeader()))
        if (CallInst *B = voteBarrierOf(*L, DT, LI))
          Votes[L] = B;
  auto WhyNot = [&](const Loop &L) -> std::optional<SkipReason> {
    if (!Options.BlockCollective)
      return std::nullopt;
    if (!Uniform.contains(L.getHeader()))
      return SkipReason::Divergent;
    if (!Votes.count(&L))
      for (const Loop *P = L.getParentLoop(); P; P = P->getParentLoop())
        if (Votes.count(P))
          return SkipReason::OuterVotes;
    return std::nullopt;
  };
  if (auto R = planYields(*G, LI, Body, WhyNot, Allocas,
                          Options.MaxStateBytes, Plan))
    return R;
  for (LoopYield &LY : Plan.Loops) {
    const Loop *L = LI.getLoopFor(LY.Header);
    LY.VoteBarrier = Votes.lookup(L);
    LY.PollInterval = pollInterval(*L, Options.PollBudget);
  }
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
    bool Used = any_of(GV.users(), [&](const User *U) {
      return usedIn(U, Users);
    });
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

void Rewriter::buildDispatch() {
  Type *I64 = Type::getInt64Ty(Ctx);
  GlobalVariable *SlotWord = sharedWord("__gp_shared_slot");
  GlobalVariable *TicketWord = sharedWord("__gp_shared_ticket");
  GlobalVariable *LogicalWord = sharedWord("__gp_shared_logical");
  GlobalVariable *DoneWord = sharedWord("__gp_shared_done");
  GlobalVariable *OneWaveWord = sharedWord("__gp_shared_one_wave");
  Function *Barrier = Intrinsic::getOrInsertDeclaration(
      &M, Intrinsic::nvvm_barrier_cta_sync_all);
  Function *BarrierOr = Intrinsic::getOrInsertDeclaration(
      &M, Intrinsic::nvvm_barrier_cta_red_or_all);
  SyncScope::ID Device = Ctx.getOrInsertSyncScopeID("device");
  // The non-aligned barrier forms: threads reach these from divergent paths.
  Value *Zero32 = ConstantInt::get(Type::getInt32Ty(Ctx), 0);

  BasicBlock *First = newBlock("gp.first", BlockStart);
  BasicBlock *FirstLead = newBlock("gp.first.leader", BlockStart);
  BasicBlock *FirstSlot = newBlock("gp.first.slot", BlockStart);
  BasicBlock *FirstPublish = newBlock("gp.first.publish", BlockStart);
  BasicBlock *FirstSync = newBlock("gp.first.sync", BlockStart);
  BasicBlock *NextBlock = newBlock("gp.next", BlockStart);
  BasicBlock *FirstResume = newBlock("gp.next.resume", BlockStart);

  BasicBlock *Take = newBlock("gp.take", BlockStart);
  BasicBlock *TakeLead = newBlock("gp.take.leader", BlockStart);
  BasicBlock *TakeTicket = newBlock("gp.take.ticket", BlockStart);
  BasicBlock *TakePublish = newBlock("gp.take.publish", BlockStart);
  BasicBlock *TakeSync = newBlock("gp.take.sync", BlockStart);
  ResumeDispatch = newBlock("gp.resume");
  BasicBlock *RestoreLocal = newBlock("gp.resume.local");
  BlockTail = newBlock("gp.tail");
  BasicBlock *Done = newBlock("gp.done");
  BasicBlock *DoneCount = newBlock("gp.done.count");
  BasicBlock *DoneNext = newBlock("gp.done.next");
  BasicBlock *Leave = newBlock("gp.leave");
  BasicBlock *LeaveDone = newBlock("gp.leave.finished");
  BasicBlock *LeaveSlot = newBlock("gp.leave.leader");
  BasicBlock *LeaveSlotStore = newBlock("gp.leave.slot");
  BasicBlock *Exit = newBlock("gp.exit");
  BasicBlock *ExitCount = newBlock("gp.exit.count");
  BasicBlock *Return = newBlock("gp.return");
  Trap = newBlock("gp.trap");

  Prologue->getTerminator()->setSuccessor(0, First);
  Logical->removeIncomingValue(Prologue, /*DeletePHIIfEmpty=*/false);
  Resuming->removeIncomingValue(Prologue, /*DeletePHIIfEmpty=*/false);

  // gp.first: a relaunch (bit 0 of `save`, abi.h) finds in its slot the
  // block this physical block left half done; the first instance has none
  // (the memset left the slot 0) and does not read it.
  at(First).CreateCondBr(IsLeader, FirstLead, FirstSync);
  {
    at(FirstLead).CreateCondBr(IsRelaunch, FirstSlot, FirstPublish);
    KernelBuilder S = at(FirstSlot);
    Value *Saved = S.CreateLoad(I64, Slot, "gp.slot.value");
    S.CreateStore(S.getInt64(0), Slot);
    S.CreateBr(FirstPublish);
    KernelBuilder P = at(FirstPublish);
    PHINode *Pub = P.CreatePHI(I64, 2);
    Pub->addIncoming(Saved, FirstSlot);
    Pub->addIncoming(P.getInt64(0), FirstLead);
    P.CreateStore(Pub, SlotWord);
    P.CreateStore(P.getInt64(0), DoneWord);
    // Decided once, kept in shared memory: held in a register across the
    // body it cost sgemm_tiled a register, and a quarter of its occupancy.
    P.CreateStore(P.CreateZExt(P.CreateICmpULE(Total, PhysBlocks64), I64),
                  OneWaveWord);
    P.CreateBr(FirstSync);
  }
  {
    KernelBuilder B = at(FirstSync);
    B.CreateCall(Barrier, {Zero32});
    Value *S = B.CreateLoad(I64, SlotWord, "gp.slot.shared");
    B.CreateBr(NextBlock);
    // gp.next heads the loop over logical blocks, its only entry, so the
    // kernel's control flow stays reducible: the half-done block first,
    // if any (only on the first trip), then tickets.
    KernelBuilder N = at(NextBlock);
    Pending = N.CreatePHI(I64, 4, "gp.pending");
    Pending->addIncoming(S, FirstSync);
    N.CreateCondBr(N.CreateICmpNE(Pending, N.getInt64(0)), FirstResume, Take);
    KernelBuilder R = at(FirstResume);
    Logical->addIncoming(R.CreateSub(Pending, R.getInt64(1)), FirstResume);
    Resuming->addIncoming(R.getTrue(), FirstResume);
    R.CreateBr(BlockStart);
  }

  // gp.take: one ticket per logical block, none once preemption is raised.
  at(Take).CreateCondBr(IsLeader, TakeLead, TakeSync);
  {
    KernelBuilder B = at(TakeLead);
    Value *Raised = B.CreateICmpNE(
        B.CreateLoad(B.getInt32Ty(), Flag, /*isVolatile=*/true, "gp.flag"),
        B.getInt32(0));
    B.CreateCondBr(Raised, TakePublish, TakeTicket);
    KernelBuilder T = at(TakeTicket);
    Value *Ticket = T.CreateAtomicRMW(AtomicRMWInst::Add, Ctl, T.getInt64(1),
                                      Align(8), AtomicOrdering::Monotonic,
                                      Device);
    Value *Next = T.CreateSelect(T.CreateICmpULT(Ticket, Total), Ticket,
                                 T.getInt64(NoBlock));
    T.CreateBr(TakePublish);
    KernelBuilder P = at(TakePublish);
    PHINode *Pub = P.CreatePHI(I64, 2);
    Pub->addIncoming(P.getInt64(NoBlock), TakeLead);
    Pub->addIncoming(Next, TakeTicket);
    P.CreateStore(Pub, TicketWord);
    P.CreateBr(TakeSync);
  }
  {
    KernelBuilder B = at(TakeSync);
    B.CreateCall(Barrier, {Zero32});
    Value *N = B.CreateLoad(I64, TicketWord, "gp.ticket");
    B.CreateCondBr(B.CreateICmpEQ(N, B.getInt64(NoBlock)), Exit, BlockStart);
    Logical->addIncoming(N, TakeSync);
    Resuming->addIncoming(B.getFalse(), TakeSync);
  }

  // gp.block already branches to the body; resumed blocks go to gp.resume.
  // Thread 0 keeps the logical block in shared memory for gp.leave: a
  // register holding it across the body would cost two in every thread.
  {
    Instruction *T = BlockStart->getTerminator();
    BasicBlock *Publish = newBlock("gp.block.leader", BodyEntry);
    BasicBlock *Go = newBlock("gp.block.go", BodyEntry);
    KernelBuilder B(T, ArtificialLoc);
    B.CreateCondBr(IsLeader, Publish, Go);
    T->eraseFromParent();
    KernelBuilder P = at(Publish);
    P.CreateStore(Logical, LogicalWord);
    P.CreateBr(Go);
    at(Go).CreateCondBr(Resuming, ResumeDispatch, BodyEntry);
  }

  // gp.tail: the block-wide vote.
  {
    KernelBuilder B = at(BlockTail);
    MyYield = B.CreatePHI(B.getInt1Ty(), 4, "gp.yielded");
    Value *Any = B.CreateCall(BarrierOr, {Zero32, MyYield}, "gp.any.yielded");
    B.CreateCondBr(Any, Leave, Done);
  }
  // Thread 0 counts the logical blocks this physical block finished in
  // shared memory; gp.exit adds them to blocks_done once. Counting each
  // one there (a device-scope fence and atomic per logical block, with the
  // block waiting at gp.take's barrier) cost microseconds per block.
  // A grid no larger than the physical one has no ticket left for a block
  // that finished one: every physical block takes a ticket on its first
  // trip unless it has a slot, and a slot holds a ticket taken earlier.
  // So it leaves without gp.take's flag read, atomic and barrier (a
  // one-block kernel spent about 5 us in the dispatch's chain of global
  // accesses; Nsight Compute on the H100, reduce_final 2.9 -> 8.0 us).
  at(Done).CreateCondBr(IsLeader, DoneCount, DoneNext);
  {
    KernelBuilder B = at(DoneCount);
    Value *N = B.CreateLoad(I64, DoneWord, "gp.done.n");
    B.CreateStore(B.CreateAdd(N, B.getInt64(1)), DoneWord);
    B.CreateBr(DoneNext);
    KernelBuilder D = at(DoneNext);
    Value *OneWave = D.CreateLoad(I64, OneWaveWord, "gp.one.wave");
    D.CreateCondBr(D.CreateICmpNE(OneWave, D.getInt64(0)), Exit, NextBlock);
    Pending->addIncoming(D.getInt64(0), DoneNext);
  }
  // gp.leave: finished threads mark themselves done; thread 0 records the
  // logical block in this physical block's slot.
  at(Leave).CreateCondBr(MyYield, LeaveSlot, LeaveDone);
  {
    KernelBuilder B = at(LeaveDone);
    B.CreateAlignedStore(B.getInt32(GP_RESUME_DONE), SaveBase, Align(4));
    B.CreateBr(LeaveSlot);
    at(LeaveSlot).CreateCondBr(IsLeader, LeaveSlotStore, Exit);
    KernelBuilder S = at(LeaveSlotStore);
    Value *Current = S.CreateLoad(I64, LogicalWord, "gp.logical.shared");
    S.CreateStore(S.CreateAdd(Current, S.getInt64(1)), Slot);
    S.CreateBr(Exit);
  }
  // gp.exit: every thread has passed a barrier after its last write of
  // the logical blocks counted (gp.take's or gp.tail's), so thread 0's
  // device-scope release covers them. The count that reaches the grid size
  // publishes `complete` at system scope, which the user's stream waits for
  // (cuStreamWaitValue32) before running later work.
  at(Exit).CreateCondBr(IsLeader, ExitCount, Return);
  {
    KernelBuilder B = at(ExitCount);
    Value *N = B.CreateLoad(I64, DoneWord, "gp.done.total");
    BasicBlock *Publish = newBlock("gp.exit.publish", Return);
    BasicBlock *Last = newBlock("gp.exit.last", Return);
    B.CreateCondBr(B.CreateICmpEQ(N, B.getInt64(0)), Return, Publish);
    KernelBuilder P = at(Publish);
    P.CreateFence(AtomicOrdering::Release, Device);
    Value *Before = P.CreateAtomicRMW(
        AtomicRMWInst::Add, P.CreateConstGEP1_32(P.getInt8Ty(), Ctl, 8), N,
        Align(8), AtomicOrdering::AcquireRelease, Device);
    P.CreateCondBr(P.CreateICmpEQ(P.CreateAdd(Before, N), Total), Last,
                   Return);
    KernelBuilder L = at(Last);
    L.CreateFence(AtomicOrdering::SequentiallyConsistent);
    StoreInst *Complete = L.CreateAlignedStore(
        L.getInt32(1), L.CreateConstGEP1_32(L.getInt8Ty(), Ctl, 16), Align(4),
        /*isVolatile=*/true);
    Complete->setAtomic(AtomicOrdering::Release);
    L.CreateBr(Return);
  }
  at(Return).CreateRetVoid();
  {
    KernelBuilder B = at(Trap);
    B.CreateCall(Intrinsic::getOrInsertDeclaration(&M, Intrinsic::trap));
    B.CreateUnreachable();
  }

  // gp.resume: threads that had finished wait at the vote; the others
  // restore local memory and are routed to their loop (buildRoutes).
  {
    KernelBuilder B = at(ResumeDispatch);
    ResumePoint = B.CreateAlignedLoad(B.getInt32Ty(), SaveBase, Align(4),
                                      "gp.resume.point");
    B.CreateCondBr(B.CreateICmpEQ(ResumePoint, B.getInt32(GP_RESUME_DONE)),
                   BlockTail, RestoreLocal);
    MyYield->addIncoming(B.getFalse(), ResumeDispatch);
    KernelBuilder R = at(RestoreLocal);
    copyAllocas(R, /*ToSaveArea=*/false);
    // Shared memory comes back whole before any thread goes on: all threads
    // of a collectively yielded block resume here together.
    if (!SharedVars.empty() || DynamicShared) {
      copySharedMemory(R, /*ToSaveArea=*/false);
      R.CreateCall(Barrier, {Zero32});
    }
    ResumeSwitch = R.CreateSwitch(ResumePoint, Trap);
  }
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

Value *Rewriter::wordAddress(IRBuilder<> &B, unsigned Word) {
  if (Word == 0)
    return SaveBase;
  return B.CreateGEP(B.getInt8Ty(), SaveBase,
                     B.CreateMul(Stride, B.getInt64(Word)));
}

void Rewriter::storeValue(IRBuilder<> &B, Value *V, unsigned FirstWord) {
  for (auto [I, W] : enumerate(encodeStateWords(B, V, DL)))
    B.CreateAlignedStore(W, wordAddress(B, FirstWord + I), Align(4));
}

Value *Rewriter::loadValue(IRBuilder<> &B, Type *Ty, unsigned FirstWord,
                           const Twine &Name) {
  SmallVector<Value *, 4> Words;
  for (unsigned I = 0, N = stateWordsFor(Ty, DL); I < N; ++I)
    Words.push_back(B.CreateAlignedLoad(B.getInt32Ty(),
                                        wordAddress(B, FirstWord + I),
                                        Align(4)));
  Value *V = decodeStateWords(B, Words, Ty, DL);
  V->setName(Name);
  return V;
}

void Rewriter::copyAllocas(IRBuilder<> &B, bool ToSaveArea) {
  for (AllocaInst *AI : Plan.Allocas)
    copyAlloca(B, AI, Plan.AllocaFirstWord.lookup(AI), ToSaveArea);
}

/// Whole 32-bit words in a loop (arrays can be large), then the tail bytes
/// one by one into a last word.
void Rewriter::copyAlloca(IRBuilder<> &B, AllocaInst *AI, unsigned FirstWord,
                          bool ToSaveArea) {
  uint64_t Bytes = AI->getAllocationSize(DL)->getFixedValue();
  uint64_t Whole = Bytes / 4;
  Type *I32 = B.getInt32Ty(), *I8 = B.getInt8Ty();
  Align LocalAlign = std::min(AI->getAlign(), Align(4));
  auto CopyWord = [&](IRBuilder<> &C, Value *WordIdx) {
    Value *Local = C.CreateGEP(I8, AI, C.CreateShl(WordIdx, 2));
    Value *Saved = C.CreateGEP(
        I8, SaveBase,
        C.CreateMul(Stride, C.CreateAdd(WordIdx, C.getInt64(FirstWord))));
    if (ToSaveArea)
      C.CreateAlignedStore(C.CreateAlignedLoad(I32, Local, LocalAlign), Saved,
                           Align(4));
    else
      C.CreateAlignedStore(C.CreateAlignedLoad(I32, Saved, Align(4)), Local,
                           LocalAlign);
  };
  if (Whole > 0)
    emitCountedLoop(B, B.getInt64(0), B.getInt64(Whole), B.getInt64(1),
                    "gp.copy.local", CopyWord);
  uint64_t Tail = Bytes % 4;
  if (!Tail)
    return;
  Value *Saved = wordAddress(B, FirstWord + Whole);
  if (ToSaveArea) {
    Value *Word = B.getInt32(0);
    for (uint64_t I = 0; I < Tail; ++I) {
      Value *Byte = B.CreateLoad(I8, B.CreateConstGEP1_64(I8, AI, Whole * 4 + I));
      Word = B.CreateOr(Word, B.CreateShl(B.CreateZExt(Byte, I32), 8 * I));
    }
    B.CreateAlignedStore(Word, Saved, Align(4));
  } else {
    Value *Word = B.CreateAlignedLoad(I32, Saved, Align(4));
    for (uint64_t I = 0; I < Tail; ++I)
      B.CreateStore(B.CreateTrunc(B.CreateLShr(Word, 8 * I), I8),
                    B.CreateConstGEP1_64(I8, AI, Whole * 4 + I));
  }
}

/// for (i = Start; i < End; i += Step) Body(i), all i64, placed after the
/// builder's block; the builder continues after the loop.
void Rewriter::emitCountedLoop(IRBuilder<> &B, Value *Start, Value *End,
                               Value *Step, const Twine &Name,
                               function_ref<void(IRBuilder<> &, Value *)> Body) {
  BasicBlock *Pre = B.GetInsertBlock();
  BasicBlock *Following = Pre->getNextNode();
  BasicBlock *Head = newBlock(Name, Following);
  BasicBlock *Loop = newBlock(Name + ".body", Following);
  CopyLoopPreheader[Head] = CopyLoopPreheader[Loop] = Pre;
  BasicBlock *After = newBlock(Name + ".done", Following);
  B.CreateBr(Head);
  KernelBuilder H(Head, ArtificialLoc);
  PHINode *Idx = H.CreatePHI(H.getInt64Ty(), 2);
  Idx->addIncoming(Start, Pre);
  H.CreateCondBr(H.CreateICmpULT(Idx, End), Loop, After);
  KernelBuilder L(Loop, ArtificialLoc);
  Body(L, Idx);
  Idx->addIncoming(L.CreateAdd(Idx, Step), L.GetInsertBlock());
  L.CreateBr(Head);
  B.SetInsertPoint(After);
}

/// The block's threads split the copy: thread t moves words t, t + threads,
/// ...; bytes past the last whole word (or all of a variable aligned below
/// 4) are moved by thread 0.
void Rewriter::copySharedMemory(IRBuilder<> &B, bool ToSaveArea) {
  Type *I8 = B.getInt8Ty(), *I32 = B.getInt32Ty();
  for (GlobalVariable *GV : SharedVars) {
    uint64_t Bytes = DL.getTypeAllocSize(GV->getValueType());
    uint64_t Whole = GV->getAlign().valueOrOne() >= Align(4) ? Bytes / 4 : 0;
    Value *Region = B.CreateConstGEP1_64(
        I8, SharedSave, uint64_t(SharedFirstWord.lookup(GV)) * 4);
    auto Move = [&](IRBuilder<> &C, Value *Offset, Type *Ty, Align A) {
      Value *Shared = C.CreateGEP(I8, GV, Offset);
      Value *Saved = C.CreateGEP(I8, Region, Offset);
      if (ToSaveArea)
        C.CreateAlignedStore(C.CreateAlignedLoad(Ty, Shared, A), Saved, A);
      else
        C.CreateAlignedStore(C.CreateAlignedLoad(Ty, Saved, A), Shared, A);
    };
    if (Whole)
      emitCountedLoop(B, Thread64, B.getInt64(Whole), Threads64,
                      "gp.copy.shared", [&](IRBuilder<> &C, Value *I) {
                        Move(C, C.CreateShl(I, 2), I32, Align(4));
                      });
    if (Whole * 4 == Bytes)
      continue;
    // Thread 0 takes the rest: the others start past the end.
    Value *Start =
        B.CreateSelect(IsLeader, B.getInt64(Whole * 4), B.getInt64(Bytes));
    emitCountedLoop(B, Start, B.getInt64(Bytes), B.getInt64(1),
                    "gp.copy.shared.bytes", [&](IRBuilder<> &C, Value *I) {
                      Move(C, I, I8, Align(1));
                    });
  }
  if (!DynamicShared)
    return;
  // Dynamic shared memory is at least 16-byte aligned: whole words.
  Value *Region =
      B.CreateConstGEP1_64(I8, SharedSave, uint64_t(SharedWords) * 4);
  emitCountedLoop(B, Thread64, DynamicWords, Threads64, "gp.copy.dynamic",
                  [&](IRBuilder<> &C, Value *I) {
                    Value *Offset = C.CreateShl(I, 2);
                    Value *Shared = C.CreateGEP(I8, DynamicShared, Offset);
                    Value *Saved = C.CreateGEP(I8, Region, Offset);
                    if (ToSaveArea)
                      C.CreateAlignedStore(
                          C.CreateAlignedLoad(I32, Shared, Align(4)), Saved,
                          Align(4));
                    else
                      C.CreateAlignedStore(
                          C.CreateAlignedLoad(I32, Saved, Align(4)), Shared,
                          Align(4));
                  });
}

/// The back-edge Latch -> LY.Header becomes
///     <header>.gp.poll   count back-edges; every PollInterval-th one:
///     <header>.gp.check  flag raised (a block-wide vote in block-collective
///                        kernels)? -> <header>.gp.yield
///     <header>.gp.back   -> header
/// With an interval of 1 there is no count: gp.poll checks the flag and
/// branches to the header itself.
void Rewriter::insertYieldPoint(LoopYield &LY, BasicBlock *Latch) {
  BasicBlock *Header = LY.Header;
  BasicBlock *Poll = SplitBlockPredecessors(Header, {Latch}, ".gp.poll");
  BasicBlock *Save = newBlock(Header->getName() + ".gp.yield", BlockTail);
  MDNode *Unlikely = MDBuilder(Ctx).createUnlikelyBranchWeights();

  // Back: the block whose edge enters the header, where the header's phis
  // take their back-edge values; Check: where the flag is read.
  BasicBlock *Back = Poll, *Check = Poll, *Continue = Header;
  Value *Fused = FusedVote.lookup(&LY); // voteAtBarrier ran: just branch
  if (LY.PollInterval > 1 && !Fused) {
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
      for (BasicBlock *Pred : predecessors(Header))
        if (Pred != Back)
          Count->addIncoming(ConstantInt::get(I32, 0), Pred);
    }
    Instruction *Br = Poll->getTerminator();
    IRBuilder<> B(Br);
    B.SetCurrentDebugLocation(Br->getDebugLoc());
    Value *Next = B.CreateAdd(Count, B.getInt32(1), Header->getName() + ".gp.count.next");
    Value *Due = B.CreateICmpEQ(
        B.CreateAnd(Next, B.getInt32(LY.PollInterval - 1)), B.getInt32(0),
        "gp.check.due");
    Check = newBlock(Header->getName() + ".gp.check", Back);
    B.CreateCondBr(Due, Check, Back, Unlikely);
    Br->eraseFromParent();
    // A second latch of the loop: its edge came over from the header.
    if (Count->getBasicBlockIndex(Back) >= 0)
      Count->setIncomingValueForBlock(Back, Next);
    else
      Count->addIncoming(Next, Back);
    BranchInst::Create(Back, Check)->setDebugLoc(Back->getTerminator()->getDebugLoc());
  }

  FlagReaders.insert(Check);
  Instruction *Br = Check->getTerminator();
  IRBuilder<> B(Br);
  B.SetCurrentDebugLocation(Br->getDebugLoc());
  Value *Raised = Fused;
  if (!Raised) {
    Raised = B.CreateICmpNE(
        B.CreateLoad(B.getInt32Ty(), Flag, /*isVolatile=*/true, "gp.flag"),
        B.getInt32(0), "gp.preempted");
    // Block-collective: every thread of the block is at this back-edge (the
    // loop is uniform), and all of them must leave or stay together.
    if (Options.BlockCollective)
      Raised = B.CreateCall(
          Intrinsic::getOrInsertDeclaration(
              &M, Intrinsic::nvvm_barrier_cta_red_or_all),
          {B.getInt32(0), Raised}, "gp.block.preempted");
  }
  B.CreateCondBr(Raised, Save, Continue, Unlikely);
  Br->eraseFromParent();

  KernelBuilder S(Save, ArtificialLoc);
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
    Raised = Top.CreateICmpNE(
        Top.CreateLoad(I32, Flag, /*isVolatile=*/true, "gp.flag"),
        Top.getInt32(0), "gp.preempted");
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
    FlagReaders.insert(Vote);
    for (BasicBlock *&Latch : LY.Latches)
      if (Latch == At) // its back-edge moved along
        Latch = Rest;
    PHINode *Count = PHINode::Create(I32, 4, LY.Header->getName() + ".gp.count",
                                     LY.Header->begin());
    PollCounter[&LY] = Count;
    IRBuilder<> B(At->getTerminator());
    B.SetCurrentDebugLocation(Old->getDebugLoc());
    Value *Next = B.CreateAdd(Count, B.getInt32(1),
                              LY.Header->getName() + ".gp.count.next");
    for (BasicBlock *Pred : predecessors(LY.Header))
      Count->addIncoming(is_contained(LY.Latches, Pred)
                             ? Next
                             : ConstantInt::get(I32, 0),
                         Pred);
    Value *Due = B.CreateICmpEQ(
        B.CreateAnd(Next, B.getInt32(LY.PollInterval - 1)), B.getInt32(0),
        "gp.vote.due");
    Instruction *Br = At->getTerminator();
    BranchInst::Create(Vote, Sync, Due, Br->getIterator())
        ->setMetadata(LLVMContext::MD_prof,
                      MDBuilder(Ctx).createUnlikelyBranchWeights());
    Br->eraseFromParent();
    IRBuilder<> V(Vote);
    V.SetCurrentDebugLocation(Old->getDebugLoc());
    Value *Mine = V.CreateICmpNE(
        V.CreateLoad(I32, Flag, /*isVolatile=*/true, "gp.flag"),
        V.getInt32(0), "gp.preempted");
    Value *Red = V.CreateCall(Intrinsic::getOrInsertDeclaration(&M, RedOr),
                              {Old->getArgOperand(0), Mine},
                              "gp.block.voted");
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
    Restored[V].push_back(
        {E, loadValue(B, V->getType(), LY.FirstWord[V],
                      V->getName() + ".gp.restored")});
  B.CreateBr(LY.Header);
  setRouteIncoming(LY, E, /*ForTarget=*/true, nullptr);
  return E;
}

/// A new route edge From -> LY.Header: header phis that have no value on it
/// yet get poison (a route to a deeper loop restores what it needs there),
/// and the route key says whether to go deeper (Key) or stop here (0).
void Rewriter::setRouteIncoming(LoopYield &LY, BasicBlock *From,
                                bool ForTarget, Value *Key) {
  PHINode *Count = PollCounter.lookup(&LY);
  for (PHINode &Phi : LY.Header->phis()) {
    if (&Phi == RouteKey.lookup(&LY) || Phi.getBasicBlockIndex(From) >= 0)
      continue;
    Phi.addIncoming(&Phi == Count ? ConstantInt::get(Phi.getType(), 0)
                                  : PoisonValue::get(Phi.getType()),
                    From);
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
    BasicBlock *Rest = H->splitBasicBlock(H->getFirstNonPHIIt(),
                                          H->getName() + ".gp.body");
    PHINode *Key = PHINode::Create(I32, 4, H->getName() + ".gp.route.key",
                                   H->begin());
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

/// A special-register read that later passes keep where it is: llc would
/// merge copies of an intrinsic read (MachineCSE) back into one value live
/// across the whole kernel.
static Value *readRegisterInPlace(IRBuilder<> &B, const IntrinsicInst &Read) {
  static const struct {
    Intrinsic::ID ID;
    const char *Name;
  } Registers[] = {
      {Intrinsic::nvvm_read_ptx_sreg_tid_x, "%tid.x"},
      {Intrinsic::nvvm_read_ptx_sreg_tid_y, "%tid.y"},
      {Intrinsic::nvvm_read_ptx_sreg_tid_z, "%tid.z"},
      {Intrinsic::nvvm_read_ptx_sreg_ntid_x, "%ntid.x"},
      {Intrinsic::nvvm_read_ptx_sreg_ntid_y, "%ntid.y"},
      {Intrinsic::nvvm_read_ptx_sreg_ntid_z, "%ntid.z"},
      {Intrinsic::nvvm_read_ptx_sreg_ctaid_x, "%ctaid.x"},
      {Intrinsic::nvvm_read_ptx_sreg_nctaid_x, "%nctaid.x"},
      {Intrinsic::nvvm_read_ptx_sreg_dynamic_smem_size, "%dynamic_smem_size"},
  };
  for (const auto &R : Registers)
    if (Read.getIntrinsicID() == R.ID) {
      auto *Asm = InlineAsm::get(
          FunctionType::get(B.getInt32Ty(), false),
          (Twine("mov.u32 $0, ") + R.Name + ";").str(), "=r",
          /*hasSideEffects=*/true);
      return B.CreateCall(Asm, {}, Read.getName());
    }
  return nullptr;
}

/// The prologue's values (thread index, save-area and control addresses)
/// are cheap to compute again from special registers and parameters (which
/// live in the constant bank, not in registers). Used by the yield, resume
/// and dispatch code, they would stay in registers across the whole body:
/// about a dozen registers more than the kernel's own, which lowers
/// occupancy. So each block outside the body computes its own copies (the
/// block before a copy loop, for the loop's blocks); the body keeps the
/// prologue's thread indices, as the kernel kept its own.
void Rewriter::rematerializePrologue() {
  auto Cheap = [](const Instruction &I) {
    return !isa<PHINode>(I) && !isa<AllocaInst>(I) && !I.isTerminator() &&
           !I.mayReadOrWriteMemory() && isSafeToSpeculativelyExecute(&I);
  };
  DenseMap<std::pair<Instruction *, BasicBlock *>, Instruction *> Copies;
  SmallVector<Instruction *, 32> Values;
  for (Instruction &I : *Prologue)
    if (Cheap(I))
      Values.push_back(&I);
  // Users before operands: an operand's copy lands in front of its user's
  // (each at the first insertion point of the block that needs it).
  for (Instruction *I : reverse(Values)) {
    SmallVector<Use *, 8> Uses;
    for (Use &U : I->uses())
      Uses.push_back(&U);
    for (Use *U : Uses) {
      auto *User = cast<Instruction>(U->getUser());
      auto *Phi = dyn_cast<PHINode>(User);
      BasicBlock *At = Phi ? Phi->getIncomingBlock(*U) : User->getParent();
      if (At == Prologue || Body.contains(At) || FlagReaders.contains(At))
        continue;
      // Once before a copy loop, not in every iteration.
      if (BasicBlock *Pre = CopyLoopPreheader.lookup(At))
        At = Pre;
      Instruction *&Copy = Copies[{I, At}];
      if (!Copy) {
        IRBuilder<> B(At, At->getFirstInsertionPt());
        B.SetCurrentDebugLocation(ArtificialLoc);
        Value *InPlace = nullptr;
        if (auto *II = dyn_cast<IntrinsicInst>(I))
          InPlace = readRegisterInPlace(B, *II);
        if (InPlace) {
          Copy = cast<Instruction>(InPlace);
        } else {
          Copy = I->clone();
          Copy->setName(I->getName());
          Copy->insertBefore(At->getFirstInsertionPt());
        }
      }
      U->set(Copy);
    }
  }
}

std::variant<ResumableKernel, Refusal> Rewriter::run() {
  cloneWithExtraParams();
  buildPrologue();
  replaceSpecialRegisters();
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
  Result.YieldPoints = Plan.yieldPoints();
  unsigned AllocaWords = 0;
  for (AllocaInst *AI : Plan.Allocas)
    AllocaWords += (AI->getAllocationSize(DL)->getFixedValue() + 3) / 4;
  Result.AllocaBytes = AllocaWords * 4;
  Result.SkippedLoops = Plan.Skipped;
  for (const LoopYield &LY : Plan.Loops)
    Result.Loops.push_back({LY.Loc, LY.Id,
                            static_cast<unsigned>(LY.Latches.size()),
                            (1 + LY.Words + AllocaWords) * 4,
                            LY.PollInterval});
  return Result;
}

} // namespace

std::variant<ResumableKernel, Refusal>
buildResumableKernel(Function &Kernel, const RewriteOptions &Options) {
  return Rewriter(Kernel, Options).run();
}

} // namespace gpreempt
