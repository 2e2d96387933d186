; __syncthreads() waits for every thread of the block: a thread that yielded
; and left the block would never arrive. A kernel with a barrier is left
; exactly as it was, gets no __gp variant, and its __gp_info tells the runtime
; why: flags 0, refusal GP_REFUSAL_BARRIER (2).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-block-collective=false -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @exchange(ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  store float 1.0, ptr %p, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %q = getelementptr inbounds i8, ptr %p, i64 4
  %v = load float, ptr %q, align 4
  store float %v, ptr %p, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; REMARK: remark: {{.*}}kernel 'exchange' left unpreemptible [barrier]: it calls llvm.nvvm.barrier.cta.sync.aligned.all

; magic "GPRE", ABI 6, flags 0, refusal 2, no state, 1 parameter, no yield points.
; CHECK:       @exchange__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 2, i32 0, i32 1, i32 0, i32 0]
; CHECK:       @llvm.used = {{.*}}@exchange__gp_info
; CHECK-LABEL: define ptx_kernel void @exchange(ptr %y)
; CHECK:         store float 1.000000e+00, ptr %p, align 4
; CHECK-NEXT:    call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
; CHECK-NEXT:    %q = getelementptr inbounds i8, ptr %p, i64 4
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@exchange__gp(
