//===- BlockUniformity.h - what all threads of a block do together -*- C++ -*-===//
//
// Block-collective yields (KernelTraits::BlockCollective) vote with a
// barrier, so a poll may only sit where every thread of the block arrives
// together. This answers where that is, from LLVM's uniformity analysis run
// with a block-level view of the NVPTX sources of divergence:
//   - blockIdx, blockDim, gridDim (and the shared-memory sizes) are the same
//     for every thread of a block; the NVPTX target calls every call's result
//     divergent, which would make each grid-stride or per-block loop bound
//     look per-thread. In the preemptible clone these become the logical
//     block index (published through shared memory) and kernel arguments:
//     still block-uniform.
//   - a load through a generic pointer that is based on a kernel argument or
//     a global variable reads global memory, not a thread's local memory, so
//     a uniform address gives a uniform value (as for addrspace(1) loads);
//     volatile and atomic loads stay divergent (another thread may write
//     between two warps' loads: spin-waits).
//
//===----------------------------------------------------------------------===//
#ifndef GPREEMPT_BLOCKUNIFORMITY_H
#define GPREEMPT_BLOCKUNIFORMITY_H

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Analysis/TargetTransformInfo.h"
#include "llvm/Analysis/UniformityAnalysis.h"
#include "llvm/IR/PassManager.h"

namespace llvm {
class DominatorTree;
class LoopInfo;
class PostDominatorTree;
} // namespace llvm

namespace gpreempt {

/// A loop whose threads leave it at different iterations, in code that
/// every thread of the block runs (ConvergeLoops.cpp: converged loops).
/// Entry: the last block before the loop that every thread runs (the
/// loop's guard, or its preheader); Join: the first block after it that
/// every thread runs. Every thread goes from Entry to Join without a
/// barrier on the way, through the loop or past it. Why, if set, says
/// why the loop cannot be converged (for remarks); Entry and Join are then
/// not meaningful.
struct ConvergibleLoop {
  const llvm::BasicBlock *Entry = nullptr;
  const llvm::BasicBlock *Join = nullptr;
  const char *Why = nullptr;
  /// Warp-synchronous operations on the way: a lane may only stop with
  /// the lanes it runs with.
  bool WarpOps = false;
};

class BlockUniformity {
public:
  /// Analyses F (a kernel). BarrierCallees: functions that contain a
  /// block-wide barrier (directly or through their calls); calls to them
  /// count as barriers.
  BlockUniformity(llvm::Function &F, llvm::FunctionAnalysisManager &FAM,
                  const llvm::SmallPtrSetImpl<const llvm::Function *>
                      &BarrierCallees);
  ~BlockUniformity();

  /// Headers of the loops that every thread of a block enters together and
  /// leaves together: not inside code that only some threads run
  /// (transitively control dependent on a divergent branch), with uniform
  /// exits and back-edges. Only these can hold a block-collective yield.
  llvm::SmallPtrSet<const llvm::BasicBlock *, 8> uniformLoopHeaders();

  /// Every loop, by header, that is not uniform: whether its threads can be
  /// made to wait for each other at the loop's exit (the loop and its way
  /// to Join hold no barrier, no other loop but the loop's own inner ones,
  /// nothing that waits for another thread, and no way back to Entry that
  /// misses Join), or why not. Uniform: uniformLoopHeaders()'s answer.
  llvm::DenseMap<const llvm::BasicBlock *, ConvergibleLoop>
  convergibleLoops(const llvm::SmallPtrSetImpl<const llvm::BasicBlock *> &Uniform);

  /// A barrier (or a call to a function with one) that only some threads
  /// reach: the kernel relies on the others having exited
  /// (`if (i >= n) return;` before it), but in the preemptible kernel they
  /// wait for the next logical block instead. Null if there is none.
  const llvm::Instruction *divergentBarrier();

private:
  bool controlDependsOn(const llvm::BasicBlock *X, const llvm::BasicBlock *BB);
  bool inDivergentRegion(const llvm::BasicBlock *X);
  bool isBarrier(const llvm::Instruction &I) const;
  ConvergibleLoop convergible(const llvm::Loop &L);

  llvm::Function &F;
  llvm::FunctionAnalysisManager Local;
  llvm::UniformityInfo *UI = nullptr;
  llvm::DominatorTree &DT;
  llvm::PostDominatorTree &PDT;
  llvm::LoopInfo &LI;
  const llvm::SmallPtrSetImpl<const llvm::Function *> &BarrierCallees;
  llvm::DenseMap<const llvm::BasicBlock *, bool> Memo;
};

} // namespace gpreempt

#endif
