; -gpreempt-exit-bound-polls: a loop whose exit test compares an induction
; variable X (step S, loop-invariant) with a loop-invariant bound N (X < N
; signed or unsigned, or X != N with a positive constant step) counts its
; poll interval with that test instead of a counter: the latch compares
; X with a limit (header phi, the type's least value on every entry, the
; resume edge included), and only gp.bound applies the kernel's own test,
; gp.due skips the check on a run's first trip (primed false), gp.check
; reads the flag, gp.refill sets the limit K*S further on, min'd with N,
; or back to the least value if K*S does not fit or X + K*S wraps. The exit
; block's phis now come from gp.bound. The yield saves what it saved before.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=56 -gpreempt-exit-bound-polls -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null
; Limits stay valid with nested routes, several latches, block-wide votes
; and local memory (verifier and llc on the other tests' kernels):
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=4096 -gpreempt-exit-bound-polls -S %S/nested-loop-resume-route.ll | %opt -passes=verify -S | %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 -o /dev/null
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=4096 -gpreempt-exit-bound-polls -S %S/multiple-backedges-one-layout.ll | %opt -passes=verify -S | %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 -o /dev/null
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=4096 -gpreempt-exit-bound-polls -S %S/collective-converge-grid-stride.ll -o %t.converge.ll
; RUN: %opt -passes=verify -disable-output %t.converge.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.converge.ll -o /dev/null
; RUN: FileCheck %s --check-prefix=CONVERGE < %t.converge.ll
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=4096 -gpreempt-exit-bound-polls -S %S/local-memory-saved.ll | %opt -passes=verify -S | %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 -o /dev/null
; Without the option: the counter (backedge-poll-interval.ll).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=56 -gpreempt-exit-bound-polls=false -S %s | FileCheck %s --check-prefix=OFF

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

; X = i.next, signed, continues on true; the exit keeps i.next in a phi.
define ptx_kernel void @scale(i32 %n, float %a, ptr %y, ptr %last) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %loop

loop:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %loop ]
  %idx = sext i32 %i to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %m = fmul float %a, %v
  store float %m, ptr %p, align 4
  %i.next = add i32 %i, 32
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  %end = phi i32 [ %i.next, %loop ]
  store i32 %end, ptr %last, align 4
  ret void
}

; X is the phi itself (tested before its step), unsigned, the bound on the
; left and the branch leaving on true (n <=u i: done), a run-time step.
define ptx_kernel void @grid_stride(i32 %n, i32 %stride, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %loop

loop:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %loop ]
  %idx = zext i32 %i to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %m = fadd float %v, 1.0
  store float %m, ptr %p, align 4
  %i.next = add i32 %stride, %i
  %done = icmp ule i32 %n, %i
  br i1 %done, label %exit, label %loop

exit:
  ret void
}

; X != N with a positive constant step (the unroller's trip counter, by 2
; here): compared unsigned with the limit.
define ptx_kernel void @counted_ne(i32 %n, ptr %y) {
entry:
  br label %loop

loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %idx = zext i32 %i to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %m = fadd float %v, 1.0
  store float %m, ptr %p, align 4
  %i.next = add i32 %i, 2
  %more = icmp ne i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

; Each keeps the counter: a count down to N (X != N, step -1; its limit
; would check at every back-edge), X != N with a run-time step (its sign
; unknown), a pointer's walk, a bound that changes in the loop, a step that
; does.
define ptx_kernel void @count_down(i32 %n, ptr %y) {
entry:
  br label %loop

loop:
  %i = phi i32 [ %n, %entry ], [ %i.next, %loop ]
  %idx = zext i32 %i to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %m = fadd float %v, 1.0
  store float %m, ptr %p, align 4
  %i.next = add i32 %i, -1
  %more = icmp ne i32 %i.next, 0
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

define ptx_kernel void @ne_runtime_step(i32 %n, i32 %s, ptr %y) {
entry:
  br label %loop

loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %idx = zext i32 %i to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %m = fadd float %v, 1.0
  store float %m, ptr %p, align 4
  %i.next = add i32 %i, %s
  %more = icmp ne i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

define ptx_kernel void @pointer_walk(ptr %y, ptr %end) {
entry:
  br label %loop

loop:
  %p = phi ptr [ %y, %entry ], [ %p.next, %loop ]
  %v = load float, ptr %p, align 4
  %m = fadd float %v, 1.0
  store float %m, ptr %p, align 4
  %p.next = getelementptr inbounds float, ptr %p, i64 1
  %more = icmp ne ptr %p.next, %end
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

define ptx_kernel void @moving_bound(i32 %n, ptr %y) {
entry:
  br label %loop

loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %bound = phi i32 [ %n, %entry ], [ %bound.next, %loop ]
  %idx = zext i32 %i to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %m = fadd float %v, 1.0
  store float %m, ptr %p, align 4
  %i.next = add i32 %i, 1
  %bound.next = sub i32 %bound, 1
  %more = icmp ult i32 %i.next, %bound.next
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

define ptx_kernel void @doubling(i32 %n, ptr %y) {
entry:
  br label %loop

loop:
  %i = phi i32 [ 1, %entry ], [ %i.next, %loop ]
  %idx = zext i32 %i to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %m = fadd float %v, 1.0
  store float %m, ptr %p, align 4
  %i.next = shl i32 %i, 1
  %more = icmp ult i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

; REMARK: kernel 'scale': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; checks the flag every 8 iterations, counted by its exit test
; REMARK: kernel 'grid_stride': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; checks the flag every 8 iterations, counted by its exit test
; REMARK: kernel 'counted_ne': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; checks the flag every 8 iterations, counted by its exit test
; REMARK: kernel 'count_down': loop 1 {{.*}}; checks the flag every 8 iterations{{$}}
; REMARK: kernel 'ne_runtime_step': loop 1 {{.*}}; checks the flag every 8 iterations{{$}}
; REMARK: kernel 'pointer_walk': loop 1 {{.*}}; checks the flag every {{[0-9]+}} iterations{{$}}
; REMARK: kernel 'moving_bound': loop 1 {{.*}}; checks the flag every 8 iterations{{$}}
; REMARK: kernel 'doubling': loop 1 {{.*}}; checks the flag every 8 iterations{{$}}

; CHECK-LABEL: define ptx_kernel void @scale__gp(
; CHECK-NOT:   gp.count
; CHECK:       loop.gp.bound:
; CHECK-NEXT:    br i1 %more, label %loop.gp.due, label %exit
; CHECK:       loop.gp.due:
; CHECK-NEXT:    br i1 %loop.gp.primed, label %loop.gp.check, label %loop.gp.refill
; CHECK:       loop.gp.check:
; CHECK:         %[[FLAG:gp.flag[0-9]*]] = load volatile i32, ptr addrspace(1)
; CHECK-NEXT:    %gp.preempted = icmp sgt i32 %[[FLAG]], 0
; CHECK-NEXT:    br i1 %gp.preempted, label %loop.gp.yield, label %loop.gp.refill, !prof
; CHECK:       loop.gp.refill:
; 8 back-edges of 32 ahead (a constant step: it fits, folded away).
; CHECK-NEXT:    %[[SUM:.*]] = call { i32, i1 } @llvm.sadd.with.overflow.i32(i32 %i.next, i32 256)
; CHECK-NEXT:    %gp.limit.wraps = extractvalue { i32, i1 } %[[SUM]], 1
; CHECK-NEXT:    %[[AHEAD:.*]] = extractvalue { i32, i1 } %[[SUM]], 0
; CHECK-NEXT:    %gp.limit.ahead = call i32 @llvm.smin.i32(i32 %n, i32 %[[AHEAD]])
; CHECK-NEXT:    %[[OK:.*]] = xor i1 %gp.limit.wraps, true
; CHECK-NEXT:    %[[USE:.*]] = and i1 true, %[[OK]]
; CHECK-NEXT:    %gp.limit.next = select i1 %[[USE]], i32 %gp.limit.ahead, i32 -2147483648
; CHECK-NEXT:    br label %loop.gp.poll
; CHECK:       loop.gp.poll:
; CHECK-NEXT:    %loop.gp.limit.back = phi i32 [ %loop.gp.limit, %loop ], [ %gp.limit.next, %loop.gp.refill ]
; CHECK-NEXT:    %loop.gp.primed.back = phi i1 [ %loop.gp.primed, %loop ], [ true, %loop.gp.refill ]
; CHECK:       loop:
; CHECK-NEXT:    %loop.gp.primed = phi i1 [ %loop.gp.primed.back, %loop.gp.poll ], [ false, %entry ], [ false, %loop.gp.restore ]
; CHECK-NEXT:    %loop.gp.limit = phi i32 [ %loop.gp.limit.back, %loop.gp.poll ], [ -2147483648, %entry ], [ -2147483648, %loop.gp.restore ]
; CHECK-NEXT:    %i = phi i32 [ %{{.*}}, %entry ], [ %i.next, %loop.gp.poll ], [ %i.gp.restored, %loop.gp.restore ]
; CHECK:         %i.next = add i32 %i, 32
; CHECK-NEXT:    %more = icmp slt i32 %i.next, %n
; CHECK-NEXT:    %loop.gp.within = icmp slt i32 %i.next, %loop.gp.limit
; CHECK-NEXT:    br i1 %loop.gp.within, label %loop.gp.poll, label %loop.gp.bound, !prof
; CHECK:       exit:
; CHECK-NEXT:    %end = phi i32 [ %i.next, %loop.gp.bound ]
; CHECK:       loop.gp.yield:
; CHECK:         store i32 1, ptr addrspace(1) %gp.save.thread{{[0-9]*}}
; CHECK:         store i32 %i.next

; CHECK-LABEL: define ptx_kernel void @grid_stride__gp(
; CHECK:       loop.gp.bound:
; CHECK-NEXT:    br i1 %done, label %exit, label %loop.gp.due
; CHECK:       loop.gp.refill:
; A run-time step: K*S < 2^31 (S below 2^31 / 8).
; CHECK-NEXT:    %gp.step.fits = icmp ult i32 %stride, 268435456
; CHECK-NEXT:    %gp.step.ahead = shl i32 %stride, 3
; CHECK-NEXT:    call { i32, i1 } @llvm.uadd.with.overflow.i32(i32 %i, i32 %gp.step.ahead)
; CHECK:         call i32 @llvm.umin.i32(i32 %n,
; CHECK:         %loop.gp.limit = phi i32 [ %loop.gp.limit.back, %loop.gp.poll ], [ 0, %entry ], [ 0, %loop.gp.restore ]
; CHECK:         %done = icmp ule i32 %n, %i
; CHECK-NEXT:    %loop.gp.within = icmp ult i32 %i, %loop.gp.limit
; CHECK-NEXT:    br i1 %loop.gp.within, label %loop.gp.poll, label %loop.gp.bound, !prof

; CHECK-LABEL: define ptx_kernel void @counted_ne__gp(
; CHECK:       loop.gp.refill:
; CHECK-NEXT:    call { i32, i1 } @llvm.uadd.with.overflow.i32(i32 %i.next, i32 16)
; CHECK:         call i32 @llvm.umin.i32(i32 %n,
; CHECK:         %more = icmp ne i32 %i.next, %n
; CHECK-NEXT:    %loop.gp.within = icmp ult i32 %i.next, %loop.gp.limit
; CHECK-LABEL: define ptx_kernel void @count_down__gp(
; CHECK-NOT:   gp.limit
; CHECK:       %loop.gp.count.next = add
; CHECK-LABEL: define ptx_kernel void @ne_runtime_step__gp(
; CHECK-NOT:   gp.limit
; CHECK:       %loop.gp.count.next = add
; CHECK-LABEL: define ptx_kernel void @pointer_walk__gp(
; CHECK-NOT:   gp.limit
; CHECK:       %loop.gp.count.next = add
; CHECK-LABEL: define ptx_kernel void @moving_bound__gp(
; CHECK-NOT:   gp.limit
; CHECK:       %loop.gp.count.next = add
; CHECK-LABEL: define ptx_kernel void @doubling__gp(
; CHECK-NOT:   gp.limit
; CHECK:       %loop.gp.count.next = add

; OFF-LABEL: define ptx_kernel void @scale__gp(
; OFF-NOT:     gp.limit
; OFF:         %loop.gp.count.next = add

; A converged loop's threads check on their own (the flag, or the block's
; decision), so its exit test counts too; the route into a converged loop
; inside another starts its limit at 0 like every entry.
; CONVERGE-LABEL: define ptx_kernel void @histogram__gp(
; CONVERGE:       loop.gp.check:
; CONVERGE:         %gp.yields = or i1 %gp.preempted, %gp.block.yields{{[0-9]*}}
; CONVERGE-NEXT:    br i1 %gp.yields, label %loop.gp.yield, label %loop.gp.refill
; CONVERGE:         %loop.gp.within = icmp ult i32 %i.next, %loop.gp.limit
; CONVERGE-LABEL: define ptx_kernel void @passes__gp(
; CONVERGE:         %elem.gp.limit = phi i32 [ %elem.gp.limit.back, %elem.gp.poll ], [ 0, %pass.gp.body ], [ 0, %elem.gp.restore ]
