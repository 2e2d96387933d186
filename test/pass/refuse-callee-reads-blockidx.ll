; The preemptible variant replaces blockIdx with the logical block index only
; in the kernel's own body. A function it calls (not inlined) that reads
; %ctaid would see the physical block instead: refused with [unsafe-call]
; (GP_REFUSAL_UNSAFE_CALL, 6).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

; blockIdx.x * blockDim.x + threadIdx.x
define internal i32 @global_index() #0 {
entry:
  %ctaid = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %base = mul i32 %ctaid, %ntid
  %i = add i32 %base, %tid
  ret i32 %i
}

define ptx_kernel void @fill(ptr %y) {
entry:
  %i = call i32 @global_index()
  %idx = zext i32 %i to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  store float 1.0, ptr %p, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

attributes #0 = { noinline }

; REMARK: remark: {{.*}}kernel 'fill' left unpreemptible [unsafe-call]: it calls a function that reads blockIdx or gridDim

; CHECK:       @fill__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 6, i32 0, i32 1, i32 0, i32 0]
; The callee still reads the hardware register.
; CHECK-LABEL: define internal i32 @global_index()
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %ctaid = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
; CHECK-LABEL: define ptx_kernel void @fill(ptr %y)
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %i = call i32 @global_index()
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@fill__gp(
