; The relay block (abi.h: GP_SAVE_RELAY). A launch's last physical block,
; when bit 1 of `save` is set and the grid has two blocks or more, takes no
; logical block: warp 0 reads the raise word in mapped host memory (its
; address after the flag's copies) and the arrivals, and writes a raise it
; has not seen into the copies by compare-and-swap, only while a copy's
; magnitude is below the raise's number (a late write never undoes the
; lowering of that raise, -n). It leaves, through gp.exit like any block,
; once a copy is up or every other block has arrived.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o %t.ptx
; RUN: FileCheck %s --check-prefix=PTX < %t.ptx

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @increment(ptr %y) {
entry:
  %b = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %p = getelementptr inbounds i32, ptr %y, i32 %b
  %old = atomicrmw add ptr %p, i32 1 monotonic, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()

; CHECK-LABEL: define ptx_kernel void @increment__gp(
; The prologue: bit 1 of save, a relay only with another block to work.
; CHECK:         %gp.relaunch = icmp ne i64 %{{.*}}, 0
; CHECK-NEXT:    %[[BITS:.*]] = ptrtoint ptr addrspace(1) %gp.save.arg to i64
; CHECK-NEXT:    %[[RBIT:.*]] = and i64 %[[BITS]], 2
; CHECK:         %gp.relays = and i1 %{{.*}}, %{{.*}}
; CHECK:         %gp.workers = sub i64 %gp.phys.blocks64, %{{.*}}
; CHECK:         %gp.relay.block = and i1 %gp.relays, %{{.*}}
; After the first barrier: the relay block goes its own way (its slot is
; always 0, so the check comes after the stale-grid one).
; CHECK:       gp.first.work:
; CHECK:         br i1 %gp.relay.block{{[0-9]*}}, label %gp.relay, label %gp.next
; Warp 0 relays, the others leave at once.
; CHECK:       gp.relay:
; CHECK:         %gp.relay.lane = icmp ult i64 %{{.*}}, 32
; CHECK-NEXT:    br i1 %gp.relay.lane, label %gp.relay.setup, label %gp.exit
; CHECK:       gp.relay.setup:
; CHECK:         %[[AT:.*]] = getelementptr i8, ptr addrspace(1) %gp.relay.copies, i32 4096
; CHECK-NEXT:    %gp.raise.word = load i64, ptr addrspace(1) %[[AT]], align 8
; CHECK-NEXT:    %gp.raise.word.ptr = inttoptr i64 %gp.raise.word to ptr
; CHECK:         %gp.relay.has.word = icmp ne i64 %gp.raise.word, 0
; CHECK-NEXT:    br i1 %gp.relay.has.word, label %gp.relay.look, label %gp.exit
; Both words loaded by every lane (one transaction each), lane 0's decide.
; CHECK:       gp.relay.look:
; CHECK-NEXT:    %gp.relay.seen = phi i32 [ 0, %gp.relay.setup ], [ %gp.relay.seen, %gp.relay.test ], [ %gp.raise, %gp.relay.wrote ]
; CHECK:         %gp.raise.loaded = load volatile i32, ptr %gp.raise.word.ptr, align 4
; CHECK-NEXT:    %gp.relay.progress = load volatile i64, ptr addrspace(1) %{{.*}}, align 8
; CHECK-NEXT:    %gp.raise = call i32 @llvm.nvvm.shfl.sync.idx.i32(i32 %gp.relay.lanes, i32 %gp.raise.loaded, i32 0, i32 31)
; CHECK-NEXT:    %[[ARR:.*]] = lshr i64 %gp.relay.progress, 40
; CHECK-NEXT:    %[[ALL:.*]] = icmp uge i64 %[[ARR]], %gp.workers{{[0-9]*}}
; CHECK:         %gp.relay.all.arrived = icmp ne i32 %{{.*}}, 0
; CHECK-NEXT:    br i1 %gp.relay.all.arrived, label %gp.exit, label %gp.relay.test
; CHECK:       gp.relay.test:
; CHECK-NEXT:    %[[NEW:.*]] = icmp ne i32 %gp.raise, %gp.relay.seen
; CHECK-NEXT:    %[[UP:.*]] = icmp sgt i32 %gp.raise, 0
; CHECK-NEXT:    %gp.relay.fresh = and i1 %[[UP]], %[[NEW]]
; CHECK-NEXT:    br i1 %gp.relay.fresh, label %gp.relay.write, label %gp.relay.look
; Lane l writes copies l, l + lanes, ...
; CHECK:       gp.relay.write:
; CHECK-NEXT:    %gp.relay.copy = phi i32 [ %gp.relay.lane.id, %gp.relay.test ], [ %gp.relay.copy.next, %gp.relay.copy.done ]
; CHECK:         %[[OFF:.*]] = mul i64 %{{.*}}, 128
; CHECK-NEXT:    %gp.relay.copy.at = getelementptr i8, ptr addrspace(1) %gp.relay.copies, i64 %[[OFF]]
; CHECK-NEXT:    %gp.relay.copy.value = load volatile i32, ptr addrspace(1) %gp.relay.copy.at
; -n < copy < n, else the copy is left as it is.
; CHECK:       gp.relay.cas.test:
; CHECK-NEXT:    %gp.relay.old = phi i32 [ %gp.relay.copy.value, %gp.relay.write ], [ %gp.relay.prev, %gp.relay.cas ]
; CHECK-NEXT:    %[[NEG:.*]] = sub i32 0, %gp.raise
; CHECK-NEXT:    %[[ABOVE:.*]] = icmp sgt i32 %gp.relay.old, %[[NEG]]
; CHECK-NEXT:    %[[BELOW:.*]] = icmp slt i32 %gp.relay.old, %gp.raise
; CHECK-NEXT:    %gp.relay.below = and i1 %[[BELOW]], %[[ABOVE]]
; CHECK-NEXT:    br i1 %gp.relay.below, label %gp.relay.cas, label %gp.relay.copy.done
; CHECK:       gp.relay.cas:
; CHECK-NEXT:    %[[X:.*]] = cmpxchg ptr addrspace(1) %gp.relay.copy.at, i32 %gp.relay.old, i32 %gp.raise syncscope("device") monotonic monotonic
; CHECK:         br i1 %gp.relay.swapped, label %gp.relay.copy.done, label %gp.relay.cas.test
; CHECK:       gp.relay.copy.done:
; CHECK-NEXT:    %gp.relay.now = phi i32 [ %gp.relay.old, %gp.relay.cas.test ], [ %gp.raise, %gp.relay.cas ]
; CHECK-NEXT:    %[[NOWUP:.*]] = icmp sgt i32 %gp.relay.now, 0
; CHECK-NEXT:    %gp.relay.up = or i1 %gp.relay.raised, %[[NOWUP]]
; CHECK-NEXT:    %gp.relay.copy.next = add i32 %gp.relay.copy, %gp.relay.step
; CHECK-NEXT:    %[[MORE:.*]] = icmp ult i32 %gp.relay.copy.next, 32
; CHECK-NEXT:    br i1 %[[MORE]], label %gp.relay.write, label %gp.relay.wrote
; Some copy up: done. All at -n (raise n lowered before it came): look on.
; CHECK:       gp.relay.wrote:
; CHECK-NEXT:    %gp.relay.done = call i1 @llvm.nvvm.vote.any.sync(i32 %gp.relay.lanes, i1 %gp.relay.up)
; CHECK-NEXT:    br i1 %gp.relay.done, label %gp.exit, label %gp.relay.look
; One wave and the tickets count the workers, not the relay.
; CHECK:         icmp ule i64 %gp.total{{[0-9]*}}, %gp.workers{{[0-9]*}}

; The raise word is read at system scope (volatile: ld.volatile, relaxed.sys
; on sm_70 and later), the copies written with atom.cas.
; PTX-LABEL: .entry increment__gp(
; PTX:         ld.volatile.b32
; PTX:         atom.relaxed.gpu.global.cas.b32
; PTX:         vote.sync.any.pred
