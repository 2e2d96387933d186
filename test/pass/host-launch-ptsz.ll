; With --default-stream per-thread, clang launches through
; cudaLaunchKernel_ptsz. Such a launch goes to the runtime's _ptsz entry, so
; the per-thread default stream is kept.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@.kernel_name = private constant [12 x i8] c"_Z5scalePfi\00"

define void @_Z20__device_stub__scalePfi(ptr %y, i32 %n) {
entry:
  ret void
}

define i32 @launch(i64 %g, i64 %b, ptr %args) {
entry:
  %err = call i32 @cudaLaunchKernel_ptsz(ptr @_Z20__device_stub__scalePfi, i64 %g, i32 1, i64 %b, i32 1, ptr %args, i64 0, ptr null)
  ret i32 %err
}

define internal void @__cuda_register_globals(ptr %handle) {
entry:
  %r = call i32 @__cudaRegisterFunction(ptr %handle, ptr @_Z20__device_stub__scalePfi, ptr @.kernel_name, ptr @.kernel_name, i32 -1, ptr null, ptr null, ptr null, ptr null, ptr null)
  ret void
}

declare i32 @cudaLaunchKernel_ptsz(ptr, i64, i32, i64, i32, ptr, i64, ptr)
declare i32 @__cudaRegisterFunction(ptr, ptr, ptr, ptr, i32, ptr, ptr, ptr, ptr, ptr)

; CHECK-LABEL: define i32 @launch(i64 %g, i64 %b, ptr %args)
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %err = call i32 @__gpreempt_launch_kernel_ptsz(ptr @__gpreempt_ref._Z20__device_stub__scalePfi, ptr @_Z20__device_stub__scalePfi, i64 %g, i32 1, i64 %b, i32 1, ptr %args, i64 0, ptr null)
; CHECK-NEXT:    ret i32 %err
; CHECK-NOT:   @__gpreempt_launch_kernel(
; CHECK-NOT:   call {{.*}}@cudaLaunchKernel_ptsz(
