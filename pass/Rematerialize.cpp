//===- Rematerialize.cpp - prologue values recomputed ------------------===//
//
// Values of gp.prologue used outside the body are computed again where they
// are used, instead of staying in registers across the whole kernel; the
// control parameters are read where they are used, by their PTX names
// (readOwnParams points a copy of the variant at its own).
//
//===----------------------------------------------------------------------===//
#include "Rewriter.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/IntrinsicsNVPTX.h"

#define DEBUG_TYPE "gpreempt"

using namespace llvm;

namespace gpreempt {
namespace rewrite {

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
      auto *Asm =
          InlineAsm::get(FunctionType::get(B.getInt32Ty(), false),
                         (Twine("mov.u32 $0, ") + R.Name + ";").str(), "=r",
                         /*hasSideEffects=*/true);
      return B.CreateCall(Asm, {}, Read.getName());
    }
  return nullptr;
}

/// NVPTX's name for kernel Kernel's parameter N is this prefix, then N.
static std::string paramSymbolPrefix(StringRef Kernel) {
  return (Kernel + "_param_").str();
}

/// A read of control argument A from the kernel's parameter space, where
/// the instruction stands: ptxas takes it from the constant bank, so no
/// register carries A (or what the dispatch computes from it) across the
/// body. Null where the parameter's PTX name is not certain: NVPTX names a
/// kernel's parameters <symbol>_param_<n>, and renames a symbol that has
/// characters other than letters, digits, '_' and '$'.
static Value *readParamInPlace(IRBuilder<> &B, Argument &A) {
  Function &F = *A.getParent();
  if (F.getName().empty() ||
      !all_of(F.getName(),
              [](char C) { return isAlnum(C) || C == '_' || C == '$'; }))
    return nullptr;
  Type *Ty = A.getType();
  uint64_t Bits = F.getDataLayout().getTypeSizeInBits(Ty);
  if ((!Ty->isPointerTy() && !Ty->isIntegerTy()) || (Bits != 32 && Bits != 64))
    return nullptr;
  bool Wide = Bits == 64;
  auto *Asm = InlineAsm::get(
      FunctionType::get(Wide ? B.getInt64Ty() : B.getInt32Ty(), false),
      (Twine(Wide ? "ld.param.b64 $0, [" : "ld.param.b32 $0, [") +
       paramSymbolPrefix(F.getName()) + Twine(A.getArgNo()) + "];")
          .str(),
      Wide ? "=l" : "=r", /*hasSideEffects=*/true);
  Value *V = B.CreateCall(Asm, {}, A.getName() + ".param");
  return Ty->isPointerTy() ? B.CreateIntToPtr(V, Ty, A.getName()) : V;
}

} // namespace rewrite

void readOwnParams(Function &Copy, StringRef Original) {
  std::string From = rewrite::paramSymbolPrefix(Original);
  std::string To = rewrite::paramSymbolPrefix(Copy.getName());
  for (Instruction &I : instructions(Copy)) {
    auto *Call = dyn_cast<CallInst>(&I);
    auto *Asm = Call ? dyn_cast<InlineAsm>(Call->getCalledOperand()) : nullptr;
    if (!Asm)
      continue;
    std::string Text = Asm->getAsmString().str();
    size_t At = Text.find(From);
    if (At == std::string::npos)
      continue;
    Text.replace(At, From.size(), To);
    Call->setCalledOperand(InlineAsm::get(
        Asm->getFunctionType(), Text, Asm->getConstraintString(),
        Asm->hasSideEffects(), Asm->isAlignStack(), Asm->getDialect(),
        Asm->canThrow()));
  }
}

namespace rewrite {

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

  // What the copies and gp.block compute from the control arguments reads
  // them where it stands. An argument is a register from the kernel's
  // entry on: llc would keep it (and hoist what is computed from it) across
  // the body, where those registers cost the kernel's own code its schedule
  // (jacobi2d: the stencil's load of f[] no longer issued before the tile's
  // barrier). Body blocks keep the arguments, as the kernel kept its own.
  DenseMap<std::pair<Argument *, BasicBlock *>, Value *> Reads;
  for (BasicBlock &BB : *G) {
    if (&BB == Prologue || Body.contains(&BB))
      continue;
    for (Instruction &I : BB)
      for (Use &Op : I.operands()) {
        auto *A = dyn_cast<Argument>(Op.get());
        if (!A || !isControlArg(A))
          continue;
        auto *Phi = dyn_cast<PHINode>(&I);
        BasicBlock *At = Phi ? Phi->getIncomingBlock(Op) : &BB;
        if (At == Prologue || Body.contains(At))
          continue;
        Value *&Read = Reads[{A, At}];
        if (!Read) {
          IRBuilder<> B(At, At->getFirstInsertionPt());
          B.SetCurrentDebugLocation(ArtificialLoc);
          Read = readParamInPlace(B, *A);
        }
        if (Read)
          Op.set(Read);
      }
  }
}

} // namespace rewrite
} // namespace gpreempt
