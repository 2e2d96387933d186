; A function the kernel calls (not inlined) with __syncthreads, shared memory
; and a warp shuffle: the kernel's yields become block-collective, the call
; counts as a barrier (reached by all threads here), the callee's shared
; array is saved with the block, and the callee itself is not changed (it
; gets no yield point of its own: it runs to its end).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@partials = internal addrspace(3) global [32 x i32] undef, align 4

; Sum over the block; every thread gets it.
define internal i32 @block_sum(i32 %v) noinline {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %o = call i32 @llvm.nvvm.shfl.sync.down.i32(i32 -1, i32 %v, i32 1, i32 31)
  %s = add i32 %v, %o
  %warp = lshr i32 %tid, 5
  %slot = getelementptr inbounds [32 x i32], ptr addrspace(3) @partials, i32 0, i32 %warp
  store i32 %s, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %first = load i32, ptr addrspace(3) @partials, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  ret i32 %first
}

define ptx_kernel void @rounds(i32 %n, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds i32, ptr %y, i64 %idx
  br label %loop

loop:
  %r = phi i32 [ 0, %entry ], [ %r.next, %loop ]
  %acc = phi i32 [ 0, %entry ], [ %acc.next, %loop ]
  %v = load i32, ptr %p, align 4
  %s = call i32 @block_sum(i32 %v)
  %acc.next = add i32 %acc, %s
  store i32 %acc.next, ptr %p, align 4
  %r.next = add i32 %r, 1
  %more = icmp slt i32 %r.next, %n
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.shfl.sync.down.i32(i32, i32, i32, i32)
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; REMARK: kernel 'rounds' is preemptible: 1 yield point(s)
; REMARK-SAME: decisions per block; 128 shared bytes saved per block

; The callee is the same function for both kernels, unchanged.
; CHECK-LABEL: define internal i32 @block_sum(
; CHECK-NOT:     gp.
; CHECK:         ret i32 %first
; CHECK-LABEL: define ptx_kernel void @rounds__gp(
; CHECK:       loop.gp.poll:
; CHECK:         call i1 @llvm.nvvm.barrier.cta.red.or.all(i32 0,
; CHECK:       loop:
; CHECK:         call i32 @block_sum(
; CHECK:         br i1 %more, label %loop.gp.poll, label %exit
; CHECK:       gp.copy.shared.body:
; CHECK:         getelementptr i8, ptr addrspace(3) @partials
