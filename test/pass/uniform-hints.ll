; -gpreempt-uniform-hints (hidden, off; an experiment, UniformHints.cpp):
; values the preemptible clone loads from memory that every lane of a warp
; holds alike go through redux.sync.umax (sm_80 and later), which ptxas
; knows to be warp-uniform: the dispatch's slot and ticket words from shared
; memory, and in a block-collective kernel without converged loops the
; resume point and the restored values that are uniform over the block
; (here the tile index %t, not the per-thread sum %acc). Without sm_80
; (no target-cpu, or sm_70) and with the option off, nothing changes.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-uniform-hints -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o %t.ptx
; RUN: FileCheck %s --check-prefix=PTX < %t.ptx
; RUN: %ptxas -arch=sm_90 %t.ptx -o /dev/null
; RUN: sed 's/"target-cpu"="sm_90"/"target-cpu"="sm_70"/' %s | %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-uniform-hints -S -o - | FileCheck %s --check-prefix=OFF
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -S %s -o - | FileCheck %s --check-prefix=OFF

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@tile = internal addrspace(3) global [256 x float] undef, align 4

define ptx_kernel void @tiles(i32 %ntiles, ptr %in, ptr %out) #0 {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %slot = getelementptr inbounds [256 x float], ptr addrspace(3) @tile, i32 0, i32 %tid
  br label %tile.loop

tile.loop:
  %t = phi i32 [ 0, %entry ], [ %t.next, %tile.loop ]
  %acc = phi float [ 0.0, %entry ], [ %acc.next, %tile.loop ]
  %at = add i32 %t, %tid
  %src = getelementptr inbounds float, ptr %in, i32 %at
  %x = load float, ptr %src, align 4
  store float %x, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %e = getelementptr inbounds [256 x float], ptr addrspace(3) @tile, i32 0, i32 %t
  %v = load float, ptr addrspace(3) %e, align 4
  %mine = fmul float %v, %x
  %acc.next = fadd float %acc, %mine
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %t.next = add i32 %t, 1
  %more.t = icmp slt i32 %t.next, %ntiles
  br i1 %more.t, label %tile.loop, label %exit

exit:
  %o = getelementptr inbounds float, ptr %out, i32 %tid
  store float %acc.next, ptr %o, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)
attributes #0 = { "target-cpu"="sm_90" }

; The slot word, both halves of it.
; CHECK: %gp.slot.shared = load i64, ptr addrspace(3) @__gp_shared_slot
; CHECK-NEXT: %[[LANES:.*]] = call i32 @llvm.nvvm.activemask()
; CHECK: call i32 @llvm.nvvm.redux.sync.umax(i32 %{{.*}}, i32 %[[LANES]])
; CHECK: call i32 @llvm.nvvm.redux.sync.umax(i32 %{{.*}}, i32 %[[LANES]])
; CHECK: %gp.stale = icmp eq i64 %gp.slot.shared.uniform, -1
; The ticket word: the logical block every thread takes.
; CHECK: %gp.ticket = load i64, ptr addrspace(3) @__gp_shared_ticket
; CHECK: %gp.ticket.uniform = or i64
; CHECK: %gp.logical = phi i64 [ %{{.*}}, %gp.next.resume ], [ %gp.ticket.uniform, %gp.take.sync ]
; The restored tile index is uniform; the sum is each thread's own.
; CHECK: %t.gp.restored = load i32
; CHECK-NEXT: %[[L2:.*]] = call i32 @llvm.nvvm.activemask()
; CHECK-NEXT: %t.gp.restored.uniform = call i32 @llvm.nvvm.redux.sync.umax(i32 %t.gp.restored, i32 %[[L2]])
; CHECK: %acc.gp.restored = bitcast i32 %{{.*}} to float
; CHECK-NOT: redux
; CHECK: br label %tile.loop
; The resume point: every thread of the block yielded at the same vote.
; CHECK: %gp.resume.point = load i32
; CHECK: %gp.resume.point.uniform = call i32 @llvm.nvvm.redux.sync.umax(i32 %gp.resume.point
; CHECK: switch i32 %gp.resume.point.uniform, label %gp.trap

; PTX: activemask.b32
; PTX: redux.sync.max.u32

; OFF-NOT: redux
; OFF-NOT: activemask
