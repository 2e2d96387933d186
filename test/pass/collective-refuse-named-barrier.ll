; Named barriers (an id other than 0, or a thread count) synchronize part of
; a block; a block-collective yield cannot be ordered with them.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-block-collective -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @producer_consumer(ptr %y) {
entry:
  call void @llvm.nvvm.barrier.cta.sync.aligned.count(i32 1, i32 64)
  store i32 1, ptr %y, align 4
  ret void
}

declare void @llvm.nvvm.barrier.cta.sync.aligned.count(i32, i32)

; REMARK: kernel 'producer_consumer' left unpreemptible [barrier]: it uses a named barrier or one for part of the block
; CHECK-NOT: define {{.*}}@producer_consumer__gp(
