; A launch inside a try block is an invoke. It stays an invoke of the runtime
; entry, with the same normal and unwind destinations, so exception handling
; around the launch is unchanged.
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

define i32 @launch(i64 %g, i64 %b, ptr %args) personality ptr @__gxx_personality_v0 {
entry:
  %err = invoke i32 @cudaLaunchKernel(ptr @_Z20__device_stub__scalePfi, i64 %g, i32 1, i64 %b, i32 1, ptr %args, i64 0, ptr null)
          to label %ok unwind label %lpad

ok:
  ret i32 %err

lpad:
  %lp = landingpad { ptr, i32 }
          cleanup
  resume { ptr, i32 } %lp
}

define internal void @__cuda_register_globals(ptr %handle) {
entry:
  %r = call i32 @__cudaRegisterFunction(ptr %handle, ptr @_Z20__device_stub__scalePfi, ptr @.kernel_name, ptr @.kernel_name, i32 -1, ptr null, ptr null, ptr null, ptr null, ptr null)
  ret void
}

declare i32 @cudaLaunchKernel(ptr, i64, i32, i64, i32, ptr, i64, ptr)
declare i32 @__cudaRegisterFunction(ptr, ptr, ptr, ptr, i32, ptr, ptr, ptr, ptr, ptr)
declare i32 @__gxx_personality_v0(...)

; CHECK-LABEL: define i32 @launch(i64 %g, i64 %b, ptr %args) personality ptr @__gxx_personality_v0
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %err = invoke i32 @__gpreempt_launch_kernel(ptr @__gpreempt_ref._Z20__device_stub__scalePfi, ptr @_Z20__device_stub__scalePfi, i64 %g, i32 1, i64 %b, i32 1, ptr %args, i64 0, ptr null)
; CHECK-NEXT:            to label %ok unwind label %lpad
; CHECK:       ok:
; CHECK-NEXT:    ret i32 %err
; CHECK:       lpad:
; CHECK-NEXT:    %lp = landingpad { ptr, i32 }
; CHECK-NOT:   {{call|invoke}} {{.*}}@cudaLaunchKernel(
