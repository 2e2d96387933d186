; An mbarrier (a split barrier object in shared memory) has arrivals and a
; phase in flight between arrive and wait: a yield cannot save that, so the
; kernel stays unpreemptible even with block-collective yields.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@bar = internal addrspace(3) global i64 undef, align 8

define ptx_kernel void @split_phase(ptr %y) {
entry:
  call void @llvm.nvvm.mbarrier.init.shared(ptr addrspace(3) @bar, i32 256)
  store i32 1, ptr %y, align 4
  ret void
}

declare void @llvm.nvvm.mbarrier.init.shared(ptr addrspace(3), i32)

; REMARK: kernel 'split_phase' left unpreemptible [barrier]
; CHECK-NOT: define {{.*}}@split_phase__gp(
