; What a loop's poll interval counts for work whose time the pass cannot
; see: a call that was not inlined (it may run as long as it likes, and its
; own loops never yield) and a memory intrinsic of run-time length (a loop
; once lowered) count as more than any budget, so such a loop checks the
; flag at every back-edge: a check is a load and a branch, the call at least
; a call. A memory intrinsic of constant length counts its 16-byte pieces.
; An enclosing loop counts its inner loops' work, so it checks at every
; back-edge too.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-exit-bound-polls=false -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

; Four instructions and a call: every back-edge (with the call counted as
; one, the default budget of 256 gave every 64th).
define ptx_kernel void @calls(i32 %n, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %loop

loop:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %loop ]
  %idx = zext i32 %i to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  call void @step(ptr %p)
  %i.next = add i32 %i, 32
  %more = icmp ult i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

; A copy of run-time length per iteration: every back-edge.
define ptx_kernel void @copies(i32 %n, i64 %len, ptr addrspace(1) %dst, ptr addrspace(1) %src) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %loop

loop:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %loop ]
  %off = zext i32 %i to i64
  %at = mul i64 %off, %len
  %d = getelementptr inbounds i8, ptr addrspace(1) %dst, i64 %at
  %s = getelementptr inbounds i8, ptr addrspace(1) %src, i64 %at
  call void @llvm.memcpy.p1.p1.i64(ptr addrspace(1) %d, ptr addrspace(1) %s, i64 %len, i1 false)
  %i.next = add i32 %i, 32
  %more = icmp ult i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

; A copy of 256 bytes: 1 + 16 for it and 6 more, 23 per iteration: every
; 16th back-edge (256 / 23, rounded up to a power of two).
define ptx_kernel void @copies256(i32 %n, ptr addrspace(1) %dst, ptr addrspace(1) %src) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %loop

loop:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %loop ]
  %off = zext i32 %i to i64
  %at = shl i64 %off, 8
  %d = getelementptr inbounds i8, ptr addrspace(1) %dst, i64 %at
  %s = getelementptr inbounds i8, ptr addrspace(1) %src, i64 %at
  call void @llvm.memcpy.p1.p1.i64(ptr addrspace(1) %d, ptr addrspace(1) %s, i64 256, i1 false)
  %i.next = add i32 %i, 32
  %more = icmp ult i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

; The call is in the inner loop, which yields itself; the outer loop's
; iteration holds it too, so the outer loop checks at every back-edge as
; well.
define ptx_kernel void @outer_of_call(i32 %n, i32 %m, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %outer

outer:
  %j = phi i32 [ 0, %entry ], [ %j.next, %outer.latch ]
  br label %inner

inner:
  %i = phi i32 [ %tid, %outer ], [ %i.next, %inner ]
  %row = mul i32 %j, %m
  %at = add i32 %row, %i
  %idx = zext i32 %at to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  call void @step(ptr %p)
  %i.next = add i32 %i, 32
  %more = icmp ult i32 %i.next, %m
  br i1 %more, label %inner, label %outer.latch

outer.latch:
  %j.next = add i32 %j, 1
  %again = icmp ult i32 %j.next, %n
  br i1 %again, label %outer, label %exit

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
declare void @llvm.memcpy.p1.p1.i64(ptr addrspace(1), ptr addrspace(1), i64, i1)

; REMARK-DAG: kernel 'calls': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread{{$}}
; REMARK-DAG: kernel 'copies': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread{{$}}
; REMARK-DAG: kernel 'copies256': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; checks the flag every 16 iterations
; REMARK-DAG: kernel 'outer_of_call': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread{{$}}
; REMARK-DAG: kernel 'outer_of_call': loop 2 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread{{$}}

; Every back-edge: the flag is read in gp.poll itself, no counter.
; CHECK-LABEL: define ptx_kernel void @calls__gp(
; CHECK-NOT:   gp.count
; CHECK:       loop.gp.poll:
; CHECK:         load volatile i32, ptr addrspace(1)
; CHECK-LABEL: define ptx_kernel void @copies__gp(
; CHECK-NOT:   gp.count
; CHECK:       loop.gp.poll:
; CHECK:         load volatile i32, ptr addrspace(1)
; CHECK-LABEL: define ptx_kernel void @copies256__gp(
; CHECK:       loop.gp.poll:
; CHECK:         %loop.gp.count.next = add i32 %loop.gp.count, 1
; CHECK-NEXT:    %{{.*}} = and i32 %loop.gp.count.next, 15
