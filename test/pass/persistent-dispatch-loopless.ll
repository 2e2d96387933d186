; A kernel without loops still becomes preemptible at block granularity: the
; persistent grid stops taking logical blocks once the flag is raised, so
; blocks that have not started never run until the resume.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-direct-first-wave=false -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null
; The dispatch re-reads special registers where it needs them (volatile asm,
; so llc keeps the copies apart) instead of keeping the prologue's values
; live across the kernel; -gpreempt-rematerialize=false keeps them.
; RUN: FileCheck %s --check-prefix=REMAT < %t.ll
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-direct-first-wave=false -gpreempt-rematerialize=false -S %s | FileCheck %s --check-prefix=KEEP

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

; Word 0 only: nothing is live across a yield point because there is none.
; CHECK: @increment__gp_info = addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 5, i32 0, i32 1, i32 1, i32 0, i32 0]

; CHECK-LABEL: define ptx_kernel void @increment__gp(
; Each physical block polls its own copy of the flag (abi.h: 32 copies, 128
; bytes apart), so polls spread over cache lines.
; CHECK:         %gp.phys.block{{[0-9]*}} = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
; CHECK:         %[[COPY:.*]] = and i32 %gp.phys.block{{[0-9]*}}, 31
; CHECK-NEXT:    %[[C64:.*]] = zext i32 %[[COPY]] to i64
; CHECK-NEXT:    %[[OFF:.*]] = mul i64 %[[C64]], 128
; CHECK-NEXT:    %[[FLAG:.*]] = addrspacecast ptr %gp.flag to ptr addrspace(1)
; CHECK-NEXT:    %gp.flag.g{{[0-9]*}} = getelementptr i8, ptr addrspace(1) %[[FLAG]], i64 %[[OFF]]
; abi.h: bit 0 of the save argument marks a relaunch.
; CHECK:         %[[BIT:.*]] = and i64 %{{.*}}, 1
; CHECK-NEXT:    %gp.relaunch = icmp ne i64 %[[BIT]], 0
; CHECK:         %gp.phys.blocks = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
; A relaunch first finds this physical block's unfinished logical block in
; its slot; the first instance has none and does not read it. A relaunch
; of a grid that completed before it (complete == epoch) publishes -1 and
; every thread leaves after the barrier, touching nothing.
; CHECK:       gp.first.leader:
; CHECK:         br i1 %gp.relaunch{{[0-9]*}}, label %gp.first.slot, label %gp.first.publish
; CHECK:       gp.first.slot:
; CHECK:         %gp.complete.word = getelementptr i8, ptr addrspace(1) %{{.*}}, i32 16
; CHECK-NEXT:    %gp.completed = load volatile i32, ptr addrspace(1) %gp.complete.word
; CHECK-NEXT:    %gp.grid.was.complete = icmp eq i32 %gp.completed, %gp.epoch
; CHECK-NEXT:    br i1 %gp.grid.was.complete, label %gp.first.publish, label %gp.first.slot.read
; CHECK:       gp.first.publish:
; CHECK-NEXT:    %[[PUB:.*]] = phi i64 [ %gp.slot.value, %gp.first.slot.read ], [ 0, %gp.first.leader ], [ -1, %gp.first.slot ]
; CHECK:         store i64 %[[PUB]], ptr addrspace(3) @__gp_shared_slot
; CHECK-NEXT:    store i64 0, ptr addrspace(3) @__gp_shared_done
; Whether the grid is one wave is decided once, kept in shared memory: as
; many logical blocks as blocks that work (all, less a relay block).
; CHECK:         %[[ONE:.*]] = icmp ule i64 %gp.total{{[0-9]*}}, %gp.workers{{[0-9]*}}
; CHECK-NEXT:    %[[ONE64:.*]] = zext i1 %[[ONE]] to i64
; CHECK-NEXT:    store i64 %[[ONE64]], ptr addrspace(3) @__gp_shared_one_wave
; CHECK:       gp.first.sync:
; CHECK:         call void @llvm.nvvm.barrier.cta.sync.all(i32 0)
; CHECK-NEXT:    %gp.slot.shared = load i64, ptr addrspace(3) @__gp_shared_slot
; CHECK-NEXT:    %gp.stale = icmp eq i64 %gp.slot.shared, -1
; CHECK-NEXT:    br i1 %gp.stale, label %gp.return, label %gp.first.work
; The relay block (abi.h: GP_SAVE_RELAY) goes its own way (relay-block.ll).
; CHECK:       gp.first.work:
; CHECK:         br i1 %gp.relay.block{{[0-9]*}}, label %gp.relay, label %gp.next
; Thread 0 takes a ticket unless preemption is raised; everyone reads it
; after the barrier.
; CHECK:       gp.take.leader:
; CHECK:         %[[F:.*]] = load volatile i32, ptr addrspace(1) %gp.flag.g{{[0-9]*}}
; CHECK:       gp.take.ticket:
; CHECK:         %[[T:.*]] = atomicrmw add ptr addrspace(1) %gp.ctl.g{{[0-9]*}}, i64 1 syncscope("device") monotonic
; CHECK-NEXT:    %[[OK:.*]] = icmp ult i64 %[[T]], %gp.total{{[0-9]*}}
; CHECK:       gp.take.sync:
; CHECK:         call void @llvm.nvvm.barrier.cta.sync.all(i32 0)
; CHECK-NEXT:    %gp.ticket = load i64, ptr addrspace(3) @__gp_shared_ticket
; Thread 0 keeps the logical block in shared memory for gp.leave (not in a
; register across the body).
; CHECK:       gp.block.leader:
; CHECK-NEXT:    store i64 %gp.logical, ptr addrspace(3) @__gp_shared_logical
; CHECK:       entry:
; CHECK:         %p = getelementptr inbounds i32, ptr %y, i32 %gp.ctaid.x
; CHECK-NEXT:    %old = atomicrmw add ptr %p, i32 1 monotonic
; CHECK-NEXT:    br label %gp.tail
; No loop: nothing switches to a restore block.
; CHECK:       gp.resume.local:
; CHECK:         switch i32 %gp.resume.point, label %gp.trap [
; CHECK-NEXT:    ]
; CHECK:       gp.tail:
; CHECK:         %gp.any.yielded = call i1 @llvm.nvvm.barrier.cta.red.or.all(i32 0, i1 %gp.yielded)
; Thread 0 counts finished logical blocks in shared memory, not with a
; device atomic per block.
; CHECK:       gp.done.count:
; CHECK-NEXT:    %gp.done.n = load i64, ptr addrspace(3) @__gp_shared_done
; CHECK-NEXT:    %[[N1:.*]] = add i64 %gp.done.n, 1
; CHECK-NEXT:    store i64 %[[N1]], ptr addrspace(3) @__gp_shared_done
; CHECK-NEXT:    br label %gp.done.next
; In a grid of one wave no ticket is left after a finished block: no
; gp.take.
; CHECK:       gp.done.next:
; CHECK-NEXT:    %gp.one.wave = load i64, ptr addrspace(3) @__gp_shared_one_wave
; CHECK-NEXT:    %[[W:.*]] = icmp ne i64 %gp.one.wave, 0
; CHECK-NEXT:    br i1 %[[W]], label %gp.exit, label %gp.next
; CHECK:       gp.leave.slot:
; CHECK:         %gp.logical.shared = load i64, ptr addrspace(3) @__gp_shared_logical
; CHECK-NEXT:    %[[NEXT:.*]] = add i64 %gp.logical.shared, 1
; CHECK-NEXT:    store i64 %[[NEXT]], ptr addrspace(1) %gp.slot{{[0-9]*}}
; On the way out (no ticket, or yielded), thread 0 adds its count and its
; arrival (1 << 40) to ctl->progress in one atomic (abi.h). The last of the
; instance's blocks to arrive cleans a complete grid's control block
; (next_block, progress and instances 0) and then publishes complete = epoch
; at system scope; if the grid is not complete it leaves the count and the
; instances that have left, for the next instance. Either way it stores
; epoch << 32 | instances << 1 | complete to the control block's left_value
; (ctl + 32) before its system-scope fence and, if the runtime gave the
; control block a left word (ctl + 24), there too after it: a host that
; sees the word may reuse the control block, so the left_value store must
; be done by then. One system-scope fence
; on each way releases those stores and complete's (relaxed stores:
; a release store each cost ~1 us at the grid's tail on the H100). The
; arrival is relaxed and the last arrival fences to acquire: LLVM 22's
; NVPTX emits an acq_rel atomicrmw as a relaxed atom. Every arriving block
; loads instances and the left word beside its atomic, so the last one
; has them without another round trip.
; CHECK:       gp.exit:
; CHECK:         br i1 %gp.leader{{[0-9]*}}, label %gp.exit.count, label %gp.return
; CHECK:       gp.exit.count:
; CHECK:         %gp.done.total = load i64, ptr addrspace(3) @__gp_shared_done
; CHECK-NEXT:    fence syncscope("device") release
; CHECK-NEXT:    %gp.instances.word = getelementptr i8, ptr addrspace(1) %gp.ctl.g{{[0-9]*}}, i32 20
; CHECK-NEXT:    %gp.instances.before = load i32, ptr addrspace(1) %gp.instances.word
; CHECK-NEXT:    %gp.left.word.at = getelementptr i8, ptr addrspace(1) %gp.ctl.g{{[0-9]*}}, i32 24
; CHECK-NEXT:    %gp.left.word = load i64, ptr addrspace(1) %gp.left.word.at
; CHECK-NEXT:    %gp.progress.word = getelementptr i8, ptr addrspace(1) %{{.*}}, i32 8
; CHECK-NEXT:    %gp.progress.add = add i64 %gp.done.total, 1099511627776
; CHECK-NEXT:    %gp.progress = atomicrmw add ptr addrspace(1) %gp.progress.word, i64 %gp.progress.add syncscope("device") monotonic
; CHECK-NEXT:    %[[HI:.*]] = lshr i64 %gp.progress, 40
; CHECK-NEXT:    %gp.arrived = add i64 %[[HI]], 1
; CHECK-NEXT:    %[[LO:.*]] = and i64 %gp.progress, 1099511627775
; CHECK-NEXT:    %gp.blocks.done = add i64 %[[LO]], %gp.done.total
; CHECK-NEXT:    %gp.last.arrival = icmp eq i64 %gp.arrived, %gp.phys.blocks64{{[0-9]*}}
; CHECK-NEXT:    br i1 %gp.last.arrival, label %gp.exit.last, label %gp.return
; CHECK:       gp.exit.last:
; CHECK:         fence syncscope("device") acquire
; CHECK-NEXT:    %gp.instances = add i32 %gp.instances.before, 1
; CHECK-NEXT:    %gp.grid.complete = icmp eq i64 %gp.blocks.done, %gp.total{{[0-9]*}}
; CHECK-NEXT:    br i1 %gp.grid.complete, label %gp.exit.clean, label %gp.exit.rearm
; CHECK:       gp.exit.clean:
; CHECK:         store i64 0, ptr addrspace(1) %[[CTLC:gp.ctl.g[0-9]*]]
; CHECK-NEXT:    store i64 0, ptr addrspace(1) %gp.progress.word
; CHECK-NEXT:    store i32 0, ptr addrspace(1) %gp.instances.word
; CHECK-NEXT:    %[[INST:.*]] = zext i32 %gp.instances to i64
; CHECK-NEXT:    %[[INSTSH:.*]] = shl i64 %[[INST]], 1
; CHECK-NEXT:    %[[EP:.*]] = zext i32 %[[EPOCHC:gp.epoch[.a-z0-9]*]] to i64
; CHECK-NEXT:    %[[EPSH:.*]] = shl i64 %[[EP]], 32
; CHECK-NEXT:    %[[HI:.*]] = or i64 %[[EPSH]], %[[INSTSH]]
; CHECK-NEXT:    %gp.left.value.clean = or i64 %[[HI]], 1
; CHECK-NEXT:    %[[LVC:.*]] = getelementptr i8, ptr addrspace(1) %[[CTLC]], i32 32
; CHECK-NEXT:    store atomic i64 %gp.left.value.clean, ptr addrspace(1) %[[LVC]] monotonic
; CHECK-NEXT:    fence seq_cst
; CHECK-NEXT:    %[[CW:.*]] = getelementptr i8, ptr addrspace(1) %[[CTLC]], i32 16
; CHECK-NEXT:    store atomic i32 %[[EPOCHC]], ptr addrspace(1) %[[CW]] monotonic
; CHECK-NEXT:    br label %gp.exit.tell
; CHECK:       gp.exit.rearm:
; CHECK:         store i64 %gp.blocks.done, ptr addrspace(1) %gp.progress.word
; CHECK-NEXT:    store i32 %gp.instances, ptr addrspace(1) %gp.instances.word
; CHECK-NEXT:    %[[INST:.*]] = zext i32 %gp.instances to i64
; CHECK-NEXT:    %[[INSTSH:.*]] = shl i64 %[[INST]], 1
; CHECK-NEXT:    %[[EP:.*]] = zext i32 %gp.epoch{{.*}} to i64
; CHECK-NEXT:    %[[EPSH:.*]] = shl i64 %[[EP]], 32
; CHECK-NEXT:    %gp.left.value.rearm = or i64 %[[EPSH]], %[[INSTSH]]
; CHECK-NEXT:    %[[LVR:.*]] = getelementptr i8, ptr addrspace(1) %gp.ctl.g{{[0-9]*}}, i32 32
; CHECK-NEXT:    store atomic i64 %gp.left.value.rearm, ptr addrspace(1) %[[LVR]] monotonic
; CHECK-NEXT:    fence release
; CHECK-NEXT:    br label %gp.exit.tell
; CHECK:       gp.exit.tell:
; CHECK-NEXT:    %gp.left.value = phi i64 [ %gp.left.value.rearm, %gp.exit.rearm ], [ %gp.left.value.clean, %gp.exit.clean ]
; CHECK-NEXT:    %gp.left.told = icmp ne i64 %gp.left.word, 0
; CHECK-NEXT:    br i1 %gp.left.told, label %gp.exit.tell.store, label %gp.return
; CHECK:       gp.exit.tell.store:
; CHECK-NEXT:    %gp.left.ptr = inttoptr i64 %gp.left.word to ptr
; CHECK-NEXT:    store atomic i64 %gp.left.value, ptr %gp.left.ptr monotonic
; CHECK-NEXT:    br label %gp.return

; REMAT-LABEL: define ptx_kernel void @increment__gp(
; REMAT:       gp.leave.slot:
; REMAT:         call i32 asm sideeffect "mov.u32 $0, %ctaid.x;", "=r"()
; KEEP-LABEL:  define ptx_kernel void @increment__gp(
; KEEP-NOT:      asm sideeffect
; KEEP:        }
