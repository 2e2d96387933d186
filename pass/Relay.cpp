//===- Relay.cpp - the relay block: a raise read from host memory ------===//
//
// abi.h (GP_SAVE_RELAY): a launch's last physical block may be its relay.
// The host stores raise n to a word of mapped host memory before the GPU's
// own queues bring n to the flag's copies; on the H100 a thread reading
// that word brought a raise to a GPU full of polling blocks in 9-10 us at
// the median and 12 at p99, against 13-15 and 21-30 through the queues
// (docs/results.md, session 25). One reader per launch: 1056 readers, one
// per block, took a millisecond.
//
//   gp.relay        all threads: warp 0 relays, the rest go to gp.exit
//   gp.relay.setup  the raise word's address (0: none, leave)
//   gp.relay.look   read the raise word and the arrivals; every other block
//                   arrived -> leave; a raise not seen before -> write
//   gp.relay.write  lane l: copies l, l + lanes, ... by compare-and-swap
//                   while |copy| < n (a late write never undoes a lowering)
//   gp.relay.wrote  some copy holds a raise -> leave, else look again
//
// Leaving is gp.exit with no logical blocks done: the relay is one of the
// instance's arrivals, so the instance has left only once it has.
//
//===----------------------------------------------------------------------===//
#include "Rewriter.h"
#include "gpreempt/abi.h"

#include "llvm/IR/IntrinsicsNVPTX.h"

using namespace llvm;

namespace gpreempt {
namespace rewrite {

void Rewriter::buildRelay(BasicBlock *Relay, BasicBlock *Exit,
                          BasicBlock *Return) {
  Type *I32 = Type::getInt32Ty(Ctx), *I64 = Type::getInt64Ty(Ctx);
  SyncScope::ID Device = Ctx.getOrInsertSyncScopeID("device");
  BasicBlock *Setup = newBlock("gp.relay.setup", Return);
  BasicBlock *Look = newBlock("gp.relay.look", Return);
  BasicBlock *Test = newBlock("gp.relay.test", Return);
  BasicBlock *Write = newBlock("gp.relay.write", Return);
  BasicBlock *CopyCas = newBlock("gp.relay.cas", Return);
  BasicBlock *CopyDone = newBlock("gp.relay.copy.done", Return);
  BasicBlock *Wrote = newBlock("gp.relay.wrote", Return);

  KernelBuilder R = at(Relay);
  R.CreateCondBr(R.CreateICmpULT(Thread64, R.getInt64(32), "gp.relay.lane"),
                 Setup, Exit);

  KernelBuilder S = at(Setup);
  Value *Copies = S.CreateAddrSpaceCast(
      FlagArg, PointerType::get(Ctx, GlobalAS), "gp.relay.copies");
  Value *WordAt = S.CreateAlignedLoad(
      I64, S.CreateConstGEP1_32(S.getInt8Ty(), Copies, GP_FLAG_RELAY_OFFSET),
      Align(8), "gp.raise.word");
  // Mapped host memory: a generic address.
  Value *RaiseWord =
      S.CreateIntToPtr(WordAt, S.getPtrTy(), "gp.raise.word.ptr");
  Value *Lane = S.CreateTrunc(Thread64, I32, "gp.relay.lane.id");
  // Warp 0's lanes that exist (from the prologue's count: a fresh read of
  // the special registers here would be one more thing to keep in place).
  Value *Lanes = S.CreateSelect(
      S.CreateICmpUGE(Threads64, S.getInt64(32)), S.getInt32(~0u),
      S.CreateSub(S.CreateShl(S.getInt32(1), S.CreateTrunc(Threads64, I32)),
                  S.getInt32(1)),
      "gp.relay.lanes");
  Value *Step = S.CreateTrunc(
      S.CreateBinaryIntrinsic(Intrinsic::umin, Threads64, S.getInt64(32)), I32,
      "gp.relay.step");
  Value *ProgressAt = S.CreateConstGEP1_32(S.getInt8Ty(), Ctl, 8);
  S.CreateCondBr(S.CreateICmpNE(WordAt, S.getInt64(0), "gp.relay.has.word"),
                 Look, Exit);

  // Every lane loads both words (one transaction each); lane 0's values
  // decide, so the warp stays together.
  KernelBuilder L = at(Look);
  PHINode *Seen = L.CreatePHI(I32, 3, "gp.relay.seen");
  Seen->addIncoming(L.getInt32(0), Setup);
  Value *Loaded = L.CreateLoad(I32, RaiseWord, /*isVolatile=*/true,
                               "gp.raise.loaded");
  Value *Progress =
      L.CreateLoad(I64, ProgressAt, /*isVolatile=*/true, "gp.relay.progress");
  Function *Shfl = Intrinsic::getOrInsertDeclaration(
      &M, Intrinsic::nvvm_shfl_sync_idx_i32);
  Value *Raise = L.CreateCall(
      Shfl, {Lanes, Loaded, L.getInt32(0), L.getInt32(31)}, "gp.raise");
  Value *Arrived = L.CreateZExt(
      L.CreateICmpUGE(
          L.CreateLShr(Progress, L.getInt64(GP_PROGRESS_ARRIVAL_SHIFT)),
          Workers64),
      I32);
  Value *AllArrived = L.CreateICmpNE(
      L.CreateCall(Shfl, {Lanes, Arrived, L.getInt32(0), L.getInt32(31)}),
      L.getInt32(0), "gp.relay.all.arrived");
  L.CreateCondBr(AllArrived, Exit, Test);

  KernelBuilder T = at(Test);
  Value *Fresh = T.CreateAnd(T.CreateICmpSGT(Raise, T.getInt32(0)),
                             T.CreateICmpNE(Raise, Seen), "gp.relay.fresh");
  T.CreateCondBr(Fresh, Write, Look);
  Seen->addIncoming(Seen, Test);

  // gp.relay.write: copy c = lane, lane + step, ... below GP_FLAG_COPIES.
  KernelBuilder W = at(Write);
  PHINode *C = W.CreatePHI(I32, 2, "gp.relay.copy");
  PHINode *Any = W.CreatePHI(W.getInt1Ty(), 2, "gp.relay.raised");
  C->addIncoming(Lane, Test);
  Any->addIncoming(W.getFalse(), Test);
  Value *CopyAt = W.CreateGEP(
      W.getInt8Ty(), Copies,
      W.CreateMul(W.CreateZExt(C, I64), W.getInt64(GP_FLAG_STRIDE)),
      "gp.relay.copy.at");
  Value *First =
      W.CreateLoad(I32, CopyAt, /*isVolatile=*/true, "gp.relay.copy.value");
  BasicBlock *CasTest = newBlock("gp.relay.cas.test", CopyCas);
  W.CreateBr(CasTest);

  // |copy| < n: neither this raise nor a later one, nor their lowering.
  KernelBuilder CT = at(CasTest);
  PHINode *Old = CT.CreatePHI(I32, 2, "gp.relay.old");
  Old->addIncoming(First, Write);
  Value *Below = CT.CreateAnd(CT.CreateICmpSLT(Old, Raise),
                              CT.CreateICmpSGT(Old, CT.CreateNeg(Raise)),
                              "gp.relay.below");
  CT.CreateCondBr(Below, CopyCas, CopyDone);

  KernelBuilder X = at(CopyCas);
  AtomicCmpXchgInst *Cas = X.CreateAtomicCmpXchg(
      CopyAt, Old, Raise, MaybeAlign(4), AtomicOrdering::Monotonic,
      AtomicOrdering::Monotonic, Device);
  Value *Prev = X.CreateExtractValue(Cas, 0, "gp.relay.prev");
  Value *Swapped = X.CreateExtractValue(Cas, 1, "gp.relay.swapped");
  X.CreateCondBr(Swapped, CopyDone, CasTest);
  Old->addIncoming(Prev, CopyCas);

  KernelBuilder D = at(CopyDone);
  PHINode *Now = D.CreatePHI(I32, 2, "gp.relay.now");
  Now->addIncoming(Old, CasTest);
  Now->addIncoming(Raise, CopyCas);
  Value *AnyNext =
      D.CreateOr(Any, D.CreateICmpSGT(Now, D.getInt32(0)), "gp.relay.up");
  Value *Next = D.CreateAdd(C, Step, "gp.relay.copy.next");
  D.CreateCondBr(D.CreateICmpULT(Next, D.getInt32(GP_FLAG_COPIES)), Write,
                 Wrote);
  C->addIncoming(Next, CopyDone);
  Any->addIncoming(AnyNext, CopyDone);

  // A copy up (this raise, or one the queues brought): the blocks will see
  // it, the relay's work is done. All copies at -n: raise n was lowered
  // before it got here; wait for the next.
  KernelBuilder V = at(Wrote);
  Value *Up = V.CreateCall(
      Intrinsic::getOrInsertDeclaration(&M, Intrinsic::nvvm_vote_any_sync),
      {Lanes, AnyNext}, "gp.relay.done");
  V.CreateCondBr(Up, Exit, Look);
  Seen->addIncoming(Raise, Wrote);
}

} // namespace rewrite
} // namespace gpreempt
