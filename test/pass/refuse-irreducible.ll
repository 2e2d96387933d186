; A cycle that can be entered at two blocks is not a natural loop: it has no
; single header where a yield could save and a resume could re-enter. Such a
; kernel is refused with [irreducible] (GP_REFUSAL_IRREDUCIBLE, 9).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

; even <-> odd is one cycle; entry branches into either of them.
define ptx_kernel void @alternate(ptr %y, i32 %n, i1 %start_odd) {
entry:
  br i1 %start_odd, label %odd, label %even

even:
  %i.e = phi i32 [ 0, %entry ], [ %i.o.next, %odd ]
  %pe = getelementptr inbounds i32, ptr %y, i32 %i.e
  store i32 0, ptr %pe, align 4
  %i.e.next = add i32 %i.e, 1
  %more.e = icmp slt i32 %i.e.next, %n
  br i1 %more.e, label %odd, label %exit

odd:
  %i.o = phi i32 [ 1, %entry ], [ %i.e.next, %even ]
  %po = getelementptr inbounds i32, ptr %y, i32 %i.o
  store i32 1, ptr %po, align 4
  %i.o.next = add i32 %i.o, 1
  %more.o = icmp slt i32 %i.o.next, %n
  br i1 %more.o, label %even, label %exit

exit:
  ret void
}

; REMARK: remark: {{.*}}kernel 'alternate' left unpreemptible [irreducible]: it has irreducible control flow

; CHECK:       @alternate__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 9, i32 0, i32 3, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @alternate(ptr %y, i32 %n, i1 %start_odd)
; CHECK-NEXT:  entry:
; CHECK-NEXT:    br i1 %start_odd, label %odd, label %even
; CHECK:       even:
; CHECK:         br i1 %more.e, label %odd, label %exit
; CHECK:       odd:
; CHECK:         br i1 %more.o, label %even, label %exit
; CHECK:       exit:
; CHECK-NEXT:    ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@alternate__gp(
