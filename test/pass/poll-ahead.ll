; -gpreempt-poll-ahead (an experiment, off by default): a loop whose threads
; check on their own, with an interval of 4 or more, checks twice as
; often, and its check decides on the flag that the check before it loaded
; (a header phi, gp.flag.seen: 0 on every entry, the resume edge included),
; while the flag for the next check is loaded now. So no check waits for
; its load, and a raise still reaches a thread within the old interval's
; back-edges. Where the exit test counts the interval (exit-bound-polls.ll),
; gp.refill loads (a run's first back-edge only loads: gp.due skips the
; check until primed); with a counter, gp.check loads before its branch
; (a run's first check decides on 0), and the loop must have one latch.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=56 -gpreempt-poll-ahead -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o %t.ptx
; RUN: FileCheck %s --check-prefix=PTX < %t.ptx
; An interval of 2 stays as it is (halved it would be 1, a check at every
; back-edge, which the exit test does not count):
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=14 -gpreempt-poll-ahead -pass-remarks=gpreempt -S %s -o %t.two.ll 2>&1 | FileCheck %s --check-prefix=TWO
; RUN: FileCheck %s --check-prefix=TWO-IR < %t.two.ll
; Valid with nested routes, several latches, converged loops and local
; memory (verifier and llc on the other tests' kernels):
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=4096 -gpreempt-poll-ahead -S %S/nested-loop-resume-route.ll | %opt -passes=verify -S | %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 -o /dev/null
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=4096 -gpreempt-poll-ahead -S %S/multiple-backedges-one-layout.ll | %opt -passes=verify -S | %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 -o /dev/null
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=4096 -gpreempt-poll-ahead -S %S/collective-converge-grid-stride.ll | %opt -passes=verify -S | %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 -o /dev/null
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=4096 -gpreempt-poll-ahead -S %S/local-memory-saved.ll | %opt -passes=verify -S | %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 -o /dev/null
; A block's vote stays as it is (every thread must meet at the same check);
; a converged loop's threads check on their own and read ahead:
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-ahead -pass-remarks=gpreempt -disable-output %S/poll-interval-memory-weight.ll 2>&1 | FileCheck %s --check-prefix=VOTE
; VOTE: remark: {{.*}}'tiles': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 32 iterations{{$}}
; VOTE: remark: {{.*}}'bins_shared': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; checks the flag every 32 iterations, counted by its exit test, each check deciding on the flag as the check before it read it; its threads leave it
; Off (the default): the check loads the flag itself.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=56 -S %s | FileCheck %s --check-prefix=OFF

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

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

; A count down keeps its counter (exit-bound-polls.ll); its check reads
; ahead too.
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

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

; REMARK: kernel 'grid_stride': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; checks the flag every 4 iterations, counted by its exit test, each check deciding on the flag as the check before it read it
; REMARK: kernel 'count_down': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; checks the flag every 4 iterations, each check deciding on the flag as the check before it read it

; CHECK-LABEL: define ptx_kernel void @grid_stride__gp(
; CHECK:       loop.gp.due:
; CHECK-NEXT:    br i1 %loop.gp.primed, label %loop.gp.check, label %loop.gp.refill
; CHECK:       loop.gp.check:
; CHECK-NEXT:    %gp.flag.seen.raised = icmp sgt i32 %loop.gp.flag.seen, 0
; CHECK-NEXT:    br i1 %gp.flag.seen.raised, label %loop.gp.yield, label %loop.gp.refill
; CHECK:       loop.gp.refill:
; CHECK-NEXT:    %gp.flag.address = load i64, ptr addrspace(3) @__gp_shared_flag
; CHECK-NEXT:    %[[AT:.*]] = inttoptr i64 %gp.flag.address to ptr addrspace(1)
; CHECK-NEXT:    %gp.flag.ahead = load volatile i32, ptr addrspace(1) %[[AT]]
; The limit: K/2 = 4 steps on (a shift by 2).
; CHECK:         %gp.step.ahead = shl i32 %stride, 2
; CHECK:       loop.gp.poll:
; CHECK:         %loop.gp.flag.back = phi i32 [ %loop.gp.flag.seen, %loop ], [ %gp.flag.ahead, %loop.gp.refill ]
; CHECK:       loop:
; CHECK-NEXT:    %loop.gp.flag.seen = phi i32 [ %loop.gp.flag.back, %loop.gp.poll ], [ 0, %entry ], [ 0, %loop.gp.restore ]
; CHECK-LABEL: define ptx_kernel void @count_down__gp(
; CHECK:         %gp.check.due = icmp eq i32 %{{.*}}, 0
; CHECK:       loop.gp.check:
; CHECK-NEXT:    %gp.flag.address = load i64, ptr addrspace(3) @__gp_shared_flag
; CHECK-NEXT:    %[[AT:.*]] = inttoptr i64 %gp.flag.address to ptr addrspace(1)
; CHECK-NEXT:    %gp.flag.ahead = load volatile i32, ptr addrspace(1) %[[AT]]
; CHECK-NEXT:    %gp.flag.seen.raised = icmp sgt i32 %loop.gp.flag.seen, 0
; CHECK-NEXT:    br i1 %gp.flag.seen.raised, label %loop.gp.yield, label %loop.gp.back
; CHECK:       loop.gp.back:
; CHECK-NEXT:    %loop.gp.flag.back = phi i32 [ %loop.gp.flag.seen, %loop.gp.poll ], [ %gp.flag.ahead, %loop.gp.check ]
; CHECK:       loop:
; CHECK-NEXT:    %loop.gp.flag.seen = phi i32 [ %loop.gp.flag.back, %loop.gp.back ], [ 0, %entry ], [ 0, %loop.gp.restore ]
; CHECK-LABEL: define

; In PTX the check tests, without a load, the register that the refill
; loads into for the next check, which nothing there waits for.
; PTX-LABEL: .entry grid_stride__gp(
; PTX:         // %loop.gp.refill
; PTX-NEXT:    in Loop
; PTX-NEXT:    ld.shared.b64 %[[ADDR:rd[0-9]+]], [__gp_shared_flag];
; PTX-NEXT:    ld.volatile.global.b32 %[[SEEN:r[0-9]+]], [%[[ADDR]]];
; PTX-NOT:     %[[SEEN]]{{[,;]}}
; PTX:         // %loop.gp.poll
; PTX:         // %loop.gp.check
; PTX-NEXT:    in Loop
; PTX-NEXT:    setp.gt.s32 %p{{[0-9]+}}, %[[SEEN]], 0;
; PTX-LABEL: .entry count_down__gp(

; TWO: kernel 'grid_stride': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; checks the flag every 2 iterations, counted by its exit test{{$}}
; TWO-IR-NOT: gp.flag.seen

; OFF-LABEL: define ptx_kernel void @grid_stride__gp(
; OFF-NOT:     gp.flag.seen
; OFF:       loop.gp.check:
; OFF-NEXT:    %gp.flag.address = load i64, ptr addrspace(3) @__gp_shared_flag
; OFF-NEXT:    %[[AT:.*]] = inttoptr i64 %gp.flag.address to ptr addrspace(1)
; OFF-NEXT:    %gp.flag{{[0-9]*}} = load volatile i32, ptr addrspace(1) %[[AT]]
