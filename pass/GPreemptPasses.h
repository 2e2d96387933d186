//===- GPreemptPasses.h - the passes the plugin registers ------*- C++ -*-===//
//
// gpreempt runs once per compilation, at the end of the optimization
// pipeline (after unrolling and vectorization, so it polls the loops that
// really run, and the optimizer is not blocked by the polls):
//   - DevicePass on the NVPTX module: makes each eligible kernel preemptible
//     (ResumableKernel.h) and records for every kernel whether it is, and why
//     not (gpreempt/abi.h: gp_kernel_info).
//   - HostPass on the host module of a CUDA compilation: routes kernel
//     launches through the runtime (__gpreempt_launch_kernel).
// `opt -passes=gpreempt` picks the one that fits the module's target.
//
//===----------------------------------------------------------------------===//
#ifndef GPREEMPT_PASSES_H
#define GPREEMPT_PASSES_H

#include "llvm/IR/PassManager.h"

namespace gpreempt {

struct DevicePass : llvm::PassInfoMixin<DevicePass> {
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &);
  static bool isRequired() { return true; } // also at -O0 (optnone)
};

struct HostPass : llvm::PassInfoMixin<HostPass> {
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &);
  static bool isRequired() { return true; }
};

/// DevicePass or HostPass, by the module's target triple.
struct GPreemptPass : llvm::PassInfoMixin<GPreemptPass> {
  llvm::PreservedAnalyses run(llvm::Module &M,
                              llvm::ModuleAnalysisManager &MAM);
  static bool isRequired() { return true; }
};

} // namespace gpreempt

#endif
