; `if (i >= n) return;` before a __syncthreads works on the GPU because the
; returning threads exit. In the preemptible kernel they would wait for the
; next logical block at the persistent loop's vote instead, and meet the
; others' barrier there: such kernels stay unpreemptible, with a remark.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-block-collective -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@t = internal addrspace(3) global [256 x float] undef, align 4

define ptx_kernel void @reverse_tail(i32 %n, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %in = icmp slt i32 %tid, %n
  br i1 %in, label %body, label %exit

body:
  %p = getelementptr inbounds float, ptr %y, i32 %tid
  %v = load float, ptr %p, align 4
  %s = getelementptr inbounds [256 x float], ptr addrspace(3) @t, i32 0, i32 %tid
  store float %v, ptr addrspace(3) %s, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %r = sub i32 255, %tid
  %rs = getelementptr inbounds [256 x float], ptr addrspace(3) @t, i32 0, i32 %r
  %w = load float, ptr addrspace(3) %rs, align 4
  store float %w, ptr %p, align 4
  br label %exit

exit:
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; REMARK: remark: <unknown>:0:0: kernel 'reverse_tail' left unpreemptible [barrier]: it has a barrier that only some threads reach
; CHECK: @reverse_tail__gp_info = addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 2, i32 0, i32 2, i32 0, i32 0]
; CHECK-NOT: define {{.*}}@reverse_tail__gp(
