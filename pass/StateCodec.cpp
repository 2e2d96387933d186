//===- StateCodec.cpp - SSA values <-> 32-bit save-area words -------------===//
#include "StateCodec.h"

#include "llvm/IR/DataLayout.h"
#include "llvm/IR/DerivedTypes.h"

using namespace llvm;

namespace gpreempt {

// Wider values are possible but no kernel we have seen keeps one live across
// a loop back-edge; refusing keeps the codec small.
static constexpr unsigned MaxValueBits = 256;

static bool isScalarSaveable(Type *Ty) {
  return Ty->isIntegerTy() || Ty->isFloatingPointTy() || Ty->isPointerTy();
}

unsigned stateWordsFor(Type *Ty, const DataLayout &DL) {
  bool Ok = isScalarSaveable(Ty);
  if (auto *VT = dyn_cast<FixedVectorType>(Ty))
    Ok = isScalarSaveable(VT->getElementType());
  if (!Ok)
    return 0;
  uint64_t Bits = DL.getTypeSizeInBits(Ty).getFixedValue();
  if (Bits == 0 || Bits > MaxValueBits)
    return 0;
  return static_cast<unsigned>((Bits + 31) / 32);
}

/// The same bits as an integer of exactly the type's size.
static Value *asInteger(IRBuilder<> &B, Value *V, const DataLayout &DL) {
  Type *Ty = V->getType();
  unsigned Bits = DL.getTypeSizeInBits(Ty).getFixedValue();
  Type *IntTy = B.getIntNTy(Bits);
  if (Ty->isIntegerTy())
    return V;
  if (Ty->isPtrOrPtrVectorTy()) {
    Type *PtrIntTy = DL.getIntPtrType(Ty);
    V = B.CreatePtrToInt(V, PtrIntTy);
    if (V->getType() == IntTy)
      return V;
  }
  return B.CreateBitCast(V, IntTy);
}

static Value *fromInteger(IRBuilder<> &B, Value *I, Type *Ty,
                          const DataLayout &DL) {
  if (Ty->isIntegerTy())
    return I;
  if (Ty->isPtrOrPtrVectorTy()) {
    Type *PtrIntTy = DL.getIntPtrType(Ty);
    if (PtrIntTy != I->getType())
      I = B.CreateBitCast(I, PtrIntTy);
    return B.CreateIntToPtr(I, Ty);
  }
  return B.CreateBitCast(I, Ty);
}

SmallVector<Value *, 4> encodeStateWords(IRBuilder<> &B, Value *V,
                                         const DataLayout &DL) {
  unsigned Words = stateWordsFor(V->getType(), DL);
  assert(Words && "caller checked stateWordsFor");
  Value *I = asInteger(B, V, DL);
  Type *Wide = B.getIntNTy(Words * 32);
  if (I->getType() != Wide)
    I = B.CreateZExt(I, Wide);
  SmallVector<Value *, 4> Out;
  for (unsigned W = 0; W < Words; ++W) {
    Value *Part = W ? B.CreateLShr(I, W * 32) : I;
    Out.push_back(B.CreateTrunc(Part, B.getInt32Ty()));
  }
  return Out;
}

Value *decodeStateWords(IRBuilder<> &B, ArrayRef<Value *> Words, Type *Ty,
                        const DataLayout &DL) {
  unsigned Bits = DL.getTypeSizeInBits(Ty).getFixedValue();
  Type *Wide = B.getIntNTy(Words.size() * 32);
  Value *I = nullptr;
  for (unsigned W = 0; W < Words.size(); ++W) {
    Value *Part = B.CreateZExt(Words[W], Wide);
    if (W)
      Part = B.CreateShl(Part, W * 32);
    I = I ? B.CreateOr(I, Part) : Part;
  }
  if (Bits != Words.size() * 32)
    I = B.CreateTrunc(I, B.getIntNTy(Bits));
  return fromInteger(B, I, Ty, DL);
}

} // namespace gpreempt
