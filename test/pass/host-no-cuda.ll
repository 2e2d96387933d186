; A host module that launches no kernels (plain C++, or a CUDA file with
; host code only) comes out unchanged: no refs, no runtime entry, no remark.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | count 0
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@counter = global i32 0, align 4

define i32 @bump(i32 %by) {
entry:
  %old = load i32, ptr @counter, align 4
  %new = add i32 %old, %by
  store i32 %new, ptr @counter, align 4
  ret i32 %new
}

; CHECK-NOT:   __gpreempt
; CHECK:       @counter = global i32 0, align 4
; CHECK-NOT:   __gpreempt
; CHECK-LABEL: define i32 @bump(i32 %by)
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %old = load i32, ptr @counter, align 4
; CHECK-NEXT:    %new = add i32 %old, %by
; CHECK-NEXT:    store i32 %new, ptr @counter, align 4
; CHECK-NEXT:    ret i32 %new
; CHECK-NEXT:  }
; CHECK-NOT:   __gpreempt
