//===- Dispatch.cpp - the loop over logical blocks ---------------------===//
//
// gp.first, gp.next, gp.take, gp.block, gp.tail, gp.done, gp.leave and
// gp.exit of K__gp (ResumableKernel.cpp draws the whole shape).
//
//===----------------------------------------------------------------------===//
#include "Rewriter.h"
#include "gpreempt/abi.h"

#include "llvm/IR/IntrinsicsNVPTX.h"

#include <cstddef>

#define DEBUG_TYPE "gpreempt"

using namespace llvm;

namespace gpreempt {
namespace rewrite {

/// The flag copy this physical block reads, as gp.first left it in shared
/// memory: for checks made every N-th back-edge. Not a register held across
/// the loop (with the rest of the dispatch out of registers, ptxas then
/// scheduled nbody's inner loop 70 % slower than plain), nor the address
/// computed again at each check (a special register, a parameter and three
/// instructions, issued predicated in every iteration where ptxas
/// if-converts the check: tiled_rows_dynamic 14 % slower than plain, 3 %
/// with this load). H100, docs/results.md, session 8.
///
/// gp.first sets the word only in kernels that have such a check: the
/// first call puts the store there.
Value *Rewriter::sharedFlagAddress(IRBuilder<> &B) {
  GlobalVariable *FlagWord = sharedWord("__gp_shared_flag");
  if (FlagPublishAfter) {
    KernelBuilder P(FlagPublishAfter->getNextNode(), ArtificialLoc);
    P.CreateStore(P.CreatePtrToInt(Flag, P.getInt64Ty()), FlagWord);
    FlagPublishAfter = nullptr;
  }
  Value *Word = B.CreateLoad(B.getInt64Ty(), FlagWord, "gp.flag.address");
  return B.CreateIntToPtr(Word, Flag->getType(), "gp.flag.g");
}

/// abi.h: a copy of the flag holds raise n as n, its lowering as -n.
Value *Rewriter::flagRaised(IRBuilder<> &B, Value *FlagAt, const Twine &Name) {
  Value *Loaded =
      B.CreateLoad(B.getInt32Ty(), FlagAt, /*isVolatile=*/true, "gp.flag");
  return B.CreateICmpSGT(Loaded, B.getInt32(0), Name);
}

// The control block's words, at the offsets the code below uses.
static_assert(offsetof(gp_launch_ctl, progress) == 8 &&
                  offsetof(gp_launch_ctl, complete) == 16 &&
                  offsetof(gp_launch_ctl, instances) == 20 &&
                  offsetof(gp_launch_ctl, left_word) == 24 &&
                  offsetof(gp_launch_ctl, left_value) == 32,
              "abi.h: struct gp_launch_ctl");

/// gp.first's word for "this relaunch's grid had completed: leave" (slot
/// values are logical blocks + 1, below 2^40).
static constexpr uint64_t GridComplete = ~uint64_t(0);

void Rewriter::buildDispatch() {
  Type *I64 = Type::getInt64Ty(Ctx);
  GlobalVariable *SlotWord = sharedWord("__gp_shared_slot");
  GlobalVariable *TicketWord = sharedWord("__gp_shared_ticket");
  GlobalVariable *LogicalWord = sharedWord("__gp_shared_logical");
  GlobalVariable *DoneWord = sharedWord("__gp_shared_done");
  GlobalVariable *OneWaveWord = sharedWord("__gp_shared_one_wave");
  Function *Barrier = Intrinsic::getOrInsertDeclaration(
      &M, Intrinsic::nvvm_barrier_cta_sync_all);
  Function *BarrierOr = Intrinsic::getOrInsertDeclaration(
      &M, Intrinsic::nvvm_barrier_cta_red_or_all);
  SyncScope::ID Device = Ctx.getOrInsertSyncScopeID("device");
  // The non-aligned barrier forms: threads reach these from divergent paths.
  Value *Zero32 = ConstantInt::get(Type::getInt32Ty(Ctx), 0);

  BasicBlock *First = newBlock("gp.first", BlockStart);
  BasicBlock *FirstLead = newBlock("gp.first.leader", BlockStart);
  BasicBlock *FirstSlot = newBlock("gp.first.slot", BlockStart);
  BasicBlock *FirstPublish = newBlock("gp.first.publish", BlockStart);
  BasicBlock *FirstSync = newBlock("gp.first.sync", BlockStart);
  BasicBlock *NextBlock = newBlock("gp.next", BlockStart);
  BasicBlock *FirstResume = newBlock("gp.next.resume", BlockStart);
  BasicBlock *Take = newBlock("gp.take", BlockStart);
  BasicBlock *TakeLead = newBlock("gp.take.leader", BlockStart);
  BasicBlock *TakeTicket = newBlock("gp.take.ticket", BlockStart);
  BasicBlock *TakePublish = newBlock("gp.take.publish", BlockStart);
  BasicBlock *TakeSync = newBlock("gp.take.sync", BlockStart);
  ResumeDispatch = newBlock("gp.resume");
  BasicBlock *RestoreLocal = newBlock("gp.resume.local");
  BlockTail = newBlock("gp.tail");
  BasicBlock *Done = newBlock("gp.done");
  BasicBlock *DoneCount = newBlock("gp.done.count");
  BasicBlock *DoneNext = newBlock("gp.done.next");
  BasicBlock *Leave = newBlock("gp.leave");
  BasicBlock *LeaveDone = newBlock("gp.leave.finished");
  BasicBlock *LeaveSlot = newBlock("gp.leave.leader");
  BasicBlock *LeaveSlotStore = newBlock("gp.leave.slot");
  BasicBlock *Exit = newBlock("gp.exit");
  BasicBlock *ExitCount = newBlock("gp.exit.count");
  BasicBlock *Return = newBlock("gp.return");
  Trap = newBlock("gp.trap");

  Prologue->getTerminator()->setSuccessor(0, First);
  Logical->removeIncomingValue(Prologue, /*DeletePHIIfEmpty=*/false);
  Resuming->removeIncomingValue(Prologue, /*DeletePHIIfEmpty=*/false);

  // gp.first: a relaunch (bit 0 of `save`, abi.h) finds in its slot the
  // block this physical block left half done; the first instance has none
  // (a new or clean control block has the slot 0) and does not read it. A
  // relaunch of a grid that completed in the instance before it finds
  // complete == epoch: the control block is clean again, maybe reused
  // soon, and its tickets start at 0, so it leaves (GridComplete).
  BasicBlock *FirstSlotRead = newBlock("gp.first.slot.read", BlockStart);
  at(First).CreateCondBr(IsLeader, FirstLead, FirstSync);
  {
    at(FirstLead).CreateCondBr(IsRelaunch, FirstSlot, FirstPublish);
    KernelBuilder C = at(FirstSlot);
    Value *Completed = C.CreateAlignedLoad(
        C.getInt32Ty(),
        C.CreateConstGEP1_32(C.getInt8Ty(), Ctl, 16, "gp.complete.word"),
        Align(4), /*isVolatile=*/true, "gp.completed");
    C.CreateCondBr(C.CreateICmpEQ(Completed, EpochArg, "gp.grid.was.complete"),
                   FirstPublish, FirstSlotRead);
    KernelBuilder S = at(FirstSlotRead);
    Value *Saved = S.CreateLoad(I64, Slot, "gp.slot.value");
    S.CreateStore(S.getInt64(0), Slot);
    S.CreateBr(FirstPublish);
    KernelBuilder P = at(FirstPublish);
    PHINode *Pub = P.CreatePHI(I64, 3);
    Pub->addIncoming(Saved, FirstSlotRead);
    Pub->addIncoming(P.getInt64(0), FirstLead);
    Pub->addIncoming(P.getInt64(GridComplete), FirstSlot);
    P.CreateStore(Pub, SlotWord);
    FlagPublishAfter = P.CreateStore(P.getInt64(0), DoneWord);
    resetConvergeWords(P, /*PhysicalBlockStarts=*/true);
    // Decided once, kept in shared memory: held in a register across the
    // body it cost sgemm_tiled a register, and a quarter of its occupancy.
    P.CreateStore(P.CreateZExt(P.CreateICmpULE(Total, Workers64), I64),
                  OneWaveWord);
    P.CreateBr(FirstSync);
  }
  {
    KernelBuilder B = at(FirstSync);
    B.CreateCall(Barrier, {Zero32});
    Value *S = B.CreateLoad(I64, SlotWord, "gp.slot.shared");
    BasicBlock *Work = newBlock("gp.first.work", NextBlock);
    BasicBlock *Relay = newBlock("gp.relay", NextBlock);
    B.CreateCondBr(B.CreateICmpEQ(S, B.getInt64(GridComplete), "gp.stale"),
                   Return, Work);
    // The relay block's slot is always 0: it never takes a logical block.
    at(Work).CreateCondBr(IsRelayBlock, Relay, NextBlock);
    buildRelay(Relay, Exit, Return);
    // gp.next heads the loop over logical blocks, its only entry, so the
    // kernel's control flow stays reducible: the half-done block first,
    // if any (only on the first trip), then tickets.
    KernelBuilder N = at(NextBlock);
    Pending = N.CreatePHI(I64, 4, "gp.pending");
    Pending->addIncoming(S, Work);
    N.CreateCondBr(N.CreateICmpNE(Pending, N.getInt64(0)), FirstResume, Take);
    KernelBuilder R = at(FirstResume);
    if (Options.ParkTickets) {
      // A parked ticket (gp.take.park) starts from the beginning.
      Value *Parked = R.CreateICmpNE(
          R.CreateAnd(Pending, R.getInt64(SlotNotStarted)), R.getInt64(0),
          "gp.parked");
      Value *Block = R.CreateAnd(Pending, R.getInt64(~SlotNotStarted));
      Logical->addIncoming(R.CreateSub(Block, R.getInt64(1)), FirstResume);
      Resuming->addIncoming(R.CreateNot(Parked, "gp.half.done"), FirstResume);
    } else {
      Logical->addIncoming(R.CreateSub(Pending, R.getInt64(1)), FirstResume);
      Resuming->addIncoming(R.getTrue(), FirstResume);
    }
    R.CreateBr(BlockStart);
  }

  // gp.take: one ticket per logical block, none started once preemption is
  // raised.
  at(Take).CreateCondBr(IsLeader, TakeLead, TakeSync);
  {
    auto TakeTicketAt = [&](IRBuilder<> &At) {
      return At.CreateAtomicRMW(AtomicRMWInst::Add, Ctl, At.getInt64(1),
                                Align(8), AtomicOrdering::Monotonic, Device);
    };
    KernelBuilder B = at(TakeLead);
    Value *Raised = flagRaised(B, Flag, "gp.take.raised");
    std::pair<Value *, BasicBlock *> Published[2];
    if (Options.ParkTickets) {
      // The atomic beside the flag load instead of after it (where it waits
      // for the load): both round trips at once. A ticket taken with the
      // flag up goes to the slot, not started (the instance is then
      // incomplete, and its relaunch starts it).
      BasicBlock *TakeAt = B.GetInsertBlock();
      Value *Ticket;
      if (Options.DirectFirstWave) {
        // The first instance's first trip (nothing counted done yet) takes
        // logical block p without the atomic; tickets count from P.
        BasicBlock *Direct = newBlock("gp.take.direct", TakePublish);
        BasicBlock *Counted = newBlock("gp.take.counted", TakePublish);
        BasicBlock *Join = newBlock("gp.take.join", TakePublish);
        Value *First = B.CreateAnd(
            B.CreateNot(IsRelaunch),
            B.CreateICmpEQ(B.CreateLoad(I64, DoneWord, "gp.done.before"),
                           B.getInt64(0)),
            "gp.first.trip");
        B.CreateCondBr(First, Direct, Counted);
        at(Direct).CreateBr(Join);
        KernelBuilder C = at(Counted);
        Value *FromCounter =
            C.CreateAdd(TakeTicketAt(C), Workers64, "gp.ticket.later");
        C.CreateBr(Join);
        B.SetInsertPoint(Join);
        PHINode *T = B.CreatePHI(I64, 2, "gp.ticket.taken");
        T->addIncoming(PhysBlock64, Direct);
        T->addIncoming(FromCounter, Counted);
        Ticket = T;
        TakeAt = Join;
      } else {
        Ticket = TakeTicketAt(B);
      }
      Value *InGrid = B.CreateICmpULT(Ticket, Total, "gp.ticket.in.grid");
      Value *Next = B.CreateSelect(InGrid, Ticket, B.getInt64(NoBlock));
      BasicBlock *Park = newBlock("gp.take.park", TakePublish);
      B.CreateCondBr(B.CreateAnd(InGrid, Raised), Park, TakePublish);
      KernelBuilder K = at(Park);
      K.CreateStore(K.CreateOr(K.CreateAdd(Ticket, K.getInt64(1)),
                               K.getInt64(SlotNotStarted)),
                    Slot);
      K.CreateBr(TakePublish);
      Published[0] = {B.getInt64(NoBlock), Park};
      Published[1] = {Next, TakeAt};
      TakeTicket->eraseFromParent();
    } else {
      B.CreateCondBr(Raised, TakePublish, TakeTicket);
      KernelBuilder T = at(TakeTicket);
      Value *Ticket = TakeTicketAt(T);
      Value *Next = T.CreateSelect(T.CreateICmpULT(Ticket, Total), Ticket,
                                   T.getInt64(NoBlock));
      T.CreateBr(TakePublish);
      Published[0] = {B.getInt64(NoBlock), TakeLead};
      Published[1] = {Next, TakeTicket};
    }
    KernelBuilder P = at(TakePublish);
    PHINode *Pub = P.CreatePHI(I64, 2);
    for (auto [V, From] : Published)
      Pub->addIncoming(V, From);
    P.CreateStore(Pub, TicketWord);
    resetConvergeWords(P, /*PhysicalBlockStarts=*/false);
    P.CreateBr(TakeSync);
  }
  {
    KernelBuilder B = at(TakeSync);
    B.CreateCall(Barrier, {Zero32});
    Value *N = B.CreateLoad(I64, TicketWord, "gp.ticket");
    B.CreateCondBr(B.CreateICmpEQ(N, B.getInt64(NoBlock)), Exit, BlockStart);
    Logical->addIncoming(N, TakeSync);
    Resuming->addIncoming(B.getFalse(), TakeSync);
  }

  // gp.block already branches to the body; resumed blocks go to gp.resume.
  // Thread 0 keeps the logical block in shared memory for gp.leave: a
  // register holding it across the body would cost two in every thread.
  {
    Instruction *T = BlockStart->getTerminator();
    BasicBlock *Publish = newBlock("gp.block.leader", BodyEntry);
    BasicBlock *Go = newBlock("gp.block.go", BodyEntry);
    KernelBuilder B(T, ArtificialLoc);
    B.CreateCondBr(IsLeader, Publish, Go);
    T->eraseFromParent();
    KernelBuilder P = at(Publish);
    P.CreateStore(Logical, LogicalWord);
    P.CreateBr(Go);
    at(Go).CreateCondBr(Resuming, ResumeDispatch, BodyEntry);
  }

  // gp.tail: the block-wide vote.
  {
    KernelBuilder B = at(BlockTail);
    MyYield = B.CreatePHI(B.getInt1Ty(), 4, "gp.yielded");
    Value *Any = B.CreateCall(BarrierOr, {Zero32, MyYield}, "gp.any.yielded");
    B.CreateCondBr(Any, Leave, Done);
  }
  // Thread 0 counts the logical blocks this physical block finished in
  // shared memory; gp.exit adds them to blocks_done once. Counting each
  // one there (a device-scope fence and atomic per logical block, with the
  // block waiting at gp.take's barrier) cost microseconds per block.
  // A grid no larger than the physical one has no ticket left for a block
  // that finished one: every physical block takes a ticket on its first
  // trip unless it has a slot, and a slot holds a ticket taken earlier.
  // So it leaves without gp.take's flag read, atomic and barrier (a
  // one-block kernel spent about 5 us in the dispatch's chain of global
  // accesses; Nsight Compute on the H100, reduce_final 2.9 -> 8.0 us).
  at(Done).CreateCondBr(IsLeader, DoneCount, DoneNext);
  {
    KernelBuilder B = at(DoneCount);
    Value *N = B.CreateLoad(I64, DoneWord, "gp.done.n");
    B.CreateStore(B.CreateAdd(N, B.getInt64(1)), DoneWord);
    B.CreateBr(DoneNext);
    KernelBuilder D = at(DoneNext);
    Value *OneWave = D.CreateLoad(I64, OneWaveWord, "gp.one.wave");
    D.CreateCondBr(D.CreateICmpNE(OneWave, D.getInt64(0)), Exit, NextBlock);
    Pending->addIncoming(D.getInt64(0), DoneNext);
  }
  // gp.leave: finished threads mark themselves done; thread 0 records the
  // logical block in this physical block's slot.
  at(Leave).CreateCondBr(MyYield, LeaveSlot, LeaveDone);
  {
    KernelBuilder B = at(LeaveDone);
    B.CreateAlignedStore(B.getInt32(GP_RESUME_DONE), SaveBase, Align(4));
    B.CreateBr(LeaveSlot);
    at(LeaveSlot).CreateCondBr(IsLeader, LeaveSlotStore, Exit);
    KernelBuilder S = at(LeaveSlotStore);
    Value *Current = S.CreateLoad(I64, LogicalWord, "gp.logical.shared");
    S.CreateStore(S.CreateAdd(Current, S.getInt64(1)), Slot);
    S.CreateBr(Exit);
  }
  // gp.exit: every thread has passed a barrier after its last write of
  // the logical blocks counted (gp.take's or gp.tail's), so thread 0's
  // device-scope release covers them. Thread 0 adds them to `progress`
  // with its arrival (abi.h). The last of the instance's blocks to arrive:
  // if the grid is complete, it leaves the control block clean for the
  // next launch that takes it (no memset: 1.1-1.4 us a launch on the H100)
  // and publishes `complete` = epoch at system scope, which the user's
  // stream waits for (cuStreamWaitValue32) before running later work; else
  // it takes the instance's arrivals back out, for the next instance.
  // Either way it counts the instance in `instances` and, where the runtime
  // gave the control block a left word, tells the host with one store to
  // it: the host then records no event per launch (abi.h).
  at(Exit).CreateCondBr(IsLeader, ExitCount, Return);
  {
    KernelBuilder B = at(ExitCount);
    Value *N = B.CreateLoad(I64, DoneWord, "gp.done.total");
    BasicBlock *Last = newBlock("gp.exit.last", Return);
    BasicBlock *Clean = newBlock("gp.exit.clean", Return);
    BasicBlock *Rearm = newBlock("gp.exit.rearm", Return);
    BasicBlock *Tell = newBlock("gp.exit.tell", Return);
    BasicBlock *TellStore = newBlock("gp.exit.tell.store", Return);
    // The control block's words, made where first needed (B's block).
    Value *InstancesWord = nullptr, *LeftWordAt = nullptr,
          *ProgressWord = nullptr;
    auto Word = [&](Value *&Address, unsigned Offset, const char *Name) {
      if (!Address)
        Address = B.CreateConstGEP1_32(B.getInt8Ty(), Ctl, Offset, Name);
      return Address;
    };
    auto InstancesAt = [&] {
      return Word(InstancesWord, 20, "gp.instances.word");
    };
    auto LeftAt = [&] { return Word(LeftWordAt, 24, "gp.left.word.at"); };
    auto ProgressAt = [&] {
      return Word(ProgressWord, 8, "gp.progress.word");
    };
    const uint64_t Arrival = uint64_t(1) << GP_PROGRESS_ARRIVAL_SHIFT;
    // -gpreempt-lone-block-exit: a grid of one physical block is its own
    // last arrival. It needs neither the device-scope release nor the
    // atomic (its later system fence orders its threads' writes, after the
    // barrier they all passed): one round trip less at a one-block
    // kernel's tail. No other block adds arrivals to its `progress`.
    BasicBlock *Lone = nullptr;
    Value *LoneDone = nullptr, *LoneInstances = nullptr, *LoneLeft = nullptr;
    if (Options.LoneBlockExit) {
      InstancesAt();
      LeftAt();
      ProgressAt();
      Lone = newBlock("gp.exit.lone", Return);
      BasicBlock *Shared = newBlock("gp.exit.shared", Return);
      B.CreateCondBr(
          B.CreateICmpEQ(PhysBlocks64, B.getInt64(1), "gp.lone.block"), Lone,
          Shared);
      KernelBuilder O = at(Lone);
      LoneInstances =
          O.CreateLoad(O.getInt32Ty(), InstancesWord, "gp.instances.lone");
      LoneLeft = O.CreateLoad(I64, LeftWordAt, "gp.left.word.lone");
      Value *Before = O.CreateLoad(I64, ProgressWord, "gp.progress.lone");
      LoneDone = O.CreateAdd(Before, N, "gp.blocks.done.lone");
      O.CreateBr(Last);
      B.SetInsertPoint(Shared);
    }
    B.CreateFence(AtomicOrdering::Release, Device);
    // What only the last arrival needs, loaded by every arriving block
    // beside its atomic rather than after it: two loads in flight with the
    // atomic instead of a round trip more at the grid's tail. Both words
    // change only between instances (the last arrival writes `instances`
    // once every block has arrived; the runtime sets `left_word` before a
    // launch), so an early look sees the same values.
    Value *InstancesBefore =
        B.CreateLoad(B.getInt32Ty(), InstancesAt(), "gp.instances.before");
    Value *LeftWord = B.CreateLoad(I64, LeftAt(), "gp.left.word");
    // Relaxed, with its release the fence above and its acquire a fence on
    // the last arrival's path only: LLVM 22's NVPTX backend emits every
    // atomicrmw as a relaxed `atom` whatever its ordering, so an acq_rel
    // one would silently lose its acquire there.
    Value *Progress = ProgressAt();
    Value *Before = B.CreateAtomicRMW(
        AtomicRMWInst::Add, Progress,
        B.CreateAdd(N, B.getInt64(Arrival), "gp.progress.add"), Align(8),
        AtomicOrdering::Monotonic, Device);
    Before->setName("gp.progress");
    Value *Arrived = B.CreateAdd(
        B.CreateLShr(Before, B.getInt64(GP_PROGRESS_ARRIVAL_SHIFT)),
        B.getInt64(1), "gp.arrived");
    Value *Done = B.CreateAdd(B.CreateAnd(Before, B.getInt64(Arrival - 1)), N,
                              "gp.blocks.done");
    B.CreateCondBr(B.CreateICmpEQ(Arrived, PhysBlocks64, "gp.last.arrival"),
                   Last, Return);
    KernelBuilder L = at(Last);
    if (Lone) {
      BasicBlock *Arriving = B.GetInsertBlock();
      auto Join = [&](Value *Shared, Value *Alone, const char *Name) {
        PHINode *Phi = L.CreatePHI(Shared->getType(), 2, Name);
        Phi->addIncoming(Shared, Arriving);
        Phi->addIncoming(Alone, Lone);
        return Phi;
      };
      Done = Join(Done, LoneDone, "gp.blocks.done.last");
      InstancesBefore = Join(InstancesBefore, LoneInstances,
                             "gp.instances.before.last");
      LeftWord = Join(LeftWord, LoneLeft, "gp.left.word.last");
    }
    // Acquire: the other blocks' writes (slots, tickets, their arrivals)
    // come before everything the last arrival does next, its clean stores
    // to next_block and progress included.
    L.CreateFence(AtomicOrdering::Acquire, Device);
    Value *Instances =
        L.CreateAdd(InstancesBefore, L.getInt32(1), "gp.instances");
    L.CreateCondBr(L.CreateICmpEQ(Done, Total, "gp.grid.complete"), Clean,
                   Rearm);
    // GP_LEFT_VALUE(epoch, instances, complete) goes to the control
    // block's left_value before each way's system fence, so that a host
    // that sees the same value in the left word (stored after the fence,
    // gp.exit.tell) sees this store done too: it may reuse the control
    // block at once, and a later launch's value must not be overtaken by
    // this one. Relaxed: a stream that waits on left_value
    // (gp_stream_wait_drained) only waits for the blocks to leave.
    auto KeepLeftValue = [&](KernelBuilder &K, uint64_t Complete,
                             const char *Name) {
      Value *V = K.CreateOr(K.CreateShl(K.CreateZExt(EpochArg, I64), 32),
                            K.CreateShl(K.CreateZExt(Instances, I64), 1),
                            Complete ? "" : Name);
      if (Complete)
        V = K.CreateOr(V, K.getInt64(Complete), Name);
      StoreInst *Kept = K.CreateAlignedStore(
          V, K.CreateConstGEP1_32(K.getInt8Ty(), Ctl, 32, "gp.left.value.word"),
          Align(8));
      Kept->setAtomic(AtomicOrdering::Monotonic);
      return V;
    };
    KernelBuilder R = at(Rearm);
    R.CreateStore(Done, ProgressWord);
    R.CreateStore(Instances, InstancesWord);
    Value *LeftRearm = KeepLeftValue(R, 0, "gp.left.value.rearm");
    R.CreateFence(AtomicOrdering::Release);
    R.CreateBr(Tell);
    KernelBuilder C = at(Clean);
    C.CreateStore(C.getInt64(0), Ctl); // next_block
    C.CreateStore(C.getInt64(0), ProgressWord);
    C.CreateStore(C.getInt32(0), InstancesWord);
    Value *LeftClean = KeepLeftValue(C, 1, "gp.left.value.clean");
    // fence.sc.sys: acq_rel measured no cheaper (docs/results.md, session
    // 15), and sc needs no argument about which order the host relies on.
    C.CreateFence(AtomicOrdering::SequentiallyConsistent);
    StoreInst *Complete = C.CreateAlignedStore(
        EpochArg,
        C.CreateConstGEP1_32(C.getInt8Ty(), Ctl, 16, "gp.complete.word"),
        Align(4));
    // Not volatile: NVPTX makes a volatile relaxed store st.mmio.
    Complete->setAtomic(AtomicOrdering::Monotonic);
    C.CreateBr(Tell);
    // gp.exit.tell: the same value to the left word, if there is one.
    // Each way here fences at system scope after its writes to the control
    // block (gp.exit.clean before `complete`), and a fence then a relaxed
    // store is a release in PTX: so `complete`, left_value and this store
    // are released, and a host that sees the word may reuse the control
    // block or relaunch from it. One fence, not a release store each: on
    // the H100 each is a wait at the grid's tail, about 1 us a launch
    // (docs/results.md, session 14).
    KernelBuilder T = at(Tell);
    PHINode *LeftValue = T.CreatePHI(I64, 2, "gp.left.value");
    LeftValue->addIncoming(LeftRearm, Rearm);
    LeftValue->addIncoming(LeftClean, Clean);
    T.CreateCondBr(T.CreateICmpNE(LeftWord, T.getInt64(0), "gp.left.told"),
                   TellStore, Return);
    KernelBuilder S = at(TellStore);
    StoreInst *Told = S.CreateAlignedStore(
        LeftValue, S.CreateIntToPtr(LeftWord, S.getPtrTy(), "gp.left.ptr"),
        Align(8));
    Told->setAtomic(AtomicOrdering::Monotonic);
    S.CreateBr(Return);
  }
  at(Return).CreateRetVoid();
  {
    KernelBuilder B = at(Trap);
    B.CreateCall(Intrinsic::getOrInsertDeclaration(&M, Intrinsic::trap));
    B.CreateUnreachable();
  }

  // gp.resume: threads that had finished wait at the vote; the others
  // restore local memory and are routed to their loop (buildRoutes).
  {
    KernelBuilder B = at(ResumeDispatch);
    ResumePoint = B.CreateAlignedLoad(B.getInt32Ty(), SaveBase, Align(4),
                                      "gp.resume.point");
    B.CreateCondBr(B.CreateICmpEQ(ResumePoint, B.getInt32(GP_RESUME_DONE)),
                   BlockTail, RestoreLocal);
    MyYield->addIncoming(B.getFalse(), ResumeDispatch);
    KernelBuilder R = at(RestoreLocal);
    copyAllocas(R, /*ToSaveArea=*/false);
    // Shared memory comes back whole before any thread goes on: all threads
    // of a collectively yielded block resume here together.
    if (!SharedVars.empty() || DynamicShared) {
      copySharedMemory(R, /*ToSaveArea=*/false);
      R.CreateCall(Barrier, {Zero32});
    }
    ResumeSwitch = R.CreateSwitch(ResumePoint, Trap);
  }
}

} // namespace rewrite
} // namespace gpreempt
