; Resuming inside an inner loop must not jump straight into it: that would
; give the outer loop a second entry (irreducible control flow). The outer
; header gets a route phi (0 on every ordinary edge) and a check; a resume at
; the inner loop enters the outer header with the inner loop's id, and the
; outer route switch sends it on to the inner loop's restore block.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=0 -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

; acc = 0; for (j = 0; j < m; ++j) for (t = 0; t < len[j]; ++t) acc = acc*3 + t;
define ptx_kernel void @nested(i32 %m, ptr %len, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %outer

outer:
  %j = phi i32 [ 0, %entry ], [ %j.next, %outer.latch ]
  %acc = phi i32 [ %tid, %entry ], [ %acc.inner, %outer.latch ]
  %lp = getelementptr inbounds i32, ptr %len, i32 %j
  %k = load i32, ptr %lp, align 4
  %any = icmp sgt i32 %k, 0
  br i1 %any, label %inner, label %outer.latch

inner:
  %t = phi i32 [ 0, %outer ], [ %t.next, %inner ]
  %a = phi i32 [ %acc, %outer ], [ %a.next, %inner ]
  %a3 = mul i32 %a, 3
  %a.next = add i32 %a3, %t
  %t.next = add i32 %t, 1
  %more = icmp slt i32 %t.next, %k
  br i1 %more, label %inner, label %outer.latch

outer.latch:
  %acc.inner = phi i32 [ %acc, %outer ], [ %a.next, %inner ]
  %j.next = add i32 %j, 1
  %again = icmp slt i32 %j.next, %m
  br i1 %again, label %outer, label %exit

exit:
  %op = getelementptr inbounds i32, ptr %out, i32 %tid
  store i32 %acc.inner, ptr %op, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

; CHECK-LABEL: define ptx_kernel void @nested__gp(
; Resume point 1 is the outer loop, 2 the inner one; both pass through the
; outer header (2 via its route), none jumps into the inner loop from outside.
; CHECK:       outer.gp.restore:
; CHECK:         %j.gp.restored = load i32
; CHECK:         %acc.gp.restored = load i32
; CHECK-NEXT:    br label %outer
; CHECK:       outer.gp.route.into:
; CHECK:         br label %outer
; CHECK:       outer:
; CHECK-DAG:     %outer.gp.route.key = phi i32 [ 0, %outer.gp.poll ], [ 0, %entry ], [ 0, %outer.gp.restore ], [ %gp.resume.point, %outer.gp.route.into ]
; CHECK-DAG:     %j = phi i32 [ 0, %entry ], [ %j.next, %outer.gp.poll ], [ %j.gp.restored, %outer.gp.restore ], [ poison, %outer.gp.route.into ]
; CHECK:         %[[GO:.*]] = icmp ne i32 %outer.gp.route.key, 0
; CHECK-NEXT:    br i1 %[[GO]], label %outer.gp.route, label %outer.gp.body
; CHECK:       outer.gp.route:
; CHECK:         switch i32 %outer.gp.route.key, label %gp.trap [
; CHECK-NEXT:      i32 2, label %inner.gp.restore
; CHECK-NEXT:    ]
; The inner loop's state: its own phis, and what it needs from the outer
; loop: k, and j for the outer latch after it (acc is dead there).
; CHECK:       inner.gp.restore:
; CHECK:         %t.gp.restored = load i32
; CHECK:         %a.gp.restored = load i32
; CHECK:         %[[J:j.gp.restored[0-9]+]] = load i32
; CHECK:         %k.gp.restored = load i32
; CHECK-NEXT:    br label %inner
; CHECK:       inner:
; CHECK-DAG:     %[[JIN:j[0-9]+]] = phi i32 [ %j, %outer.gp.body ], [ %[[JIN]], %inner.gp.poll ], [ %[[J]], %inner.gp.restore ]
; CHECK-DAG:     %t = phi i32 [ 0, %outer.gp.body ], [ %t.next, %inner.gp.poll ], [ %t.gp.restored, %inner.gp.restore ]
; The outer latch sees j from either path.
; CHECK:       outer.latch:
; CHECK:         %[[JL:j[0-9]+]] = phi i32 [ %j, %outer.gp.body ], [ %[[JIN]], %inner ]
; CHECK:         %j.next = add i32 %[[JL]], 1
; CHECK:       gp.resume.local:
; CHECK:         switch i32 %gp.resume.point, label %gp.trap [
; CHECK-NEXT:      i32 1, label %outer.gp.restore
; CHECK-NEXT:      i32 2, label %outer.gp.route.into
; CHECK-NEXT:    ]
; The yields save the resume point: 1 for the outer back-edge, 2 for the inner.
; CHECK:       outer.gp.yield:
; CHECK:         store i32 1, ptr addrspace(1) %gp.save.thread{{[0-9]*}}
; CHECK:       inner.gp.yield:
; CHECK:         store i32 2, ptr addrspace(1) %gp.save.thread{{[0-9]*}}
