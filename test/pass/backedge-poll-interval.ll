; With a poll budget, a small loop checks the flag only every N-th back-edge
; (N = budget / instructions in the loop, rounded up to a power of two): a
; counter phi in the header, 0 on every entry (also the resume edge), counts
; back-edges in gp.poll; gp.check reads the flag on every N-th; gp.back is
; the one edge into the header. The yield saves the same values as without
; an interval, and the remark says the interval.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-exit-bound-polls=false -gpreempt-poll-budget=56 -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null
; Counters stay valid with several latches, nested routes, block-wide votes
; and local memory (verifier and llc on the other tests' kernels):
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-exit-bound-polls=false -gpreempt-poll-budget=4096 -S %S/multiple-backedges-one-layout.ll | %opt -passes=verify -S | %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 -o /dev/null
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-exit-bound-polls=false -gpreempt-poll-budget=4096 -S %S/nested-loop-resume-route.ll | %opt -passes=verify -S | %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 -o /dev/null
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-exit-bound-polls=false -gpreempt-poll-budget=4096 -S %S/collective-barrier-shared-yield.ll | %opt -passes=verify -S | %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 -o /dev/null
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-exit-bound-polls=false -gpreempt-poll-budget=4096 -S %S/local-memory-saved.ll | %opt -passes=verify -S | %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 -o /dev/null
; A budget of 0 checks at every back-edge: no counter.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-exit-bound-polls=false -gpreempt-poll-budget=0 -S %s | FileCheck %s --check-prefix=EVERY

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @scale(i32 %n, float %a, ptr %y) {
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
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

; 7 instructions in the loop (branches and phis do not count), budget 56:
; every 8th back-edge.
; REMARK: kernel 'scale': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; checks the flag every 8 iterations

; CHECK-LABEL: define ptx_kernel void @scale__gp(
; CHECK:       loop.gp.poll:
; CHECK:         %loop.gp.count.next = add i32 %loop.gp.count, 1
; CHECK-NEXT:    %[[LOW:.*]] = and i32 %loop.gp.count.next, 7
; CHECK-NEXT:    %gp.check.due = icmp eq i32 %[[LOW]], 0
; CHECK-NEXT:    br i1 %gp.check.due, label %loop.gp.check, label %loop.gp.back, !prof
; CHECK:       loop.gp.check:
; CHECK:         %[[FLAG:gp.flag[0-9]*]] = load volatile i32, ptr addrspace(1)
; CHECK-NEXT:    %gp.preempted = icmp sgt i32 %[[FLAG]], 0
; CHECK-NEXT:    br i1 %gp.preempted, label %loop.gp.yield, label %loop.gp.back, !prof
; CHECK:       loop.gp.back:
; CHECK:         br label %loop
; CHECK:       loop:
; CHECK:         %loop.gp.count = phi i32 [ 0, %{{.*}} ], [ %loop.gp.count.next, %loop.gp.back ], [ 0, %loop.gp.restore ]
; CHECK-NEXT:    %i = phi i32 [ %{{.*}}, %{{.*}} ], [ %i.next, %loop.gp.back ], [ %i.gp.restored, %loop.gp.restore ]
; CHECK:       loop.gp.yield:
; CHECK:         store i32 1, ptr addrspace(1) %gp.save.thread{{[0-9]*}}
; CHECK:         store i32 %i.next

; EVERY-LABEL: define ptx_kernel void @scale__gp(
; EVERY-NOT:   gp.count
; EVERY:       loop.gp.poll:
; EVERY:         %{{gp.flag[0-9]*}} = load volatile i32
