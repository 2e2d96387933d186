; The save area holds integers, floats, pointers and small vectors. The
; { i32, i1 } result of a cmpxchg, kept whole and live across the loop's
; back-edge, is none of those: refused with [unsupported-value]
; (GP_REFUSAL_UNSUPPORTED_VALUE, 11), and no variant is left behind.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @claim_then_clear(ptr %lock, ptr %y, i32 %n) {
entry:
  %claim = cmpxchg ptr %lock, i32 0, i32 1 seq_cst seq_cst
  br label %loop

loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %p = getelementptr inbounds i32, ptr %y, i32 %i
  store i32 0, ptr %p, align 4
  %i.next = add i32 %i, 1
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  %won = extractvalue { i32, i1 } %claim, 1
  %w = zext i1 %won to i32
  store i32 %w, ptr %y, align 4
  ret void
}

; REMARK: remark: {{.*}}kernel 'claim_then_clear' left unpreemptible [unsupported-value]: it keeps a value of a type the save area cannot hold live across a loop back-edge

; CHECK:       @claim_then_clear__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 11, i32 0, i32 3, i32 0, i32 0]
; CHECK-NOT:   @__gp_shared
; CHECK-LABEL: define ptx_kernel void @claim_then_clear(ptr %lock, ptr %y, i32 %n)
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %claim = cmpxchg ptr %lock, i32 0, i32 1 seq_cst seq_cst
; CHECK-NEXT:    br label %loop
; CHECK:       loop:
; CHECK-NEXT:    %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
; CHECK:         br i1 %more, label %loop, label %exit
; CHECK:       exit:
; CHECK-NEXT:    %won = extractvalue { i32, i1 } %claim, 1
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@claim_then_clear__gp(
