; A barrier with a thread count synchronizes part of a block (producer and
; consumer warps); a block-collective yield cannot be ordered with it. A
; named barrier that all threads take part in (another id, no count) is a
; whole-block barrier like __syncthreads: that kernel is preemptible.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-block-collective -pass-remarks-missed=gpreempt -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @producer_consumer(ptr %y) {
entry:
  call void @llvm.nvvm.barrier.cta.sync.aligned.count(i32 1, i32 64)
  store i32 1, ptr %y, align 4
  ret void
}

define ptx_kernel void @whole_block_named(i32 %n, ptr %y) {
entry:
  br label %loop

loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 1)
  store volatile i32 %i, ptr %y, align 4
  %i.next = add i32 %i, 1
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

declare void @llvm.nvvm.barrier.cta.sync.aligned.count(i32, i32)
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; REMARK: kernel 'producer_consumer' left unpreemptible [barrier]: it uses a barrier for part of the block (a thread count)
; CHECK-NOT: define {{.*}}@producer_consumer__gp(
; REMARK: kernel 'whole_block_named' is preemptible: 1 yield point(s)
; REMARK-SAME: decisions per block
; CHECK: define {{.*}}@whole_block_named__gp(
