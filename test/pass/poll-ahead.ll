; -gpreempt-poll-ahead (off by default; an experiment, docs/experiments):
; a check branches on the flag as the previous check loaded it, and loads
; it again for the next check, so no check waits for the load's round trip
; to L2. The carried value is a header phi that is 0 on every entry to the
; loop (from before it, and on the restore edge, where resumes enter), so
; the first check of each run of the loop never yields. With an interval
; (INT) the check block's load joins the unchecked back-edges' value at
; gp.back; without one (EVERY) the check's load enters the header.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-ahead -S %s -o %t.int.ll
; RUN: FileCheck %s --check-prefix=INT < %t.int.ll
; RUN: %opt -passes=verify -disable-output %t.int.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.int.ll -o /dev/null
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-ahead -gpreempt-poll-budget=0 -S %s -o %t.every.ll
; RUN: FileCheck %s --check-prefix=EVERY < %t.every.ll
; RUN: %opt -passes=verify -disable-output %t.every.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.every.ll -o /dev/null
; Warp votes take the carried value too, and the edge out of the vote's
; join carries the new load.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-block-collective -gpreempt-poll-ahead -S %S/warp-collective-yield.ll -o %t.warp.ll
; RUN: FileCheck %s --check-prefix=WARP < %t.warp.ll
; RUN: %opt -passes=verify -disable-output %t.warp.ll
; Off, nothing is carried.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -S %s | FileCheck %s --check-prefix=OFF

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @scale_grid(i32 %n, float %a, ptr %y) {
entry:
  %ctaid = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %base = mul i32 %ctaid, %ntid
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %first = add i32 %base, %tid
  %any = icmp slt i32 %first, %n
  br i1 %any, label %preheader, label %exit

preheader:
  %nctaid = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
  %stride = mul i32 %ntid, %nctaid
  br label %loop

loop:
  %i = phi i32 [ %first, %preheader ], [ %i.next, %loop ]
  %idx = sext i32 %i to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %m = fmul float %a, %v
  %r = fadd float %m, 1.0
  store float %r, ptr %p, align 4
  %i.next = add i32 %i, %stride
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

; A loop entered by two edges from one block (a switch's two cases): the
; carried phi has an entry for each, as every phi (checked after
; scale_grid's, below).
define ptx_kernel void @two_edges(i32 %n, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  switch i32 %n, label %exit [ i32 1, label %loop
                               i32 2, label %loop ]

loop:
  %i = phi i32 [ %tid, %entry ], [ %tid, %entry ], [ %i.next, %loop ]
  %idx = sext i32 %i to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %r = fadd float %v, 1.0
  store float %r, ptr %p, align 4
  %i.next = add i32 %i, 32
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()

; INT-LABEL: define ptx_kernel void @scale_grid__gp(
; INT:       loop.gp.check:
; INT:         %[[NEXT:gp.flag[0-9]*]] = load volatile i32, ptr addrspace(1) %gp.flag.g{{[0-9]*}}, align 4
; INT-NEXT:    %gp.preempted = icmp ne i32 %loop.gp.flag.ahead, 0
; INT-NEXT:    br i1 %gp.preempted, label %loop.gp.yield, label %loop.gp.back
; INT:       loop.gp.back:
; INT-NEXT:    %loop.gp.flag.ahead.next = phi i32 [ %loop.gp.flag.ahead, %loop.gp.poll ], [ %[[NEXT]], %loop.gp.check ]
; INT:       loop:
; INT-NEXT:    %loop.gp.flag.ahead = phi i32 [ %loop.gp.flag.ahead.next, %loop.gp.back ], [ 0, %preheader ], [ 0, %loop.gp.restore ]

; INT-LABEL: define ptx_kernel void @two_edges__gp(
; INT:         %loop.gp.flag.ahead = phi i32 [ %loop.gp.flag.ahead.next, %loop.gp.back ], [ 0, %entry ], [ 0, %entry ], [ 0, %loop.gp.restore ]

; EVERY-LABEL: define ptx_kernel void @scale_grid__gp(
; EVERY:       loop.gp.poll:
; EVERY:         %[[NEXT:gp.flag[0-9]*]] = load volatile i32, ptr addrspace(1) %gp.flag.g{{[0-9]*}}, align 4
; EVERY-NEXT:    %gp.preempted = icmp ne i32 %loop.gp.flag.ahead, 0
; EVERY-NEXT:    br i1 %gp.preempted, label %loop.gp.yield, label %loop,
; EVERY:       loop:
; EVERY-NEXT:    %loop.gp.flag.ahead = phi i32 [ %[[NEXT]], %loop.gp.poll ], [ 0, %preheader ], [ 0, %loop.gp.restore ]

; WARP:        %gp.preempted = icmp ne i32 %row.gp.flag.ahead, 0
; WARP:        call i1 @llvm.nvvm.vote.any.sync(i32 %gp.warp.mask, i1 %gp.preempted)
; WARP:        %row.gp.flag.ahead.next = phi i32 [ %row.gp.flag.ahead, %row.gp.poll ], [ %gp.flag{{[0-9]*}}, %row.gp.check.gp.warp ]
; WARP:        %row.gp.flag.ahead = phi i32 [ %row.gp.flag.ahead.next, %row.gp.back ], [ 0, %entry ], [ 0, %row.gp.restore ]

; OFF-NOT:     gp.flag.ahead
