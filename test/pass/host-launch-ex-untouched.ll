; cudaLaunchKernelExC carries launch attributes (clusters, cooperative
; launch, ...) that the gpreempt runtime does not model: the call is left
; alone, and the original kernel runs, unpreempted.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | count 0
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@.kernel_name = private constant [12 x i8] c"_Z5scalePfi\00"

define void @_Z20__device_stub__scalePfi(ptr %y, i32 %n) {
entry:
  ret void
}

define i32 @launch(ptr %config, ptr %args) {
entry:
  %err = call i32 @cudaLaunchKernelExC(ptr %config, ptr @_Z20__device_stub__scalePfi, ptr %args)
  ret i32 %err
}

define internal void @__cuda_register_globals(ptr %handle) {
entry:
  %r = call i32 @__cudaRegisterFunction(ptr %handle, ptr @_Z20__device_stub__scalePfi, ptr @.kernel_name, ptr @.kernel_name, i32 -1, ptr null, ptr null, ptr null, ptr null, ptr null)
  ret void
}

declare i32 @cudaLaunchKernelExC(ptr, ptr, ptr)
declare i32 @__cudaRegisterFunction(ptr, ptr, ptr, ptr, i32, ptr, ptr, ptr, ptr, ptr)

; CHECK-NOT:   __gpreempt
; CHECK-LABEL: define i32 @launch(ptr %config, ptr %args)
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %err = call i32 @cudaLaunchKernelExC(ptr %config, ptr @_Z20__device_stub__scalePfi, ptr %args)
; CHECK-NEXT:    ret i32 %err
; CHECK-NOT:   __gpreempt
