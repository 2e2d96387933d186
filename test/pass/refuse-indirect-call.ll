; A call through a function pointer could reach code that reads blockIdx or
; waits at a barrier, and the pass cannot see which: refused with
; [unsafe-call] (GP_REFUSAL_UNSAFE_CALL, 6).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @apply(ptr %op, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %r = call float %op(float %v)
  store float %r, ptr %p, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

; REMARK: remark: {{.*}}kernel 'apply' left unpreemptible [unsafe-call]: it makes an indirect call

; CHECK:       @apply__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 6, i32 0, i32 2, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @apply(ptr %op, ptr %y)
; CHECK:         %r = call float %op(float %v)
; CHECK-NEXT:    store float %r, ptr %p, align 4
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@apply__gp(
