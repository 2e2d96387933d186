//===- HostPass.cpp - route kernel launches through the gpreempt runtime --===//
//
// In the host half of a CUDA compilation every kernel has a host stub,
// registered with __cudaRegisterFunction(handle, stub, name, name, ...), and
// every launch (<<<>>>, a direct cudaLaunchKernel, or either after the stub
// was inlined into its caller) is a call cudaLaunchKernel(stub, ...). Each
// such call becomes __gpreempt_launch_kernel(&ref, stub, ...) with the same
// arguments after the first, so the ABI of the rest is untouched; the ref
// tells the runtime the kernel's device name. Launches whose function is not
// a known stub (a function pointer) get a null ref: the runtime then looks
// the kernel up by its handle, or runs it unpreempted.
// Launch APIs with extra semantics (cudaLaunchKernelExC, cooperative
// launches, graphs) are left alone: they run the original kernel.
//
//===----------------------------------------------------------------------===//
#include "GPreemptPasses.h"
#include "gpreempt/abi.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/Demangle/Demangle.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"

#define DEBUG_TYPE "gpreempt"

using namespace llvm;

STATISTIC(NumLaunchesRouted, "Kernel launches routed through the runtime");

namespace gpreempt {

/// stub -> device name, from the module's __cudaRegisterFunction calls.
static MapVector<Function *, StringRef> registeredKernels(Module &M) {
  MapVector<Function *, StringRef> Out;
  Function *Register = M.getFunction("__cudaRegisterFunction");
  if (!Register)
    return Out;
  for (User *U : Register->users()) {
    auto *Call = dyn_cast<CallBase>(U);
    if (!Call || Call->getCalledFunction() != Register || Call->arg_size() < 4)
      continue;
    auto *Stub = dyn_cast<Function>(Call->getArgOperand(1)->stripPointerCasts());
    auto *Name =
        dyn_cast<GlobalVariable>(Call->getArgOperand(3)->stripPointerCasts());
    if (!Stub || !Name || !Name->hasInitializer())
      continue;
    auto *Text = dyn_cast<ConstantDataArray>(Name->getInitializer());
    if (Text && Text->isCString())
      Out[Stub] = Text->getAsCString();
  }
  return Out;
}

/// private global struct gp_kernel_ref { stub, device_name, cache = null }.
static GlobalVariable *kernelRef(Module &M, Function *Stub, StringRef Name) {
  LLVMContext &Ctx = M.getContext();
  std::string RefName = ("__gpreempt_ref." + Stub->getName()).str();
  if (auto *GV = M.getGlobalVariable(RefName, /*AllowInternal=*/true))
    return GV;
  auto *Ptr = PointerType::get(Ctx, 0);
  auto *RefTy = StructType::get(Ctx, {Ptr, Ptr, Ptr});
  Constant *NameStr = ConstantDataArray::getString(Ctx, Name);
  auto *NameGV = new GlobalVariable(M, NameStr->getType(), true,
                                    GlobalValue::PrivateLinkage, NameStr,
                                    "__gpreempt_name." + Stub->getName());
  NameGV->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  Constant *Init = ConstantStruct::get(
      RefTy, {Stub, NameGV, ConstantPointerNull::get(Ptr)});
  auto *GV = new GlobalVariable(M, RefTy, /*isConstant=*/false,
                                GlobalValue::PrivateLinkage, Init, RefName);
  GV->setAlignment(Align(8));
  return GV;
}

/// The runtime entry with the launch function's own parameters after a
/// leading ref pointer: same coerced dim3 halves, same order.
static FunctionCallee launchEntry(Module &M, Function *Launch,
                                  StringRef EntryName) {
  FunctionType *FT = Launch->getFunctionType();
  SmallVector<Type *, 10> Params{PointerType::get(M.getContext(), 0)};
  append_range(Params, FT->params());
  return M.getOrInsertFunction(
      EntryName, FunctionType::get(FT->getReturnType(), Params, false));
}

static bool routeLaunches(Module &M, StringRef LaunchName, StringRef EntryName,
                          const MapVector<Function *, StringRef> &Kernels) {
  Function *Launch = M.getFunction(LaunchName);
  if (!Launch)
    return false;
  FunctionCallee Entry = launchEntry(M, Launch, EntryName);
  SmallVector<CallBase *, 8> Calls;
  for (User *U : Launch->users())
    if (auto *Call = dyn_cast<CallBase>(U))
      if (Call->getCalledOperand() == Launch)
        Calls.push_back(Call);

  for (CallBase *Call : Calls) {
    Function *Stub =
        dyn_cast<Function>(Call->getArgOperand(0)->stripPointerCasts());
    auto Known = Stub ? Kernels.find(Stub) : Kernels.end();
    Value *Ref = ConstantPointerNull::get(PointerType::get(M.getContext(), 0));
    if (Known != Kernels.end())
      Ref = kernelRef(M, Stub, Known->second);
    SmallVector<Value *, 10> Args{Ref};
    append_range(Args, Call->args());
    IRBuilder<> B(Call);
    CallBase *New;
    if (auto *Invoke = dyn_cast<InvokeInst>(Call))
      New = B.CreateInvoke(Entry, Invoke->getNormalDest(),
                           Invoke->getUnwindDest(), Args);
    else
      New = B.CreateCall(Entry, Args);
    New->setCallingConv(Call->getCallingConv());
    New->setDebugLoc(Call->getDebugLoc());
    New->takeName(Call);
    Call->replaceAllUsesWith(New);
    Call->eraseFromParent();
    ++NumLaunchesRouted;

    OptimizationRemarkEmitter ORE(New->getFunction());
    ORE.emit([&] {
      OptimizationRemark R(DEBUG_TYPE, "LaunchRouted", New);
      if (Known != Kernels.end())
        R << "launch of kernel '" << demangle(Known->second.str())
          << "' goes through the gpreempt runtime";
      else
        R << "launch through a kernel pointer goes through the gpreempt "
             "runtime, which looks the kernel up when it runs";
      return R;
    });
  }
  return !Calls.empty();
}

PreservedAnalyses HostPass::run(Module &M, ModuleAnalysisManager &) {
  auto Kernels = registeredKernels(M);
  bool Changed =
      routeLaunches(M, "cudaLaunchKernel", GP_LAUNCH_ENTRY, Kernels);
  Changed |= routeLaunches(M, "cudaLaunchKernel_ptsz", GP_LAUNCH_ENTRY_PTSZ,
                           Kernels);
  return Changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
}

} // namespace gpreempt
