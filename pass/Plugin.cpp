//===- Plugin.cpp - register gpreempt with the new pass manager -----------===//
#include "GPreemptPasses.h"

#include "llvm/Passes/PassBuilder.h"
#include "llvm/Plugins/PassPlugin.h"
#include "llvm/TargetParser/Triple.h"

using namespace llvm;

namespace gpreempt {

PreservedAnalyses GPreemptPass::run(Module &M, ModuleAnalysisManager &MAM) {
  if (M.getTargetTriple().isNVPTX())
    return DevicePass().run(M, MAM);
  return HostPass().run(M, MAM);
}

} // namespace gpreempt

static PassPluginLibraryInfo pluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "GPreempt", "0.1.0", [](PassBuilder &PB) {
            // clang -fpass-plugin: at the end of the optimizer, at every -O.
            PB.registerOptimizerLastEPCallback(
                [](ModulePassManager &MPM, OptimizationLevel,
                   ThinOrFullLTOPhase) {
                  MPM.addPass(gpreempt::GPreemptPass());
                });
            // opt -passes=gpreempt | gpreempt-device | gpreempt-host
            PB.registerPipelineParsingCallback(
                [](StringRef Name, ModulePassManager &MPM,
                   ArrayRef<PassBuilder::PipelineElement>) {
                  if (Name == "gpreempt")
                    MPM.addPass(gpreempt::GPreemptPass());
                  else if (Name == "gpreempt-device")
                    MPM.addPass(gpreempt::DevicePass());
                  else if (Name == "gpreempt-host")
                    MPM.addPass(gpreempt::HostPass());
                  else
                    return false;
                  return true;
                });
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK LLVM_ATTRIBUTE_VISIBILITY_DEFAULT PassPluginLibraryInfo llvmGetPassPluginInfo() {
  return pluginInfo();
}
