; __shfl_down_sync exchanges registers within a warp and needs every lane of
; the mask to take part: a lane that yielded would leave the others reading
; garbage or waiting. Refused with [warp-synchronous] (GP_REFUSAL_WARP_SYNC, 3).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-block-collective=false -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @pair_sum(ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %other = call float @llvm.nvvm.shfl.sync.down.f32(i32 -1, float %v, i32 1, i32 31)
  %sum = fadd float %v, %other
  store float %sum, ptr %p, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare float @llvm.nvvm.shfl.sync.down.f32(i32, float, i32, i32)

; REMARK: remark: {{.*}}kernel 'pair_sum' left unpreemptible [warp-synchronous]: it calls llvm.nvvm.shfl.sync.down.f32

; CHECK:       @pair_sum__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 3, i32 0, i32 1, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @pair_sum(ptr %y)
; CHECK:         %other = call float @llvm.nvvm.shfl.sync.down.f32(i32 -1, float %v, i32 1, i32 31)
; CHECK-NEXT:    %sum = fadd float %v, %other
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@pair_sum__gp(
