//===- KernelSafety.cpp - can this kernel be made preemptible? ------------===//
#include "KernelSafety.h"

#include "llvm/ADT/PostOrderIterator.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Analysis/CFG.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace gpreempt {

static constexpr unsigned SharedAddrSpace = 3;

const char *refusalName(gp_refusal Code) {
  switch (Code) {
  case GP_REFUSAL_NONE: return "none";
  case GP_REFUSAL_OPTED_OUT: return "opted-out";
  case GP_REFUSAL_BARRIER: return "barrier";
  case GP_REFUSAL_WARP_SYNC: return "warp-synchronous";
  case GP_REFUSAL_SHARED_MEMORY: return "shared-memory";
  case GP_REFUSAL_CLUSTER: return "cluster";
  case GP_REFUSAL_UNSAFE_CALL: return "unsafe-call";
  case GP_REFUSAL_RECURSION: return "recursion";
  case GP_REFUSAL_INLINE_ASM: return "inline-asm";
  case GP_REFUSAL_IRREDUCIBLE: return "irreducible";
  case GP_REFUSAL_STATE_TOO_LARGE: return "state-too-large";
  case GP_REFUSAL_UNSUPPORTED_VALUE: return "unsupported-value";
  case GP_REFUSAL_DYNAMIC_ALLOCA: return "dynamic-alloca";
  case GP_REFUSAL_INTERNAL: return "internal";
  case GP_REFUSAL_COUNT: break;
  }
  return "unknown";
}

static Refusal refuse(gp_refusal Code, const Twine &Detail,
                      const Instruction *At) {
  return Refusal{Code, Detail.str(), At};
}

/// Intrinsics by name prefix: the NVVM intrinsic families are large and keep
/// growing, and a prefix catches new members (a new barrier flavour) safely.
static std::optional<gp_refusal> classifyIntrinsic(StringRef Name) {
  static const struct {
    const char *Prefix;
    gp_refusal Code;
  } Table[] = {
      {"llvm.nvvm.bar.warp.sync", GP_REFUSAL_WARP_SYNC},
      {"llvm.nvvm.barrier.cluster", GP_REFUSAL_CLUSTER},
      // Split barriers in shared memory: arrivals and phases in flight are
      // state no save area can hold.
      {"llvm.nvvm.mbarrier", GP_REFUSAL_BARRIER},
      {"llvm.nvvm.barrier", GP_REFUSAL_BARRIER},
      {"llvm.nvvm.bar.", GP_REFUSAL_BARRIER},
      {"llvm.nvvm.shfl", GP_REFUSAL_WARP_SYNC},
      {"llvm.nvvm.vote", GP_REFUSAL_WARP_SYNC},
      {"llvm.nvvm.match", GP_REFUSAL_WARP_SYNC},
      {"llvm.nvvm.redux", GP_REFUSAL_WARP_SYNC},
      {"llvm.nvvm.wmma", GP_REFUSAL_WARP_SYNC},
      {"llvm.nvvm.mma", GP_REFUSAL_WARP_SYNC},
      {"llvm.nvvm.wgmma", GP_REFUSAL_WARP_SYNC},
      {"llvm.nvvm.ldmatrix", GP_REFUSAL_WARP_SYNC},
      {"llvm.nvvm.stmatrix", GP_REFUSAL_WARP_SYNC},
      {"llvm.nvvm.elect", GP_REFUSAL_WARP_SYNC},
      {"llvm.nvvm.read.ptx.sreg.cluster", GP_REFUSAL_CLUSTER},
      {"llvm.nvvm.read.ptx.sreg.nclusterid", GP_REFUSAL_CLUSTER},
      {"llvm.nvvm.read.ptx.sreg.is.explicit.cluster", GP_REFUSAL_CLUSTER},
      {"llvm.nvvm.mapa", GP_REFUSAL_CLUSTER},
      {"llvm.nvvm.cp.async", GP_REFUSAL_SHARED_MEMORY},
      {"llvm.stacksave", GP_REFUSAL_DYNAMIC_ALLOCA},
      {"llvm.stackrestore", GP_REFUSAL_DYNAMIC_ALLOCA},
  };
  for (const auto &Row : Table)
    if (Name.starts_with(Row.Prefix))
      return Row.Code;
  return std::nullopt;
}

bool isWarpSynchronousIntrinsic(StringRef Name) {
  return classifyIntrinsic(Name) == GP_REFUSAL_WARP_SYNC;
}

static bool readsGridPosition(StringRef IntrinsicName) {
  return IntrinsicName.starts_with("llvm.nvvm.read.ptx.sreg.ctaid") ||
         IntrinsicName.starts_with("llvm.nvvm.read.ptx.sreg.nctaid");
}

/// Inline asm is opaque: refuse what it could do that a yield cannot survive.
static std::optional<std::string> unsafeAsm(const InlineAsm &IA) {
  std::string Text = StringRef(IA.getAsmString()).lower();
  // membar is a fence, not a barrier: keep it from matching "bar.".
  for (size_t At; (At = Text.find("membar")) != std::string::npos;)
    Text.replace(At, 6, "fence");
  static const char *Patterns[] = {"bar.",    "bar ",    "barrier", "ctaid",
                                   "cluster", "shfl",    "vote",    "match.",
                                   "redux",   "mma",     "ldmatrix", "exit",
                                   "ld.shared", "st.shared", "atom.shared"};
  for (const char *P : Patterns)
    if (Text.find(P) != std::string::npos)
      return std::string(P);
  return std::nullopt;
}

/// Device functions without a body that kernels commonly call and that are
/// known not to touch barriers, shared memory or the block index.
static bool isKnownSafeDeclaration(StringRef Name) {
  return Name == "vprintf" || Name == "malloc" || Name == "free" ||
         Name == "__assertfail" || Name.starts_with("__nv_");
}

static bool isDeviceLaunch(StringRef Name) {
  // CUDA 12+ device runtime entry points are __cudaCDP2*; older ones
  // cudaLaunchDevice/cudaGetParameterBuffer (and their V2 forms).
  return Name.starts_with("__cudaCDP2") ||
         Name.starts_with("cudaLaunchDevice") ||
         Name.starts_with("cudaGetParameterBuffer") ||
         Name == "cudaDeviceSynchronize";
}

/// Grid-wide (or multi-GPU) synchronization of cooperative groups: every
/// block of the grid must reach it, also the ones a preempted grid has not
/// started. CUDA 13's grid.sync() reads its workspace from %envreg1/2 (set
/// by a cooperative launch) and spins in inline asm; older toolkits call
/// cudaCG* entry points of the device runtime.
static bool isGridSync(StringRef CalleeName) {
  return CalleeName.starts_with("cudaCG") ||
         CalleeName.starts_with("llvm.nvvm.read.ptx.sreg.envreg");
}
static bool isGridSyncAsm(const InlineAsm &IA) {
  return StringRef(IA.getAsmString()).contains("%envreg");
}
static constexpr const char *GridSyncDetail =
    "synchronizes the whole grid (cooperative groups grid.sync): blocks of a "
    "preempted grid that have not started could never arrive";

/// A shared-memory pointer, or a constant expression built on one (a
/// constant GEP into a __shared__ array, cast to a generic pointer).
static bool refersToSharedMemory(const Value *V) {
  if (auto *PT = dyn_cast<PointerType>(V->getType()))
    if (PT->getAddressSpace() == SharedAddrSpace)
      return true;
  if (auto *CE = dyn_cast<ConstantExpr>(V))
    return any_of(CE->operands(),
                  [](const Use &Op) { return refersToSharedMemory(Op.get()); });
  return false;
}

static bool touchesSharedMemory(const Instruction &I) {
  if (refersToSharedMemory(&I))
    return true;
  return any_of(I.operands(),
                [](const Use &Op) { return refersToSharedMemory(Op.get()); });
}

/// Barriers that all threads of the block take part in (__syncthreads and
/// its _or/_and/_count forms, aligned or not, on any barrier id): the only
/// barriers a block-collective yield can be ordered with. Those with a
/// thread count synchronize part of the block (producer/consumer warps).
static bool isWholeBlockBarrier(StringRef Name) {
  static const char *Names[] = {
      "llvm.nvvm.barrier.cta.sync.aligned.all",
      "llvm.nvvm.barrier.cta.sync.all",
      "llvm.nvvm.barrier.cta.red.or.aligned.all",
      "llvm.nvvm.barrier.cta.red.or.all",
      "llvm.nvvm.barrier.cta.red.and.aligned.all",
      "llvm.nvvm.barrier.cta.red.and.all",
      "llvm.nvvm.barrier.cta.red.popc.aligned.all",
      "llvm.nvvm.barrier.cta.red.popc.all",
  };
  return is_contained(Names, Name);
}

/// Barriers, warp-synchronous operations and shared memory (static or
/// dynamic), in the kernel or in a function it calls, are allowed when
/// yields are block-collective: the whole block decides at once, at a point
/// all its threads reach, and saves its shared memory. Returns a refusal for
/// what even that cannot handle.
std::optional<Refusal>
KernelSafety::checkCollective(const Instruction &I, gp_refusal Code) {
  if (Code == GP_REFUSAL_BARRIER) {
    auto &Call = cast<CallBase>(I);
    if (!isWholeBlockBarrier(Call.getCalledFunction()->getName()))
      return refuse(GP_REFUSAL_BARRIER,
                    "uses a barrier for part of the block (a thread count)",
                    &I);
    Found.Barrier = true;
  }
  Found.Collective = true;
  return std::nullopt;
}

std::optional<Refusal> KernelSafety::checkInstruction(const Instruction &I,
                                                      bool InCallee) {
  const char *Where = InCallee ? " in a called function" : "";
  if (touchesSharedMemory(I)) {
    if (!AllowCollective)
      return refuse(GP_REFUSAL_SHARED_MEMORY,
                    Twine("uses shared memory") + Where, &I);
    if (auto R = checkCollective(I, GP_REFUSAL_SHARED_MEMORY))
      return R;
    Found.Shared = true;
  }
  if (auto *AI = dyn_cast<AllocaInst>(&I)) {
    if (!InCallee && (!AI->isStaticAlloca() ||
                      AI->getParent() != &AI->getFunction()->getEntryBlock()))
      return refuse(GP_REFUSAL_DYNAMIC_ALLOCA,
                    "has a variable-sized or non-entry alloca", &I);
    return std::nullopt;
  }
  if (isa<IndirectBrInst>(I) || isa<CallBrInst>(I))
    return refuse(GP_REFUSAL_IRREDUCIBLE, "uses an indirect branch", &I);

  auto *Call = dyn_cast<CallBase>(&I);
  if (!Call)
    return std::nullopt;
  if (auto *IA = dyn_cast<InlineAsm>(Call->getCalledOperand())) {
    if (isGridSyncAsm(*IA))
      return refuse(GP_REFUSAL_UNSAFE_CALL, Twine(GridSyncDetail) + Where,
                    &I);
    if (auto P = unsafeAsm(*IA))
      return refuse(GP_REFUSAL_INLINE_ASM,
                    Twine("has inline asm containing '") + *P + "'" + Where,
                    &I);
    return std::nullopt;
  }
  const Function *Callee = Call->getCalledFunction();
  if (!Callee)
    return refuse(GP_REFUSAL_UNSAFE_CALL,
                  Twine("makes an indirect call") + Where, &I);
  StringRef Name = Callee->getName();
  if (isGridSync(Name))
    return refuse(GP_REFUSAL_UNSAFE_CALL, Twine(GridSyncDetail) + Where, &I);
  if (Callee->isIntrinsic()) {
    if (auto Code = classifyIntrinsic(Name)) {
      bool Collectable =
          *Code == GP_REFUSAL_BARRIER || *Code == GP_REFUSAL_WARP_SYNC;
      if (AllowCollective && Collectable)
        return checkCollective(I, *Code);
      return refuse(*Code, Twine("calls ") + Name + Where, &I);
    }
    if (InCallee && readsGridPosition(Name))
      return refuse(GP_REFUSAL_UNSAFE_CALL,
                    "calls a function that reads blockIdx or gridDim, which "
                    "the preemptible kernel replaces only in its own body",
                    &I);
    return std::nullopt;
  }
  if (isDeviceLaunch(Name))
    return refuse(GP_REFUSAL_UNSAFE_CALL,
                  Twine("launches kernels from the device (") + Name + ")",
                  &I);
  if (Callee->isDeclaration()) {
    if (isKnownSafeDeclaration(Name))
      return std::nullopt;
    return refuse(GP_REFUSAL_UNSAFE_CALL,
                  Twine("calls external function ") + Name +
                      " whose body is not visible",
                  &I);
  }
  if (auto R = checkCallee(*Callee)) {
    Refusal Outer = *R;
    if (Outer.Code == GP_REFUSAL_RECURSION || !Outer.At)
      Outer.At = &I;
    return Outer;
  }
  return std::nullopt;
}

std::optional<Refusal> KernelSafety::checkCallee(const Function &Callee) {
  auto Cached = Callees.find(&Callee);
  if (Cached == Callees.end()) {
    if (InProgress.lookup(&Callee))
      return refuse(GP_REFUSAL_RECURSION,
                    "is recursive (" + Callee.getName() + " calls itself)",
                    nullptr);
    InProgress[&Callee] = true;
    Needs Caller = Found;
    Found = Needs();
    CalleeVerdict Verdict;
    for (const Instruction &I : instructions(Callee))
      if ((Verdict.Problem = checkInstruction(I, /*InCallee=*/true)))
        break;
    Verdict.Found = Found;
    Found = Caller;
    InProgress[&Callee] = false;
    Cached = Callees.try_emplace(&Callee, Verdict).first;
  }
  const CalleeVerdict &V = Cached->second;
  Found.Collective |= V.Found.Collective;
  Found.Barrier |= V.Found.Barrier;
  Found.Shared |= V.Found.Shared;
  if (V.Found.Barrier)
    Traits.BarrierCallees.insert(&Callee);
  return V.Problem;
}

std::optional<Refusal> KernelSafety::check(Function &Kernel,
                                           bool AllowBlockCollective,
                                           KernelTraits &Out) {
  AllowCollective = AllowBlockCollective;
  Found = Needs();
  Traits = KernelTraits();
  auto Result = checkBody(Kernel);
  Traits.BlockCollective = Found.Barrier || Found.Shared;
  Traits.WarpCollective = Found.Collective && !Traits.BlockCollective;
  Out = Traits;
  return Result;
}

std::optional<Refusal> KernelSafety::checkBody(Function &Kernel) {
  for (const Instruction &I : instructions(Kernel))
    if (auto R = checkInstruction(I, /*InCallee=*/false))
      return R;

  // A cycle that is not a natural loop has no single header to poll at or
  // resume into; such code is rare enough in CUDA to leave alone.
  DominatorTree DT(Kernel);
  LoopInfo LI(DT);
  ReversePostOrderTraversal<Function *> RPOT(&Kernel);
  if (containsIrreducibleCFG<const BasicBlock *>(RPOT, LI))
    return refuse(GP_REFUSAL_IRREDUCIBLE,
                  "has irreducible control flow (a cycle with two entries)",
                  nullptr);
  return std::nullopt;
}

} // namespace gpreempt
