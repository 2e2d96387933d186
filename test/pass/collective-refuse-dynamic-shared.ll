; extern __shared__ memory has its size only at launch: it is not saved yet,
; so kernels that use it stay unpreemptible even with block-collective yields.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-block-collective -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@dyn = external addrspace(3) global [0 x float], align 4

define ptx_kernel void @uses_dynamic(ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %s = getelementptr inbounds [0 x float], ptr addrspace(3) @dyn, i32 0, i32 %tid
  store float 1.0, ptr addrspace(3) %s, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

; REMARK: kernel 'uses_dynamic' left unpreemptible [shared-memory]: it uses dynamic shared memory (extern __shared__), which is not saved yet
; CHECK-NOT: define {{.*}}@uses_dynamic__gp(
