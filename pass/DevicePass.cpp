//===- DevicePass.cpp - make the kernels of an NVPTX module preemptible ---===//
//
// For every kernel: decide (KernelSafety), rewrite (ResumableKernel), record
// the outcome in K__gp_info for the runtime, and say it in a remark:
//   -Rpass=gpreempt         what became preemptible: kernel, yield points
//                           (file:line of each loop), bytes saved per thread
//   -Rpass-missed=gpreempt  what was left alone, and why
//
//===----------------------------------------------------------------------===//
#include "BlockUniformity.h"
#include "GPreemptPasses.h"
#include "KernelSafety.h"
#include "ResumableKernel.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/Demangle/Demangle.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/NVPTXAddrSpace.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#define DEBUG_TYPE "gpreempt"

using namespace llvm;

STATISTIC(NumPreemptible, "Kernels made preemptible");
STATISTIC(NumRefused, "Kernels left unpreemptible");
STATISTIC(NumYieldPoints, "Loop back-edges that poll for preemption");

static cl::opt<unsigned> MaxStateBytes(
    "gpreempt-max-state-bytes", cl::init(4096), cl::Hidden,
    cl::desc("Refuse kernels that would save more bytes per thread"));

// ptxas holds a kernel without launch bounds near 32 registers (all 64
// warps of an SM), whatever its grid: nbody_step's preemptible loop has
// three more live values than the plain one and lost a load in flight to
// them (15 % slower than plain). Its wide form at 64 (60 registers) ran
// 26 % faster than the variant, 15 % faster than the plain build; at 40,
// 11 % (session 22 at 7379421, docs/results.md). The budget caps as well
// (sgemm_tiled takes 64 on its own): the runtime launches the wide variant
// only where it has more registers than the variant and the grid fits at
// its occupancy.
static cl::opt<unsigned> WideVariant(
    "gpreempt-wide-variant", cl::init(64), cl::Hidden,
    cl::desc("Also emit each preemptible variant with this register budget "
             "(N__gp_wide, .maxnreg), for launches whose grid fits on the "
             "GPU at its occupancy; 0: none"));

// The default keeps the flag check (an L2 load; in block-collective kernels
// also a barrier) to about one per this many instructions of loop work.
static cl::opt<unsigned> PollBudget(
    "gpreempt-poll-budget", cl::init(256), cl::Hidden,
    cl::desc("Instructions of loop work per preemption-flag check (0: check "
             "at every loop back-edge)"));

// Four checks' worth: a short loop's whole run then costs the drain at most
// a few checks' intervals, and loops of up to 4 intervals lose the YIELD
// that ptxas adds to a loop whose exit depends on the vote (isShort).
static cl::opt<unsigned> ShortLoopLimit(
    "gpreempt-short-loop-limit", cl::init(1024), cl::Hidden,
    cl::desc("Loops of constant trip count whose whole run is at most this "
             "many instructions get no yield point of their own (0: none "
             "is left out for being short)"));

// For measurements: the clone's register count against its speed.
static cl::opt<bool> Rematerialize(
    "gpreempt-rematerialize", cl::init(true), cl::Hidden,
    cl::desc("Recompute the dispatch's addresses and indices where they are "
             "used instead of keeping them in registers across the kernel"));

// For measurements: votes at the loop's own barrier against added ones.
static cl::opt<bool> FuseVotes(
    "gpreempt-fuse-votes", cl::init(true), cl::Hidden,
    cl::desc("Let a block-collective loop vote at its own __syncthreads "
             "instead of at an added barrier"));

// A loop that waits for memory checks more often: a gather's drain is its
// dependent loads' round trips, not its instruction count (docs/results.md,
// session 15: spmv_csr's drain p99 196 -> 76 us for 1 % of its GPU time).
static cl::opt<unsigned> LoadLatency(
    "gpreempt-load-latency", cl::init(64), cl::Hidden,
    cl::desc("Instructions that a global load waiting for another load of "
             "the same iteration counts for in the poll interval (1: one, "
             "like any other instruction)"));

// For measurements: every load of the chain counted (=false), streams'
// loads too, which cost reduction and histogram 5-7 % for no shorter drain.
static cl::opt<bool> LoadLatencyIndirect(
    "gpreempt-load-latency-indirect", cl::init(true), cl::Hidden,
    cl::desc("Let -gpreempt-load-latency count only the loads of a chain "
             "that wait for another load of the same iteration"));

// For measurements: at full occupancy a loop that streams memory takes its
// bandwidth's time, not its instructions'. Estimated from an H100's peak
// bandwidth (3.35 TB/s), not measured: 4 bytes for each of ~270k resident
// threads take ~0.3 us, ~35 instructions of a warp at 64 warps an SM; so
// be_stream, checking every 32 iterations by its instruction count, would
// check ~30 us apart (docs/experiments/README.md, session 28).
static cl::opt<unsigned> MemoryWeight(
    "gpreempt-memory-weight", cl::init(0), cl::Hidden,
    cl::desc("Instructions that each 4 bytes an iteration loads, stores or "
             "updates in global memory add in the poll interval (0: none)"));

// For measurements: a converged loop's inner loops left without yield
// points (=false), as before session 15 (docs/results.md).
static cl::opt<bool> ConvergeInner(
    "gpreempt-converge-inner", cl::init(true), cl::Hidden,
    cl::desc("Let the loops inside a converged loop yield as parts of it"));

// gp.take's flag read beside its ticket atomic, a ticket taken with the
// flag up parked in the block's slot. On by way of -gpreempt-direct-first-
// wave; alone (=true with that =false), for measurements.
static cl::opt<bool> ParkTickets(
    "gpreempt-park-tickets", cl::init(false), cl::Hidden,
    cl::desc("Read the preemption flag beside the ticket atomic and park a "
             "ticket taken with the flag up, not started, for the relaunch"));

// The first wave without ticket atomics (with parked tickets): bfs -2.4 %,
// scan -0.7 % GPU time on the H100, nbody unchanged (docs/results.md,
// session 20; af4d3a4 did it without parking and put nbody on a ptxas
// cliff). =false for measurements.
static cl::opt<bool> DirectFirstWave(
    "gpreempt-direct-first-wave", cl::init(true), cl::Hidden,
    cl::desc("In a launch's first instance, physical block p starts logical "
             "block p without the ticket atomic (implies "
             "-gpreempt-park-tickets)"));

// For measurements (session 19): a one-block grid's tail without the
// arrival atomic.
static cl::opt<bool> LoneBlockExit(
    "gpreempt-lone-block-exit", cl::init(false), cl::Hidden,
    cl::desc("Let a grid of one physical block leave without the arrival "
             "atomic and the release before it"));

// A loop's exit test counts its poll interval, not a counter of its own in
// every iteration: reduction -3 %, histogram -4 % GPU time on the H100
// (docs/results.md, session 20). =false for measurements.
static cl::opt<bool> ExitBoundPolls(
    "gpreempt-exit-bound-polls", cl::init(true), cl::Hidden,
    cl::desc("Let a loop whose exit test compares an induction variable with "
             "an invariant bound count its poll interval with that test"));

// An experiment (off): a check that waits for its flag load stalls a warp
// for an L2 round trip, which a latency-bound loop (bfs's edge walk) cannot
// hide behind other warps.
static cl::opt<bool> PollAhead(
    "gpreempt-poll-ahead", cl::init(false), cl::Hidden,
    cl::desc("Let a loop whose threads check on their own, with an interval "
             "of 4 or more, check twice as often, each check deciding on the "
             "flag loaded at the check before it"));

// For measurements: divergent block-collective loops left without yield
// points, as before they could be converged.
static cl::opt<bool> ConvergeLoops(
    "gpreempt-converge-loops", cl::init(true), cl::Hidden,
    cl::desc("Let a block-collective loop whose trip count differs between "
             "threads yield, its threads waiting for each other at its exit"));

// Kernels with barriers, shared memory or warp-synchronous operations are
// refused without it (-gpreempt-block-collective=false: for comparison, and
// for the refusal tests of that mode).
static cl::opt<bool> BlockCollective(
    "gpreempt-block-collective", cl::init(true), cl::Hidden,
    cl::desc("Make kernels with barriers, shared memory or warp-synchronous "
             "operations preemptible with block-collective yields"));

namespace gpreempt {

static constexpr const char *OptOutAnnotation = "gpreempt.no_preempt";

/// Kernels marked GP_NO_PREEMPT (annotate attribute).
static SmallPtrSet<const Function *, 4> optedOutKernels(Module &M) {
  SmallPtrSet<const Function *, 4> Out;
  auto *GA = M.getGlobalVariable("llvm.global.annotations");
  if (!GA || !GA->hasInitializer())
    return Out;
  auto *Entries = dyn_cast<ConstantArray>(GA->getInitializer());
  if (!Entries)
    return Out;
  for (Value *Op : Entries->operands()) {
    auto *Entry = dyn_cast<ConstantStruct>(Op);
    if (!Entry || Entry->getNumOperands() < 2)
      continue;
    auto *F = dyn_cast<Function>(Entry->getOperand(0)->stripPointerCasts());
    auto *Str = dyn_cast<GlobalVariable>(Entry->getOperand(1)->stripPointerCasts());
    if (!F || !Str || !Str->hasInitializer())
      continue;
    auto *Text = dyn_cast<ConstantDataArray>(Str->getInitializer());
    if (Text && Text->isCString() && Text->getAsCString() == OptOutAnnotation)
      Out.insert(F);
  }
  return Out;
}

static void emitKernelInfo(Module &M, StringRef Kernel, uint32_t Flags,
                           gp_refusal Refusal, uint32_t StateWords,
                           uint32_t NumParams, uint32_t YieldPoints,
                           uint32_t SharedWords) {
  LLVMContext &Ctx = M.getContext();
  uint32_t Words[8] = {GP_INFO_MAGIC, GP_ABI_VERSION,
                       Flags,         static_cast<uint32_t>(Refusal),
                       StateWords,    NumParams,
                       YieldPoints,   SharedWords};
  static_assert(sizeof(Words) == sizeof(gp_kernel_info), "abi.h layout");
  Constant *Init = ConstantDataArray::get(Ctx, ArrayRef<uint32_t>(Words));
  auto *GV = new GlobalVariable(M, Init->getType(), /*isConstant=*/true,
                                GlobalValue::ExternalLinkage, Init,
                                Kernel + GP_INFO_SUFFIX, nullptr,
                                GlobalValue::NotThreadLocal, /*global*/ 1);
  GV->setAlignment(Align(8));
  appendToUsed(M, {GV});
}

static std::string kernelName(const Function &F) {
  return demangle(F.getName());
}

static void remarkRefused(const Function &F, const Refusal &R) {
  OptimizationRemarkEmitter ORE(&F);
  ORE.emit([&] {
    OptimizationRemarkMissed Rem = R.At
        ? OptimizationRemarkMissed(DEBUG_TYPE, "NotPreemptible", R.At)
        : OptimizationRemarkMissed(DEBUG_TYPE, "NotPreemptible", &F);
    return Rem << "kernel '" << kernelName(F)
               << "' left unpreemptible [" << refusalName(R.Code) << "]: it "
               << R.Detail;
  });
}

/// True if every use of C, through constant expressions, is an instruction
/// of F.
static bool usedOnlyIn(const Constant &C, const Function &F) {
  for (const User *U : C.users()) {
    if (const auto *I = dyn_cast<Instruction>(U)) {
      if (I->getFunction() != &F)
        return false;
    } else if (const auto *CU = dyn_cast<Constant>(U);
               !CU || isa<GlobalValue>(CU) || !usedOnlyIn(*CU, F)) {
      return false;
    }
  }
  return true;
}

/// -gpreempt-wide-variant: N__gp_wide, a copy of the variant with a register
/// budget, where the kernel leaves ptxas to choose (launch bounds and
/// __maxnreg__ are the user's word on it). False if none was made.
///
/// The copy must leave the variant's own PTX as it was. A shared variable
/// that only one function uses is declared inside it ("demoted"), one that
/// two use at module scope, and ptxas allocates differently for that alone:
/// kmeans_assign's variant took 48 registers instead of 56 once its wide
/// form shared the converged loop's words, and ran 10 % slower (session 22).
/// So the copy gets its own copy of each shared variable only the variant
/// uses.
static bool emitWideVariant(const Function &Kernel, Function &Variant) {
  if (WideVariant == 0)
    return false;
  for (StringRef Bound : {"nvvm.maxnreg", "nvvm.maxntid", "nvvm.minctasm",
                          "nvvm.reqntid"})
    if (Kernel.hasFnAttribute(Bound))
      return false;
  ValueToValueMapTy VMap;
  Module &M = *Variant.getParent();
  SmallVector<GlobalVariable *, 8> Own;
  for (GlobalVariable &GV : M.globals())
    if (GV.getAddressSpace() == NVPTXAS::ADDRESS_SPACE_SHARED &&
        GV.hasInitializer() && GV.hasLocalLinkage() &&
        usedOnlyIn(GV, Variant))
      Own.push_back(&GV);
  for (GlobalVariable *GV : Own) {
    auto *Copy = new GlobalVariable(
        M, GV->getValueType(), GV->isConstant(), GV->getLinkage(),
        GV->getInitializer(), GV->getName() + GP_WIDE_SUFFIX, nullptr,
        GV->getThreadLocalMode(), GV->getAddressSpace());
    Copy->copyAttributesFrom(GV);
    VMap[GV] = Copy;
  }
  Function *Wide = CloneFunction(&Variant, VMap);
  Wide->setName(Kernel.getName() + GP_WIDE_SUFFIX);
  Wide->addFnAttr("nvvm.maxnreg", utostr(WideVariant));
  readOwnParams(*Wide, Variant.getName());
  return true;
}

static void remarkPreemptible(const Function &F, const ResumableKernel &RK,
                              bool Wide) {
  OptimizationRemarkEmitter ORE(&F);
  ORE.emit([&] {
    return OptimizationRemark(DEBUG_TYPE, "Preemptible", &F)
           << "kernel '" << kernelName(F) << "' is preemptible: "
           << ore::NV("YieldPoints", RK.YieldPoints)
           << " yield point(s) on loop back-edges and at block entry; at most "
           << ore::NV("StateBytes", RK.StateWords * 4)
           << " bytes saved per thread (" << ore::NV("LocalBytes", RK.AllocaBytes)
           << " of local memory); decisions per "
           << (RK.BlockCollective  ? "block"
               : RK.WarpCollective ? "warp"
                                   : "thread")
           << "; "
           << ore::NV("SharedBytes", RK.SharedWords * 4)
           << " shared bytes saved per block"
           << (RK.SavesDynamicShared ? " plus the launch's dynamic shared memory"
                                     : "")
           << (Wide ? "; also a wide form at " + utostr(WideVariant) +
                          " registers for grids that fit at its occupancy"
                    : "");
  });
  for (const SkippedLoop &SL : RK.SkippedLoops)
    ORE.emit([&] {
      OptimizationRemarkMissed Rem(DEBUG_TYPE, "NoYieldPoint", SL.Loc,
                                   &F.getEntryBlock());
      Rem << "kernel '" << kernelName(F) << "': loop gets no yield point: ";
      switch (SL.Why) {
      case SkipReason::InsideConverged:
        Rem << "it is inside a loop whose threads wait for each other at its "
               "exit, which yields";
        break;
      case SkipReason::InsideSkipped:
        Rem << "it is inside a loop without one (a resume enters through the "
               "outer loop's header)";
        break;
      case SkipReason::OuterVotes:
        Rem << "an enclosing loop yields at its own __syncthreads, which "
               "costs no extra barrier; a vote here would add one";
        break;
      case SkipReason::Short:
        Rem << "it runs at most " << ore::NV("Trips", SL.Trips)
            << " iterations, about " << ore::NV("RunSize", SL.RunSize)
            << " instructions in all, which the checks before and after it "
               "bound (-gpreempt-short-loop-limit)";
        break;
      case SkipReason::Divergent:
        Rem << "the threads of a block do not run it together (its exit or "
               "back-edge differs between threads), so a block-wide vote "
               "there could wait for threads that already left it";
        if (SL.Detail)
          Rem << "; they cannot wait for each other after it: " << SL.Detail;
        break;
      }
      return Rem;
    });
  for (const LoopReport &LR : RK.Loops)
    ORE.emit([&] {
      OptimizationRemark Rem(DEBUG_TYPE, "YieldPoint", LR.Loc,
                             &F.getEntryBlock());
      Rem << "kernel '" << kernelName(F) << "': loop "
          << ore::NV("Loop", LR.Id) << " yields on "
          << ore::NV("BackEdges", LR.YieldPoints) << " back-edge(s), saving "
          << ore::NV("SavedBytes", LR.SavedBytes) << " bytes per thread";
      if (LR.PollInterval > 1)
        Rem << "; checks the flag every "
            << ore::NV("PollInterval", LR.PollInterval) << " iterations"
            << (LR.ExitBound ? ", counted by its exit test" : "")
            << (LR.PollAhead ? ", each check deciding on the flag as the "
                               "check before it read it"
                             : "");
      if (LR.Converged)
        Rem << "; its threads leave it at different iterations and wait for "
               "each other after it";
      return Rem;
    });
}

PreservedAnalyses DevicePass::run(Module &M, ModuleAnalysisManager &MAM) {
  SmallVector<Function *, 8> Kernels;
  for (Function &F : M)
    if (F.getCallingConv() == CallingConv::PTX_Kernel && !F.isDeclaration() &&
        !F.getName().ends_with(GP_VARIANT_SUFFIX) &&
        !M.getNamedValue((F.getName() + GP_INFO_SUFFIX).str()))
      Kernels.push_back(&F);
  if (Kernels.empty())
    return PreservedAnalyses::all();

  auto OptedOut = optedOutKernels(M);
  auto &FAM = MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
  KernelSafety Safety;
  for (Function *F : Kernels) {
    uint32_t NumParams = F->arg_size();
    std::optional<Refusal> R;
    KernelTraits Traits;
    if (OptedOut.contains(F))
      R = Refusal{GP_REFUSAL_OPTED_OUT, "is marked GP_NO_PREEMPT", nullptr};
    else
      R = Safety.check(*F, BlockCollective, Traits);
    if (!R) {
      RewriteOptions Options;
      Options.MaxStateBytes = MaxStateBytes;
      Options.PollBudget = PollBudget;
      Options.ShortLoopLimit = ShortLoopLimit;
      Options.Rematerialize = Rematerialize;
      Options.FuseVotes = FuseVotes;
      Options.LoadLatency = LoadLatency;
      Options.LoadLatencyIndirect = LoadLatencyIndirect;
      Options.MemoryWeight = MemoryWeight;
      Options.ConvergeInner = ConvergeInner;
      Options.ParkTickets = ParkTickets || DirectFirstWave;
      Options.DirectFirstWave = DirectFirstWave;
      Options.LoneBlockExit = LoneBlockExit;
      Options.ExitBoundPolls = ExitBoundPolls;
      Options.PollAhead = PollAhead;
      Options.BlockCollective = Traits.BlockCollective;
      Options.WarpCollective = Traits.WarpCollective;
      SmallPtrSet<const BasicBlock *, 8> UniformHeaders;
      DenseMap<const BasicBlock *, ConvergibleLoop> Convergible;
      if (Traits.BlockCollective) {
        BlockUniformity Uniform(*F, FAM, Traits.BarrierCallees);
        if (const Instruction *At = Uniform.divergentBarrier())
          R = Refusal{GP_REFUSAL_BARRIER,
                      "has a barrier that only some threads reach (the "
                      "others returned early, or are in a branch)",
                      At};
        UniformHeaders = Uniform.uniformLoopHeaders();
        Options.UniformHeaders = &UniformHeaders;
        if (ConvergeLoops)
          Convergible = Uniform.convergibleLoops(UniformHeaders);
        Options.ConvergibleLoops = &Convergible;
      }
      if (!R) {
        auto Built = buildResumableKernel(*F, Options);
        if (auto *RK = std::get_if<ResumableKernel>(&Built)) {
          ++NumPreemptible;
          NumYieldPoints += RK->YieldPoints;
          uint32_t Flags = GP_INFO_PREEMPTIBLE;
          if (RK->SavesDynamicShared)
            Flags |= GP_INFO_DYNAMIC_SHARED;
          bool Wide = emitWideVariant(*F, *RK->Variant);
          if (Wide)
            Flags |= GP_INFO_WIDE_VARIANT;
          emitKernelInfo(M, F->getName(), Flags,
                         GP_REFUSAL_NONE, RK->StateWords, NumParams,
                         RK->YieldPoints, RK->SharedWords);
          remarkPreemptible(*F, *RK, Wide);
          continue;
        }
        R = std::get<Refusal>(Built);
      }
    }
    ++NumRefused;
    emitKernelInfo(M, F->getName(), 0, R->Code, 0, NumParams, 0, 0);
    remarkRefused(*F, *R);
  }
  return PreservedAnalyses::none();
}

} // namespace gpreempt
