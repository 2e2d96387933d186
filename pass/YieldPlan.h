//===- YieldPlan.h - where a kernel yields and what it saves ---*- C++ -*-===//
//
// The analysis half of the rewrite: every loop of the kernel body gets a yield
// point on each back-edge, and the plan records what a thread must save there
// to continue later:
//   - the loop's header phis, with the value they would take on the next
//     iteration (restored as the header's incoming value on resume), and
//   - the values live into the header that are defined in the body (restored
//     on resume; uses are repaired with SSAUpdater).
// Values defined before the body (kernel parameters, thread and block indices,
// constants) are recomputed on resume and never saved. All yield points of
// one loop share one layout; different loops reuse the same words, since a
// thread is only ever stopped at one of them. Local memory (allocas) is saved
// whole, after the largest loop layout.
//
//===----------------------------------------------------------------------===//
#ifndef GPREEMPT_YIELDPLAN_H
#define GPREEMPT_YIELDPLAN_H

#include "KernelSafety.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/DebugLoc.h"
#include "llvm/IR/Instructions.h"

#include <optional>
#include <vector>

namespace gpreempt {

struct LoopYield {
  llvm::DebugLoc Loc; // where the loop starts, for remarks
  unsigned Id = 0; // resume point: >= 1, loop-tree preorder
  llvm::BasicBlock *Header = nullptr;
  llvm::SmallVector<llvm::BasicBlock *, 2> Latches;
  llvm::SmallVector<llvm::PHINode *, 4> CarriedPhis;
  llvm::SmallVector<llvm::Instruction *, 8> LiveIns;
  llvm::DenseMap<const llvm::Value *, unsigned> FirstWord;
  unsigned Words = 0; // words for this loop's values (word 0 excluded)
  LoopYield *Parent = nullptr;
  llvm::SmallVector<LoopYield *, 2> Children;
  unsigned PollInterval = 1; // back-edges per flag check (a power of two)
  /// The interval is counted by the loop's exit test (ExitBoundPolls.cpp),
  /// not by a counter of its own.
  bool ExitBound = false;
  /// -gpreempt-poll-ahead: each check decides on the flag as the check
  /// before it (or an exit-bound run's first back-edge) loaded it, so the
  /// load is in flight while the loop works; the interval is halved for it
  /// (YieldPoints.cpp: loadFlagAhead, ExitBoundPolls.cpp).
  bool PollAhead = false;
  /// Block-collective kernels: a __syncthreads that runs once in every
  /// iteration of this loop, which becomes the yield vote
  /// (barrier.red.or) instead of a barrier of its own; null if none. Once
  /// the vote replaces it, only its being non-null means anything.
  llvm::CallInst *VoteBarrier = nullptr;
  /// Converged loops (ConvergeLoops.cpp): Loop for the loop itself (its
  /// threads leave it at different iterations), Wait for the loop where
  /// they wait for each other after it.
  enum class Converge { None, Loop, Wait } Role = Converge::None;
};

/// Why a loop gets no yield point (for -Rpass-missed).
enum class SkipReason {
  Divergent,     // block-collective kernel, threads do not run it together
  OuterVotes,    // an enclosing loop votes at its own barrier (cheaper)
  InsideSkipped, // acceptable itself, but inside a loop without a yield point
  InsideConverged, // inside a converged loop, whose checks bound the wait
  Short,           // a whole run fits the budget of the checks around it
};

struct SkippedLoop {
  llvm::DebugLoc Loc;
  SkipReason Why = SkipReason::Divergent;
  const llvm::BasicBlock *Header = nullptr;
  /// Divergent: why its threads cannot be made to wait for each other at
  /// its exit (BlockUniformity::convergibleLoops), if known.
  const char *Detail = nullptr;
  /// Short: its trip count and the instructions of a whole run.
  unsigned Trips = 0;
  uint64_t RunSize = 0;
};

struct YieldPlan {
  std::vector<LoopYield> Loops; // preorder: a parent before its children
  std::vector<SkippedLoop> Skipped;
  llvm::SmallVector<llvm::AllocaInst *, 4> Allocas;
  llvm::DenseMap<const llvm::AllocaInst *, unsigned> AllocaFirstWord;
  unsigned StateWords = 1; // word 0 (resume point) + values + allocas

  unsigned yieldPoints() const;
};

/// Plan yield points for the loops of F whose blocks are in Body and for
/// whose header WhyNot gives no reason to skip; a loop inside one that is
/// skipped gets no yield point either (a resume could not reach it through its parent's
/// header). Allocas are the kernel's (static, already moved out of the body).
/// Returns a refusal when a live value cannot be saved or the state exceeds
/// MaxStateBytes.
std::optional<Refusal>
planYields(llvm::Function &F, llvm::LoopInfo &LI,
           const llvm::SmallPtrSetImpl<llvm::BasicBlock *> &Body,
           llvm::function_ref<std::optional<SkipReason>(const llvm::Loop &)>
               WhyNot,
           llvm::ArrayRef<llvm::AllocaInst *> Allocas, unsigned MaxStateBytes,
           YieldPlan &Plan);

/// How many back-edges of L may pass between two flag checks so that about
/// Budget instructions of work run per check: Budget / (instructions in L,
/// each inner loop's counted InnerTrips(inner) times), rounded up to a power
/// of two, at most 1024. 1 (check every back-edge) when Budget is 0. The
/// static size stands for the cost of an iteration: cheap to know, and what
/// matters is keeping the check (an L2 load, or a barrier in
/// block-collective kernels) rare against the loop's own work while the
/// time to the next check stays a few hundred instructions. Inner loops
/// count once unless InnerTrips says more: where they yield themselves,
/// their own checks bound the time. A call that was not inlined, or a memory
/// intrinsic of run-time length, counts as more than any budget (its time
/// is unknown): such a loop, and every loop around it, checks at every
/// back-edge. With LoadLatency above 1 (an experiment), each global load
/// on the iteration's longest chain of dependent ones counts LoadLatency
/// instructions instead of 1: a loop that waits for memory checks more
/// often. With IndirectOnly, only the chain's loads after its first count
/// so (a gather's second load, not a stream's one). With MemoryWeight above
/// 0 (an experiment), every 4 bytes that an iteration loads, stores or
/// updates in global memory add MemoryWeight instructions: a loop whose
/// every thread on a full GPU streams memory runs at the memory's
/// bandwidth, not at its instruction count.
unsigned pollInterval(
    const llvm::Loop &L, unsigned Budget,
    llvm::function_ref<unsigned(const llvm::Loop &)> InnerTrips =
        [](const llvm::Loop &) { return 1u; },
    unsigned LoadLatency = 1, bool IndirectOnly = false,
    unsigned MemoryWeight = 0);

/// Instructions of a whole run of L: Trips(L) iterations, each inner loop
/// counted Trips(inner) times; nullopt when Trips says 0 (not a known
/// constant) for L or any loop inside it, or when L calls a function (not
/// an intrinsic or inline asm), whose time is unknown. Saturates like
/// pollInterval's count.
std::optional<uint64_t>
runSize(const llvm::Loop &L,
        llvm::function_ref<unsigned(const llvm::Loop &)> Trips);

} // namespace gpreempt

#endif
