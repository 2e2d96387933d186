; Inline asm is opaque to the pass, so its text is searched for what a yield
; cannot survive. "bar.sync 0;" is __syncthreads written by hand: refused with
; [inline-asm] (GP_REFUSAL_INLINE_ASM, 8).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @handoff(ptr %y) {
entry:
  store i32 1, ptr %y, align 4
  call void asm sideeffect "bar.sync 0;", ""()
  %next = getelementptr inbounds i8, ptr %y, i64 4
  store i32 2, ptr %next, align 4
  ret void
}

; REMARK: remark: {{.*}}kernel 'handoff' left unpreemptible [inline-asm]: it has inline asm containing 'bar.'

; CHECK:       @handoff__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 8, i32 0, i32 1, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @handoff(ptr %y)
; CHECK-NEXT:  entry:
; CHECK-NEXT:    store i32 1, ptr %y, align 4
; CHECK-NEXT:    call void asm sideeffect "bar.sync 0;", ""()
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@handoff__gp(
