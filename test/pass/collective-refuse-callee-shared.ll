; Shared memory touched inside a function the kernel calls is not tracked by
; the block's save (only the kernel's own uses are): refused.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@scratch = internal addrspace(3) global [32 x i32] undef, align 4

define internal void @stash(i32 %i, i32 %v) noinline {
entry:
  %p = getelementptr inbounds [32 x i32], ptr addrspace(3) @scratch, i32 0, i32 %i
  store i32 %v, ptr addrspace(3) %p, align 4
  ret void
}

define ptx_kernel void @calls_stash(ptr %y) {
entry:
  %v = load i32, ptr %y, align 4
  call void @stash(i32 0, i32 %v)
  ret void
}

; REMARK: kernel 'calls_stash' left unpreemptible [shared-memory]: it uses shared memory in a called function
; CHECK-NOT: define {{.*}}@calls_stash__gp(
