; A loop whose trip count differs between threads of a block, inside a
; uniform loop that votes at its own __syncthreads: it could be converged
; (collective-converge-grid-stride.ll), but its rounds would add barriers
; where the outer loop's vote already bounds the wait, so it polls nowhere
; and the outer loop yields at its barrier.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-block-collective -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@acc = internal addrspace(3) global [256 x i32] undef, align 4

define ptx_kernel void @mixed_loops(i32 %rounds, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %slot = getelementptr inbounds [256 x i32], ptr addrspace(3) @acc, i32 0, i32 %tid
  store i32 0, ptr addrspace(3) %slot, align 4
  br label %uniform

uniform:
  %r = phi i32 [ 0, %entry ], [ %r.next, %uniform.latch ]
  br label %per.thread

per.thread:
  %k = phi i32 [ 0, %uniform ], [ %k.next, %per.thread ]
  %old = load i32, ptr addrspace(3) %slot, align 4
  %new = add i32 %old, %k
  store i32 %new, ptr addrspace(3) %slot, align 4
  %k.next = add i32 %k, 1
  %more.k = icmp ult i32 %k.next, %tid
  br i1 %more.k, label %per.thread, label %uniform.latch

uniform.latch:
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %r.next = add i32 %r, 1
  %more.r = icmp slt i32 %r.next, %rounds
  br i1 %more.r, label %uniform, label %exit

exit:
  %v = load i32, ptr addrspace(3) %slot, align 4
  %p = getelementptr inbounds i32, ptr %out, i32 %tid
  store i32 %v, ptr %p, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; REMARK: kernel 'mixed_loops' is preemptible: 1 yield point(s)
; REMARK-SAME: decisions per block; 1024 shared bytes saved per block
; REMARK: kernel 'mixed_loops': loop gets no yield point: an enclosing loop yields at its own __syncthreads
; REMARK-NOT: loop 2

; CHECK-LABEL: define ptx_kernel void @mixed_loops__gp(
; CHECK:       uniform.gp.poll:
; CHECK:         call i1 @llvm.nvvm.barrier.cta.red.or.all
; CHECK-NOT:   per.thread.gp.poll
; CHECK-NOT:   gp.wait
; CHECK:       }
