//===- ResumableKernel.h - build the preemptible clone of a kernel -*- C++ -*-===//
//
// The rewriting half. For kernel K it adds K__gp (gpreempt/abi.h), a clone that
//   - runs as a persistent grid: each physical block takes logical blocks from
//     a ticket counter until none are left or preemption is raised, and
//     replaces blockIdx/gridDim with the logical ones;
//   - polls the flag on every loop back-edge; a thread that sees it raised
//     saves its plan (YieldPlan.h) and leaves its logical block;
//   - at the end of each logical block, decides with one block-wide vote
//     (barrier.red.or) whether any thread yielded: if so the physical block
//     records the logical block in its slot and exits, else it counts the
//     block as done and takes the next ticket;
//   - on relaunch, continues a recorded logical block: each thread restores
//     its state and jumps back into the loop it left. Jumps into nested loops
//     go through each enclosing header (a "route" check there), so the
//     control flow stays reducible.
// K itself is not modified.
//
//===----------------------------------------------------------------------===//
#ifndef GPREEMPT_RESUMABLEKERNEL_H
#define GPREEMPT_RESUMABLEKERNEL_H

#include "BlockUniformity.h"
#include "KernelSafety.h"
#include "YieldPlan.h"

#include "llvm/IR/DebugLoc.h"
#include "llvm/IR/Function.h"

#include <variant>
#include <vector>

namespace gpreempt {

struct LoopReport {
  llvm::DebugLoc Loc;   // the loop's start location, if the IR has one
  unsigned Id;          // resume point number
  unsigned YieldPoints; // back-edges of this loop
  unsigned SavedBytes;  // bytes per thread a yield in this loop saves
  unsigned PollInterval; // back-edges per flag check
  bool ExitBound;         // counted by the loop's exit test
  bool PollAhead;         // its checks read the flag one check ahead
  bool Converged;        // its threads wait for each other at its exit
};

struct ResumableKernel {
  llvm::Function *Variant = nullptr;
  unsigned StateWords = 0;  // per thread, word 0 included
  unsigned SharedWords = 0; // static shared memory saved per block
  bool SavesDynamicShared = false; // and the launch's dynamic shared memory
  unsigned YieldPoints = 0; // polls on back-edges
  unsigned AllocaBytes = 0; // local memory saved per thread
  bool BlockCollective = false;
  bool WarpCollective = false;
  std::vector<LoopReport> Loops;
  std::vector<SkippedLoop> SkippedLoops; // loops without a yield point
};

struct RewriteOptions {
  unsigned MaxStateBytes = 4096;
  /// Instructions of loop work per flag check (YieldPlan.h: pollInterval);
  /// 0: check at every back-edge.
  unsigned PollBudget = 0;
  /// A loop of constant trip count whose whole run is at most this many
  /// instructions gets no yield point (Rewriter::isShort); 0: every loop
  /// that can have one does.
  unsigned ShortLoopLimit = 0;
  /// Recompute the prologue's values outside the body instead of keeping
  /// them live across it (rematerializePrologue).
  bool Rematerialize = true;
  /// With BlockCollective: a loop with its own __syncthreads once per
  /// iteration votes there (voteBarrierOf) instead of at an added barrier.
  bool FuseVotes = true;
  /// What a global load on an iteration's chain of dependent ones counts
  /// for in the poll interval (YieldPlan.h: pollInterval); 1: one
  /// instruction, like any other.
  unsigned LoadLatency = 64;
  /// LoadLatency counts only the loads after a chain's first: those whose
  /// address or value waits for another load of the same iteration (a
  /// gather), not a stream's one load an iteration, whose loads overlap
  /// across iterations.
  bool LoadLatencyIndirect = true;
  /// What each 4 bytes of global memory that an iteration moves add to it
  /// in the poll interval (YieldPlan.h: pollInterval); 0: nothing.
  unsigned MemoryWeight = 0;
  /// Loops inside a converged loop (without warp operations) yield too, as
  /// parts of it: each thread checks on its own and meets the others at
  /// the converged loop's join (ConvergeLoops.cpp). Off: they never yield,
  /// and the converged loop's checks bound the wait.
  bool ConvergeInner = true;
  /// gp.take reads the flag beside its ticket atomic instead of before it
  /// (one global round trip less before every logical block starts); a
  /// ticket taken with the flag up is parked in the physical block's slot,
  /// not started (bit 62, abi.h), for the relaunch to start.
  bool ParkTickets = true;
  /// With ParkTickets: in the first instance each physical block's first
  /// logical block is its own index, taken without the atomic; tickets
  /// count from P (abi.h).
  bool DirectFirstWave = true;
  /// A grid of one physical block leaves without the arrival atomic and
  /// the device-scope release before it (it is its own last arrival).
  bool LoneBlockExit = false;
  /// A loop whose exit test compares an induction variable with an
  /// invariant bound counts its poll interval with that test instead of a
  /// counter of its own (ExitBoundPolls.cpp).
  bool ExitBoundPolls = true;
  /// A loop whose threads check on their own, with an interval of 4 or
  /// more, checks twice as often, each check deciding on the flag loaded at
  /// the check before it, which then loads it again: no check waits for a
  /// load (YieldPoints.cpp, ExitBoundPolls.cpp).
  bool PollAhead = false;
  /// Yields are decided by the whole block at once (barrier.red.or) and save
  /// the block's shared memory; see KernelTraits.
  bool BlockCollective = false;
  /// Yields are decided by a whole warp at once (vote.any.sync), at a
  /// back-edge where all its lanes are; see KernelTraits.
  bool WarpCollective = false;
  /// With BlockCollective: the loop headers (of Kernel) where every thread
  /// of the block arrives together. Only those loops get yield points.
  const llvm::SmallPtrSetImpl<const llvm::BasicBlock *> *UniformHeaders =
      nullptr;
  /// With BlockCollective: the loop headers (of Kernel) of the loops that
  /// are not uniform but can be converged (ConvergeLoops.cpp); null or
  /// empty: none is.
  const llvm::DenseMap<const llvm::BasicBlock *, ConvergibleLoop>
      *ConvergibleLoops = nullptr;
};

/// A copy of a variant named Original (CloneFunction, then renamed): the
/// variant reads its control parameters in place by their PTX names,
/// <name>_param_<n> (Rematerialize.cpp); make the copy read its own.
void readOwnParams(llvm::Function &Copy, llvm::StringRef Original);

/// Build Kernel's preemptible clone, or say why not (nothing is left behind
/// in the module then). Kernel must have passed KernelSafety.
std::variant<ResumableKernel, Refusal>
buildResumableKernel(llvm::Function &Kernel, const RewriteOptions &Options);

} // namespace gpreempt

#endif
