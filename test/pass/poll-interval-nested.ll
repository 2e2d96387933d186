; An inner loop that yields checks every N-th back-edge of one run, and its
; count starts at 0 on each entry: a run of up to N iterations passes no
; check of its own. Its enclosing loop therefore counts it as N
; iterations (its constant trip count if smaller), so that the checks
; around such runs come within the budget: in @few_each (an outer loop
; whose inner loop runs a handful of times per entry, as iterative_solver's
; 4 systems a thread), budget 64 makes the inner loop check every 8
; back-edges and the outer every iteration (64 / (2 + 16 x 7)), not every
; 8th (64 / (2 + 7), counting the inner loop once). In @two_trips the inner loop runs at
; most 2 iterations (-gpreempt-short-loop-limit=0: it still yields), so the
; outer counts it twice.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=64 -gpreempt-short-loop-limit=0 -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

; Inner: 7 instructions an iteration, 64 / 7 = 9.1 rounded up to a power
; of two: every 16. Outer: its own 2 and the inner's 16 x 7: every
; iteration (no count).
; CHECK: remark: {{.*}}'few_each': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread{{$|;}}
; CHECK-NOT: 'few_each': loop 1 {{.*}}checks the flag every
; CHECK: remark: {{.*}}'few_each': loop 2 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 16 iterations
define ptx_kernel void @few_each(i32 %n, i32 %m, i32 %per, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %outer

outer:
  %it = phi i32 [ 0, %entry ], [ %it.next, %outer.latch ]
  br label %inner

inner:
  %s = phi i32 [ %tid, %outer ], [ %s.next, %inner ]
  %idx = sext i32 %s to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %w = fadd float %v, 1.0
  store float %w, ptr %p, align 4
  %s.next = add i32 %s, %per
  %more = icmp slt i32 %s.next, %n
  br i1 %more, label %inner, label %outer.latch

outer.latch:
  %it.next = add i32 %it, 1
  %again = icmp slt i32 %it.next, %m
  br i1 %again, label %outer, label %exit

exit:
  ret void
}

; Inner: 8 instructions, every 8 back-edges, but it runs at most 2
; iterations: the outer counts it as 2, not 8: 64 / (2 + 2 x 8) -> every 4
; (counted once: 64 / (2 + 8) -> every 8).
; CHECK: remark: {{.*}}'two_trips': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 4 iterations
; CHECK: remark: {{.*}}'two_trips': loop 2 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 8 iterations
define ptx_kernel void @two_trips(i32 %m, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %outer

outer:
  %it = phi i32 [ 0, %entry ], [ %it.next, %outer.latch ]
  br label %inner

inner:
  %k = phi i32 [ 0, %outer ], [ %k.next, %inner ]
  %s = add i32 %tid, %k
  %idx = sext i32 %s to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %w = fadd float %v, 1.0
  store float %w, ptr %p, align 4
  %k.next = add nuw nsw i32 %k, 1
  %more = icmp ult i32 %k.next, 2
  br i1 %more, label %inner, label %outer.latch

outer.latch:
  %it.next = add i32 %it, 1
  %again = icmp slt i32 %it.next, %m
  br i1 %again, label %outer, label %exit

exit:
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
