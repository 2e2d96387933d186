//===- StateCodec.h - SSA values <-> 32-bit save-area words ----*- C++ -*-===//
//
// The save area is an array of 32-bit words (see gpreempt/abi.h), so a value
// that lives across a yield point is stored as ceil(bits / 32) words and
// rebuilt from them on resume. Integers, floating point, pointers and vectors
// of those up to 256 bits are supported; anything else (structs, arrays,
// tokens) makes the kernel unpreemptible, with a remark.
//
//===----------------------------------------------------------------------===//
#ifndef GPREEMPT_STATECODEC_H
#define GPREEMPT_STATECODEC_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/IRBuilder.h"

namespace gpreempt {

/// Words a value of type Ty takes in the save area, or 0 if it cannot be
/// saved.
unsigned stateWordsFor(llvm::Type *Ty, const llvm::DataLayout &DL);

/// Split V into stateWordsFor(V->getType()) i32 values.
llvm::SmallVector<llvm::Value *, 4>
encodeStateWords(llvm::IRBuilder<> &B, llvm::Value *V,
                 const llvm::DataLayout &DL);

/// Rebuild a value of type Ty from the words encodeStateWords produced.
llvm::Value *decodeStateWords(llvm::IRBuilder<> &B,
                              llvm::ArrayRef<llvm::Value *> Words,
                              llvm::Type *Ty, const llvm::DataLayout &DL);

} // namespace gpreempt

#endif
