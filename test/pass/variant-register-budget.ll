; -gpreempt-variant-maxnreg=N (hidden, 0 by default; for measurements):
; each preemptible variant gets the register budget N (.maxnreg), so that
; ptxas does not hold it at 32 registers for an occupancy its grid may not
; have (session 21: nbody_step preemptible at 40 registers ran as fast as
; the plain kernel at 32). A kernel with launch bounds or a budget of its
; own keeps the user's word: its variant gets what the kernel has. The
; kernels themselves never change.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-variant-maxnreg=40 -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o %t.ptx
; RUN: FileCheck %s --check-prefix=PTX < %t.ptx
; RUN: %ptxas -arch=sm_90 %t.ptx -o /dev/null
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -S %s -o - | FileCheck %s --check-prefix=OFF

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @free(ptr %p, i32 %n) {
entry:
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %a = getelementptr inbounds i32, ptr %p, i32 %i
  store i32 %i, ptr %a, align 4
  %i.next = add i32 %i, 1
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit
exit:
  ret void
}

define ptx_kernel void @bounded(ptr %p, i32 %n) #0 {
entry:
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %a = getelementptr inbounds i32, ptr %p, i32 %i
  store i32 %i, ptr %a, align 4
  %i.next = add i32 %i, 1
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit
exit:
  ret void
}

define ptx_kernel void @budgeted(ptr %p, i32 %n) #1 {
entry:
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %a = getelementptr inbounds i32, ptr %p, i32 %i
  store i32 %i, ptr %a, align 4
  %i.next = add i32 %i, 1
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit
exit:
  ret void
}

attributes #0 = { "nvvm.maxntid"="128" "nvvm.minctasm"="4" }
attributes #1 = { "nvvm.maxnreg"="64" }

; CHECK: define ptx_kernel void @free(ptr %p, i32 %n) {
; CHECK: define ptx_kernel void @bounded(ptr %p, i32 %n) #[[BOUNDED:[0-9]+]]
; CHECK: define ptx_kernel void @budgeted(ptr %p, i32 %n) #[[BUDGETED:[0-9]+]]
; CHECK: define ptx_kernel void @free__gp({{.*}}) #[[WIDE:[0-9]+]]
; CHECK: define ptx_kernel void @bounded__gp({{.*}}) #[[BOUNDED]]
; CHECK: define ptx_kernel void @budgeted__gp({{.*}}) #[[BUDGETED]]
; CHECK-DAG: attributes #[[BOUNDED]] = { "nvvm.maxntid"="128" "nvvm.minctasm"="4" }
; CHECK-DAG: attributes #[[BUDGETED]] = { "nvvm.maxnreg"="64" }
; CHECK-DAG: attributes #[[WIDE]] = { "nvvm.maxnreg"="40" }

; PTX-LABEL: .entry free(
; PTX-NOT: .maxnreg
; PTX-LABEL: .entry bounded(
; PTX-LABEL: .entry free__gp(
; PTX: .maxnreg 40
; PTX-LABEL: .entry bounded__gp(
; PTX-NOT: .maxnreg
; PTX: .minnctapersm 4
; PTX-LABEL: .entry budgeted__gp(
; PTX: .maxnreg 64

; OFF-NOT: "nvvm.maxnreg"="40"
