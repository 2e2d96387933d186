; A warp-synchronous operation inside a function the kernel calls (not
; inlined) would run wherever the call is, also where a yield decision is not
; block-wide: even with block-collective yields the kernel is refused.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define internal i32 @warp_sum(i32 %v) noinline {
entry:
  %o = call i32 @llvm.nvvm.shfl.sync.down.i32(i32 -1, i32 %v, i32 1, i32 31)
  %s = add i32 %v, %o
  ret i32 %s
}

define ptx_kernel void @calls_warp_sum(ptr %y) {
entry:
  %v = load i32, ptr %y, align 4
  %s = call i32 @warp_sum(i32 %v)
  store i32 %s, ptr %y, align 4
  ret void
}

declare i32 @llvm.nvvm.shfl.sync.down.i32(i32, i32, i32, i32)

; REMARK: kernel 'calls_warp_sum' left unpreemptible [warp-synchronous]: it calls llvm.nvvm.shfl.sync.down.i32 in a called function
; CHECK-NOT: define {{.*}}@calls_warp_sum__gp(
