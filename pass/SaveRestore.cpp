//===- SaveRestore.cpp - state to and from the save area ---------------===//
//
// Live values, allocas and shared memory, in abi.h's layout: each thread's
// words strided by the block's thread count, then the block's shared memory.
//
//===----------------------------------------------------------------------===//
#include "Rewriter.h"
#include "StateCodec.h"

#define DEBUG_TYPE "gpreempt"

using namespace llvm;

namespace gpreempt {
namespace rewrite {

Value *Rewriter::wordAddress(IRBuilder<> &B, unsigned Word) {
  if (Word == 0)
    return SaveBase;
  return B.CreateGEP(B.getInt8Ty(), SaveBase,
                     B.CreateMul(Stride, B.getInt64(Word)));
}

void Rewriter::storeValue(IRBuilder<> &B, Value *V, unsigned FirstWord) {
  for (auto [I, W] : enumerate(encodeStateWords(B, V, DL)))
    B.CreateAlignedStore(W, wordAddress(B, FirstWord + I), Align(4));
}

Value *Rewriter::loadValue(IRBuilder<> &B, Type *Ty, unsigned FirstWord,
                           const Twine &Name) {
  SmallVector<Value *, 4> Words;
  for (unsigned I = 0, N = stateWordsFor(Ty, DL); I < N; ++I)
    Words.push_back(B.CreateAlignedLoad(
        B.getInt32Ty(), wordAddress(B, FirstWord + I), Align(4)));
  Value *V = decodeStateWords(B, Words, Ty, DL);
  V->setName(Name);
  return V;
}

void Rewriter::copyAllocas(IRBuilder<> &B, bool ToSaveArea) {
  for (AllocaInst *AI : Plan.Allocas)
    copyAlloca(B, AI, Plan.AllocaFirstWord.lookup(AI), ToSaveArea);
}

/// Whole 32-bit words in a loop (arrays can be large), then the tail bytes
/// one by one into a last word.
void Rewriter::copyAlloca(IRBuilder<> &B, AllocaInst *AI, unsigned FirstWord,
                          bool ToSaveArea) {
  uint64_t Bytes = AI->getAllocationSize(DL)->getFixedValue();
  uint64_t Whole = Bytes / 4;
  Type *I32 = B.getInt32Ty(), *I8 = B.getInt8Ty();
  Align LocalAlign = std::min(AI->getAlign(), Align(4));
  auto CopyWord = [&](IRBuilder<> &C, Value *WordIdx) {
    Value *Local = C.CreateGEP(I8, AI, C.CreateShl(WordIdx, 2));
    Value *Saved = C.CreateGEP(
        I8, SaveBase,
        C.CreateMul(Stride, C.CreateAdd(WordIdx, C.getInt64(FirstWord))));
    if (ToSaveArea)
      C.CreateAlignedStore(C.CreateAlignedLoad(I32, Local, LocalAlign), Saved,
                           Align(4));
    else
      C.CreateAlignedStore(C.CreateAlignedLoad(I32, Saved, Align(4)), Local,
                           LocalAlign);
  };
  if (Whole > 0)
    emitCountedLoop(B, B.getInt64(0), B.getInt64(Whole), B.getInt64(1),
                    "gp.copy.local", CopyWord);
  uint64_t Tail = Bytes % 4;
  if (!Tail)
    return;
  Value *Saved = wordAddress(B, FirstWord + Whole);
  if (ToSaveArea) {
    Value *Word = B.getInt32(0);
    for (uint64_t I = 0; I < Tail; ++I) {
      Value *Byte =
          B.CreateLoad(I8, B.CreateConstGEP1_64(I8, AI, Whole * 4 + I));
      Word = B.CreateOr(Word, B.CreateShl(B.CreateZExt(Byte, I32), 8 * I));
    }
    B.CreateAlignedStore(Word, Saved, Align(4));
  } else {
    Value *Word = B.CreateAlignedLoad(I32, Saved, Align(4));
    for (uint64_t I = 0; I < Tail; ++I)
      B.CreateStore(B.CreateTrunc(B.CreateLShr(Word, 8 * I), I8),
                    B.CreateConstGEP1_64(I8, AI, Whole * 4 + I));
  }
}

/// for (i = Start; i < End; i += Step) Body(i), all i64, placed after the
/// builder's block; the builder continues after the loop.
void Rewriter::emitCountedLoop(
    IRBuilder<> &B, Value *Start, Value *End, Value *Step, const Twine &Name,
    function_ref<void(IRBuilder<> &, Value *)> Body) {
  BasicBlock *Pre = B.GetInsertBlock();
  BasicBlock *Following = Pre->getNextNode();
  BasicBlock *Head = newBlock(Name, Following);
  BasicBlock *Loop = newBlock(Name + ".body", Following);
  CopyLoopPreheader[Head] = CopyLoopPreheader[Loop] = Pre;
  BasicBlock *After = newBlock(Name + ".done", Following);
  B.CreateBr(Head);
  KernelBuilder H(Head, ArtificialLoc);
  PHINode *Idx = H.CreatePHI(H.getInt64Ty(), 2);
  Idx->addIncoming(Start, Pre);
  H.CreateCondBr(H.CreateICmpULT(Idx, End), Loop, After);
  KernelBuilder L(Loop, ArtificialLoc);
  Body(L, Idx);
  Idx->addIncoming(L.CreateAdd(Idx, Step), L.GetInsertBlock());
  L.CreateBr(Head);
  B.SetInsertPoint(After);
}

/// The block's threads split the copy: thread t moves words t, t + threads,
/// ...; bytes past the last whole word (or all of a variable aligned below
/// 4) are moved by thread 0.
void Rewriter::copySharedMemory(IRBuilder<> &B, bool ToSaveArea) {
  Type *I8 = B.getInt8Ty(), *I32 = B.getInt32Ty();
  for (GlobalVariable *GV : SharedVars) {
    uint64_t Bytes = DL.getTypeAllocSize(GV->getValueType());
    uint64_t Whole = GV->getAlign().valueOrOne() >= Align(4) ? Bytes / 4 : 0;
    Value *Region = B.CreateConstGEP1_64(
        I8, SharedSave, uint64_t(SharedFirstWord.lookup(GV)) * 4);
    auto Move = [&](IRBuilder<> &C, Value *Offset, Type *Ty, Align A) {
      Value *Shared = C.CreateGEP(I8, GV, Offset);
      Value *Saved = C.CreateGEP(I8, Region, Offset);
      if (ToSaveArea)
        C.CreateAlignedStore(C.CreateAlignedLoad(Ty, Shared, A), Saved, A);
      else
        C.CreateAlignedStore(C.CreateAlignedLoad(Ty, Saved, A), Shared, A);
    };
    if (Whole)
      emitCountedLoop(B, Thread64, B.getInt64(Whole), Threads64,
                      "gp.copy.shared", [&](IRBuilder<> &C, Value *I) {
                        Move(C, C.CreateShl(I, 2), I32, Align(4));
                      });
    if (Whole * 4 == Bytes)
      continue;
    // Thread 0 takes the rest: the others start past the end.
    Value *Start =
        B.CreateSelect(IsLeader, B.getInt64(Whole * 4), B.getInt64(Bytes));
    emitCountedLoop(
        B, Start, B.getInt64(Bytes), B.getInt64(1), "gp.copy.shared.bytes",
        [&](IRBuilder<> &C, Value *I) { Move(C, I, I8, Align(1)); });
  }
  if (!DynamicShared)
    return;
  // Dynamic shared memory is at least 16-byte aligned: whole words.
  Value *Region =
      B.CreateConstGEP1_64(I8, SharedSave, uint64_t(SharedWords) * 4);
  emitCountedLoop(
      B, Thread64, DynamicWords, Threads64, "gp.copy.dynamic",
      [&](IRBuilder<> &C, Value *I) {
        Value *Offset = C.CreateShl(I, 2);
        Value *Shared = C.CreateGEP(I8, DynamicShared, Offset);
        Value *Saved = C.CreateGEP(I8, Region, Offset);
        if (ToSaveArea)
          C.CreateAlignedStore(C.CreateAlignedLoad(I32, Shared, Align(4)),
                               Saved, Align(4));
        else
          C.CreateAlignedStore(C.CreateAlignedLoad(I32, Saved, Align(4)),
                               Shared, Align(4));
      });
}

} // namespace rewrite
} // namespace gpreempt
