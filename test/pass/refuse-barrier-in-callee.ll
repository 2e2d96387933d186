; A barrier inside a function the kernel calls (not inlined) blocks the
; kernel as surely as one in its own body: the kernel is refused with
; [barrier], and neither it nor the callee is changed. (This is the refusal
; without block-collective yields; collective-callee-barrier-shared.ll shows them.)
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-block-collective=false -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define internal void @publish(ptr %p, float %v) #0 {
entry:
  store float %v, ptr %p, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  ret void
}

define ptx_kernel void @exchange(ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  call void @publish(ptr %p, float 1.0)
  %q = getelementptr inbounds i8, ptr %p, i64 4
  %v = load float, ptr %q, align 4
  store float %v, ptr %p, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

attributes #0 = { noinline }

; REMARK: remark: {{.*}}kernel 'exchange' left unpreemptible [barrier]: it calls llvm.nvvm.barrier.cta.sync.aligned.all in a called function

; CHECK:       @exchange__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 2, i32 0, i32 1, i32 0, i32 0]
; CHECK-LABEL: define internal void @publish(ptr %p, float %v)
; CHECK:         store float %v, ptr %p, align 4
; CHECK-NEXT:    call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
; CHECK-NEXT:    ret void
; CHECK-LABEL: define ptx_kernel void @exchange(ptr %y)
; CHECK:         call void @publish(ptr %p, float 1.000000e+00)
; CHECK-NEXT:    %q = getelementptr inbounds i8, ptr %p, i64 4
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@exchange__gp(
