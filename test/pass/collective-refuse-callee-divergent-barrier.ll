; A call to a function with __syncthreads that only some threads make (the
; others returned early) is a barrier only some threads reach: refused, as
; for a barrier in the kernel's own body.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define internal void @sync_block() noinline {
entry:
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  ret void
}

define ptx_kernel void @bounded(i32 %n, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %in = icmp ult i32 %tid, %n
  br i1 %in, label %work, label %exit

work:
  call void @sync_block()
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds i32, ptr %y, i64 %idx
  store i32 1, ptr %p, align 4
  br label %exit

exit:
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; REMARK: kernel 'bounded' left unpreemptible [barrier]: it has a barrier that only some threads reach
; CHECK-NOT: define {{.*}}@bounded__gp(
