; A loop of constant trip count whose whole run is at most
; -gpreempt-short-loop-limit instructions (default 1024: four polls' budget)
; gets no yield point of its own: the check at block entry, or its enclosing
; loop's, comes that soon anyway, and a yield point costs more than its check
; (ptxas adds a YIELD to a loop whose exit depends on the flag or vote and
; issues the loop's loads later: jacobi2d's tile loop, 16 trips, was 10 %
; slower than plain with one, 7 % faster without). The remark gives the
; trip count and the run's size. Its enclosing loop counts its trips in its
; own interval; loops of unknown trip count keep their yield points; the
; block-collective kind loses its vote too (no barrier.red.or in the loop).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null
; One instruction below short16's run: it yields again.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-short-loop-limit=143 -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -disable-output %s 2>&1 | FileCheck %s --check-prefix=LIMIT
; A loop that calls a function is never short (the call's time is unknown),
; and checks at every back-edge (backedge-poll-interval-unknown-cost.ll).
; 0: no loop is left out for being short.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-short-loop-limit=0 -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -disable-output %s 2>&1 | FileCheck %s --check-prefix=NONE

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@tile = internal addrspace(3) global [256 x float] undef, align 4

define ptx_kernel void @short16(ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %loop

loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %acc = phi float [ 0.0, %entry ], [ %acc.next, %loop ]
  %row = mul i32 %i, 256
  %at = add i32 %row, %tid
  %idx = zext i32 %at to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %acc.next = fadd float %acc, %v
  store float %acc.next, ptr %p, align 4
  %i.next = add nuw nsw i32 %i, 1
  %more = icmp ult i32 %i.next, 16
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

define ptx_kernel void @runtime_trips(i32 %n, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %loop

loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %row = mul i32 %i, 256
  %at = add i32 %row, %tid
  %idx = zext i32 %at to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %w = fmul float %v, 2.0
  store float %w, ptr %p, align 4
  %i.next = add nuw nsw i32 %i, 1
  %more = icmp ult i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

define ptx_kernel void @outer_runtime_inner_short(i32 %n, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %outer

outer:
  %t = phi i32 [ 0, %entry ], [ %t.next, %outer.latch ]
  %base = mul i32 %t, 1024
  br label %inner

inner:
  %k = phi i32 [ 0, %outer ], [ %k.next, %inner ]
  %row = mul i32 %k, 256
  %off = add i32 %base, %row
  %at = add i32 %off, %tid
  %idx = zext i32 %at to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %w = fmul float %v, 2.0
  store float %w, ptr %p, align 4
  %k.next = add nuw nsw i32 %k, 1
  %kmore = icmp ult i32 %k.next, 4
  br i1 %kmore, label %inner, label %outer.latch

outer.latch:
  %t.next = add nuw nsw i32 %t, 1
  %more = icmp ult i32 %t.next, %n
  br i1 %more, label %outer, label %exit

exit:
  ret void
}

define ptx_kernel void @tiles16(ptr %in, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %slot = getelementptr inbounds float, ptr addrspace(3) @tile, i32 %tid
  %next = add i32 %tid, 1
  %nslot.i = and i32 %next, 255
  %nslot = getelementptr inbounds float, ptr addrspace(3) @tile, i32 %nslot.i
  br label %loop

loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %row = mul i32 %i, 256
  %at = add i32 %row, %tid
  %idx = zext i32 %at to i64
  %src = getelementptr inbounds float, ptr %in, i64 %idx
  %v = load float, ptr %src, align 4
  store float %v, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %u = load float, ptr addrspace(3) %nslot, align 4
  %dst = getelementptr inbounds float, ptr %out, i64 %idx
  store float %u, ptr %dst, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %i.next = add nuw nsw i32 %i, 1
  %more = icmp ult i32 %i.next, 16
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

define ptx_kernel void @calls64(ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %loop

loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %row = mul i32 %i, 256
  %at = add i32 %row, %tid
  %idx = zext i32 %at to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  call void @step(ptr %p)
  %i.next = add nuw nsw i32 %i, 1
  %more = icmp ult i32 %i.next, 64
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

define internal void @step(ptr %p) noinline {
  %v = load float, ptr %p, align 4
  %w = fmul float %v, 2.0
  store float %w, ptr %p, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; 16 trips of 9 instructions.
; REMARK: kernel 'short16' is preemptible: 0 yield point(s) on loop back-edges and at block entry; at most 4 bytes saved per thread
; REMARK: kernel 'short16': loop gets no yield point: it runs at most 16 iterations, about 144 instructions in all, which the checks before and after it bound (-gpreempt-short-loop-limit)
; REMARK: kernel 'runtime_trips': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; checks the flag every 32 iterations
; The outer loop's iteration: 4 x 10 inner instructions + 3 of its own, so
; every 8th back-edge (256 / 43, rounded up to a power of two); with the
; inner loop yielding itself it would count once: every 32nd (NONE).
; REMARK: kernel 'outer_runtime_inner_short': loop gets no yield point: it runs at most 4 iterations, about 40 instructions in all
; REMARK: kernel 'outer_runtime_inner_short': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; checks the flag every 8 iterations
; REMARK: kernel 'tiles16' is preemptible: 0 yield point(s) on loop back-edges and at block entry; at most 4 bytes saved per thread (0 of local memory); decisions per block; 1024 shared bytes saved per block
; REMARK: kernel 'tiles16': loop gets no yield point: it runs at most 16 iterations, about 208 instructions in all

; CHECK-LABEL: define ptx_kernel void @short16__gp(
; CHECK-NOT:   gp.poll
; CHECK-NOT:   gp.restore
; CHECK:       ret void
; CHECK-LABEL: define ptx_kernel void @runtime_trips__gp(
; CHECK:       loop.gp.poll:
; CHECK-LABEL: define ptx_kernel void @outer_runtime_inner_short__gp(
; CHECK-NOT:   inner.gp.poll
; CHECK:       outer.gp.poll:
; CHECK-NOT:   inner.gp.poll
; CHECK-LABEL: define ptx_kernel void @tiles16__gp(
; Both of the kernel's barriers stay plain; the only vote is the logical
; block's, at its end (gp.tail).
; CHECK-NOT:   gp.poll
; CHECK:       call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
; CHECK:       call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
; CHECK-NOT:   gp.poll
; CHECK:       gp.tail:
; CHECK-NEXT:    %gp.yielded = phi i1
; CHECK-NEXT:    %gp.any.yielded = call i1 @llvm.nvvm.barrier.cta.red.or.all(i32 0, i1 %gp.yielded)

; REMARK: kernel 'calls64': loop 1 yields on 1 back-edge(s)

; LIMIT: kernel 'short16': loop 1 yields on 1 back-edge(s), saving 12 bytes per thread; checks the flag every 32 iterations
; LIMIT: kernel 'outer_runtime_inner_short': loop gets no yield point: it runs at most 4 iterations

; NONE-NOT: no yield point
; NONE: kernel 'short16': loop 1 yields on 1 back-edge(s)
; With a yield point of its own the inner loop still runs its 4 iterations
; unchecked (its interval is larger): the outer loop counts them, as when
; it is short (poll-interval-nested.ll).
; NONE: kernel 'outer_runtime_inner_short': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; checks the flag every 8 iterations
; NONE: kernel 'outer_runtime_inner_short': loop 2 yields on 1 back-edge(s)
; NONE: kernel 'tiles16': loop 1 yields on 1 back-edge(s)
; NONE-NOT: no yield point
