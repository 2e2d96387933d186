; A __shared__ array lives as long as its physical block: the save area does
; not hold it, so a logical block resumed elsewhere would lose it. Refused with
; [shared-memory] (GP_REFUSAL_SHARED_MEMORY, 4); the array is left as it was.
; The access is the form clang emits: a generic pointer made from the
; shared global by an addrspacecast.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-block-collective=false -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@tile = internal addrspace(3) global [32 x float] undef, align 4

define ptx_kernel void @stage(ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %s = getelementptr inbounds float, ptr addrspacecast (ptr addrspace(3) @tile to ptr), i64 %idx
  store float %v, ptr %s, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

; REMARK: remark: {{.*}}kernel 'stage' left unpreemptible [shared-memory]: it uses shared memory

; CHECK:       @tile = internal addrspace(3) global [32 x float] undef, align 4
; CHECK:       @stage__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 4, i32 0, i32 1, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @stage(ptr %y)
; CHECK:         %s = getelementptr inbounds float, ptr addrspacecast (ptr addrspace(3) @tile to ptr), i64 %idx
; CHECK-NEXT:    store float %v, ptr %s, align 4
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@stage__gp(
