; `extern __shared__ float buf[]` is shared memory sized at launch: an
; external addrspace(3) global of zero length. It is no easier to save than
; a fixed array: refused with [shared-memory] (GP_REFUSAL_SHARED_MEMORY, 4).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-block-collective=false -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@buf = external addrspace(3) global [0 x float], align 4

define ptx_kernel void @stage(ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %s = getelementptr inbounds float, ptr addrspacecast (ptr addrspace(3) @buf to ptr), i64 %idx
  store float %v, ptr %s, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

; REMARK: remark: {{.*}}kernel 'stage' left unpreemptible [shared-memory]: it uses shared memory

; CHECK:       @buf = external addrspace(3) global [0 x float], align 4
; CHECK:       @stage__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 4, i32 0, i32 1, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @stage(ptr %y)
; CHECK:         %s = getelementptr inbounds float, ptr addrspacecast (ptr addrspace(3) @buf to ptr), i64 %idx
; CHECK-NEXT:    store float %v, ptr %s, align 4
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@stage__gp(
