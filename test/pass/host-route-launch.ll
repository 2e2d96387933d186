; In the host half of a CUDA compilation, a launch of a registered kernel,
; cudaLaunchKernel(stub, ...), becomes
; __gpreempt_launch_kernel(&ref, stub, ...) with the same arguments after the
; ref. The ref is a private gp_kernel_ref { stub, device name, cache = null },
; the device name being the one __cudaRegisterFunction registered the stub
; with.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
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
  %err = call i32 @cudaLaunchKernel(ptr @_Z20__device_stub__scalePfi, i64 %g, i32 1, i64 %b, i32 1, ptr %args, i64 0, ptr null)
  ret i32 %err
}

define internal void @__cuda_register_globals(ptr %handle) {
entry:
  %r = call i32 @__cudaRegisterFunction(ptr %handle, ptr @_Z20__device_stub__scalePfi, ptr @.kernel_name, ptr @.kernel_name, i32 -1, ptr null, ptr null, ptr null, ptr null, ptr null)
  ret void
}

declare i32 @cudaLaunchKernel(ptr, i64, i32, i64, i32, ptr, i64, ptr)
declare i32 @__cudaRegisterFunction(ptr, ptr, ptr, ptr, i32, ptr, ptr, ptr, ptr, ptr)

; REMARK: remark: {{.*}}launch of kernel 'scale(float*, int)' goes through the gpreempt runtime

; CHECK:       @__gpreempt_name._Z20__device_stub__scalePfi = private {{.*}}constant [12 x i8] c"_Z5scalePfi\00"
; CHECK:       @__gpreempt_ref._Z20__device_stub__scalePfi = private global { ptr, ptr, ptr } { ptr @_Z20__device_stub__scalePfi, ptr @__gpreempt_name._Z20__device_stub__scalePfi, ptr null }
; CHECK-LABEL: define i32 @launch(i64 %g, i64 %b, ptr %args)
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %err = call i32 @__gpreempt_launch_kernel(ptr @__gpreempt_ref._Z20__device_stub__scalePfi, ptr @_Z20__device_stub__scalePfi, i64 %g, i32 1, i64 %b, i32 1, ptr %args, i64 0, ptr null)
; CHECK-NEXT:    ret i32 %err
; CHECK-NOT:   call {{.*}}@cudaLaunchKernel(
; Registration is left alone.
; CHECK-LABEL: define internal void @__cuda_register_globals(ptr %handle)
; CHECK-NEXT:  entry:
; CHECK-NEXT:    call i32 @__cudaRegisterFunction(ptr %handle, ptr @_Z20__device_stub__scalePfi, ptr @.kernel_name, ptr @.kernel_name,
; CHECK:       declare i32 @__gpreempt_launch_kernel(ptr, ptr, i64, i32, i64, i32, ptr, i64, ptr)
