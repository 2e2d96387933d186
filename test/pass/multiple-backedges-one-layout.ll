; A loop with two back-edges (a `continue`) polls on both; the two yield
; points share the loop's resume point and save layout, each saving the
; value its own edge carries into the header.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=0 -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @skip_odd(i32 %n, ptr %y) {
entry:
  br label %loop

loop:
  %i = phi i32 [ 0, %entry ], [ %i.skip, %skip ], [ %i.work, %work ]
  %p = getelementptr inbounds i32, ptr %y, i32 %i
  %v = load i32, ptr %p, align 4
  %odd = and i32 %v, 1
  %is.odd = icmp ne i32 %odd, 0
  br i1 %is.odd, label %skip, label %work

skip:
  %i.skip = add i32 %i, 1
  %more.skip = icmp slt i32 %i.skip, %n
  br i1 %more.skip, label %loop, label %exit

work:
  %v2 = add i32 %v, 2
  store i32 %v2, ptr %p, align 4
  %i.work = add i32 %i, 1
  %more.work = icmp slt i32 %i.work, %n
  br i1 %more.work, label %loop, label %exit

exit:
  ret void
}

; CHECK: @skip_odd__gp_info = addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 5, i32 0, i32 2, i32 2, i32 2, i32 0]
; CHECK-LABEL: define ptx_kernel void @skip_odd__gp(
; CHECK:       loop:
; CHECK:         %i = phi i32 [ 0, %entry ], [ %i.work, %[[POLL1:loop.gp.poll[0-9]*]] ], [ %i.skip, %[[POLL2:loop.gp.poll[0-9]*]] ], [ %i.gp.restored, %loop.gp.restore ]
; CHECK:         br i1 %more.skip, label %[[POLL2]], label %exit
; CHECK:         br i1 %more.work, label %[[POLL1]], label %exit
; CHECK:       [[YIELD1:loop.gp.yield[0-9]*]]:
; CHECK:         store i32 1, ptr addrspace(1) %gp.save.thread{{[0-9]*}}
; CHECK:         store i32 %i.work
; CHECK:       [[YIELD2:loop.gp.yield[0-9]*]]:
; CHECK:         store i32 1, ptr addrspace(1) %gp.save.thread{{[0-9]*}}
; CHECK:         store i32 %i.skip
