; A launch through a kernel pointer (not a constant stub) cannot be matched
; to a registered kernel at compile time: it still goes through the runtime,
; with a null ref, and the runtime looks the kernel up by its handle.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

define i32 @launch(ptr %kernel, i64 %g, i64 %b, ptr %args) {
entry:
  %err = call i32 @cudaLaunchKernel(ptr %kernel, i64 %g, i32 1, i64 %b, i32 1, ptr %args, i64 0, ptr null)
  ret i32 %err
}

declare i32 @cudaLaunchKernel(ptr, i64, i32, i64, i32, ptr, i64, ptr)

; REMARK: remark: {{.*}}launch through a kernel pointer goes through the gpreempt runtime

; CHECK-NOT:   @__gpreempt_ref
; CHECK-LABEL: define i32 @launch(ptr %kernel, i64 %g, i64 %b, ptr %args)
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %err = call i32 @__gpreempt_launch_kernel(ptr null, ptr %kernel, i64 %g, i32 1, i64 %b, i32 1, ptr %args, i64 0, ptr null)
; CHECK-NEXT:    ret i32 %err
; CHECK-NOT:   call {{.*}}@cudaLaunchKernel(
