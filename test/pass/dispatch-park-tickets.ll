; -gpreempt-park-tickets (hidden, off; session 19): gp.take's leader reads
; the flag beside its ticket atomic, not before it, so a logical block
; starts one global round trip sooner. A ticket taken with the flag up is
; not started: it goes to the physical block's slot with bit 62 set
; (abi.h), and the relaunch starts that block from its beginning instead of
; resuming it from the save area.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-park-tickets -gpreempt-direct-first-wave=false -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null
; -gpreempt-direct-first-wave (hidden, off; implies parking): in the
; first instance each physical block's first logical block is its own index,
; taken without the atomic; tickets count from P.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-direct-first-wave -S %s -o %t.direct.ll
; RUN: FileCheck %s --check-prefix=DIRECT < %t.direct.ll
; RUN: %opt -passes=verify -disable-output %t.direct.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.direct.ll -o /dev/null
; Off (the default), the ticket waits for the flag: no park block.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-direct-first-wave=false -S %s | FileCheck %s --check-prefix=OFF

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
; A slot's block is resumed from the save area, unless it was parked.
; CHECK:       gp.next.resume:
; CHECK-NEXT:    %[[PB:.*]] = and i64 %gp.pending, 4611686018427387904
; CHECK-NEXT:    %gp.parked = icmp ne i64 %[[PB]], 0
; CHECK-NEXT:    %[[BLOCK:.*]] = and i64 %gp.pending, -4611686018427387905
; CHECK-NEXT:    %[[LOGICAL:.*]] = sub i64 %[[BLOCK]], 1
; CHECK-NEXT:    %gp.half.done = xor i1 %gp.parked, true
; CHECK-NEXT:    br label %gp.block
; The flag load, then the atomic, with no branch between them.
; CHECK:       gp.take.leader:
; CHECK:         %gp.flag{{[0-9]*}} = load volatile i32, ptr addrspace(1) %gp.flag.g{{[0-9]*}}
; CHECK-NEXT:    %[[UP:.*]] = icmp sgt i32 %gp.flag{{[0-9]*}}, 0
; CHECK-NEXT:    %[[T:.*]] = atomicrmw add ptr addrspace(1) %gp.ctl.g{{[0-9]*}}, i64 1 syncscope("device") monotonic
; CHECK-NEXT:    %gp.ticket.in.grid = icmp ult i64 %[[T]], %gp.total{{[0-9]*}}
; CHECK-NEXT:    %[[NEXT:.*]] = select i1 %gp.ticket.in.grid, i64 %[[T]], i64 -1
; CHECK-NEXT:    %[[PARK:.*]] = and i1 %gp.ticket.in.grid, %[[UP]]
; CHECK-NEXT:    br i1 %[[PARK]], label %gp.take.park, label %gp.take.publish
; (The slot's address is recomputed there, -gpreempt-rematerialize.)
; CHECK:       gp.take.park:
; CHECK:         %[[T1:.*]] = add i64 %[[T]], 1
; CHECK-NEXT:    %[[SLOTV:.*]] = or i64 %[[T1]], 4611686018427387904
; CHECK-NEXT:    store i64 %[[SLOTV]], ptr addrspace(1) %gp.slot{{[0-9]*}}
; CHECK-NEXT:    br label %gp.take.publish
; A parked block is not run in this instance: everyone leaves after the
; barrier, as with no ticket.
; CHECK:       gp.take.publish:
; CHECK-NEXT:    %[[PUB:.*]] = phi i64 [ -1, %gp.take.park ], [ %[[NEXT]], %gp.take.leader ]
; CHECK-NEXT:    store i64 %[[PUB]], ptr addrspace(3) @__gp_shared_ticket
; CHECK:       gp.block:
; CHECK:         %gp.resuming = phi i1 [ %gp.half.done, %gp.next.resume ], [ false, %gp.take.sync ]
; CHECK-NOT:   gp.take.ticket:

; OFF:       gp.next.resume:
; OFF-NEXT:    %[[L:.*]] = sub i64 %gp.pending, 1
; OFF-NEXT:    br label %gp.block
; OFF:       gp.take.leader:
; OFF:         %gp.flag{{[0-9]*}} = load volatile i32
; OFF:         br i1 %{{.*}}, label %gp.take.publish, label %gp.take.ticket
; OFF:       gp.take.ticket:
; OFF:         atomicrmw add
; OFF-NOT:   gp.take.park:

; The flag load first (in flight while the atomic is), then the way in: the
; first trip of the first instance (nothing done yet) takes its own index.
; DIRECT:       gp.take.leader:
; DIRECT:         %gp.relaunch{{[0-9]*}} = icmp ne i64 %{{.*}}, 0
; DIRECT-NEXT:    %gp.flag{{[0-9]*}} = load volatile i32
; DIRECT-NEXT:    %[[UP:.*]] = icmp sgt i32 %gp.flag{{[0-9]*}}, 0
; DIRECT-NEXT:    %gp.done.before = load i64, ptr addrspace(3) @__gp_shared_done
; DIRECT-NEXT:    %[[NONE:.*]] = icmp eq i64 %gp.done.before, 0
; DIRECT-NEXT:    %[[FIRST:.*]] = xor i1 %gp.relaunch{{[0-9]*}}, true
; DIRECT-NEXT:    %gp.first.trip = and i1 %[[FIRST]], %[[NONE]]
; DIRECT-NEXT:    br i1 %gp.first.trip, label %gp.take.direct, label %gp.take.counted
; DIRECT:       gp.take.direct:
; DIRECT:         %[[P:.*]] = call i32 asm sideeffect "mov.u32 $0, %ctaid.x;"
; DIRECT-NEXT:    %[[P64:.*]] = zext i32 %[[P]] to i64
; DIRECT-NEXT:    br label %gp.take.join
; Tickets count from the blocks that work: all, less a relay block (abi.h:
; GP_SAVE_RELAY, bit 1 of the save parameter, only with two blocks or more).
; DIRECT:       gp.take.counted:
; DIRECT:         %[[BIT:.*]] = and i64 %{{.*}}, 2
; DIRECT:         %[[NP:.*]] = zext i32 %{{.*}} to i64
; DIRECT-NEXT:    %[[TWO:.*]] = icmp ugt i64 %[[NP]], 1
; DIRECT-NEXT:    %[[HAS:.*]] = icmp ne i64 %[[BIT]], 0
; DIRECT-NEXT:    %[[RELAYS:.*]] = and i1 %[[HAS]], %[[TWO]]
; DIRECT-NEXT:    %[[R64:.*]] = zext i1 %[[RELAYS]] to i64
; DIRECT-NEXT:    %[[W:.*]] = sub i64 %[[NP]], %[[R64]]
; DIRECT-NEXT:    %[[C:.*]] = atomicrmw add ptr addrspace(1) %{{.*}}, i64 1 syncscope("device") monotonic
; DIRECT-NEXT:    %gp.ticket.later = add i64 %[[C]], %[[W]]
; DIRECT:       gp.take.join:
; DIRECT-NEXT:    %gp.ticket.taken = phi i64 [ %[[P64]], %gp.take.direct ], [ %gp.ticket.later, %gp.take.counted ]
; DIRECT:         %gp.ticket.in.grid = icmp ult i64 %gp.ticket.taken, %gp.total{{[0-9]*}}
; DIRECT:         br i1 %{{.*}}, label %gp.take.park, label %gp.take.publish
; DIRECT:       gp.take.publish:
; DIRECT-NEXT:    phi i64 [ -1, %gp.take.park ], [ %{{.*}}, %gp.take.join ]
