; The loops inside a converged loop yield too, as parts of it (on by
; default since session 15; -gpreempt-converge-inner=false leaves them
; without yield points, as before, for measurements). Here a grid-stride
; loop over points (converged: its threads leave it at different
; iterations; shared memory makes the kernel block-collective) holds a loop
; over 64 centroids. Off, the inner loop never yields and the outer loop's
; check comes once per point (a whole inner run); on, each thread checks
; in the inner loop too, on its own: the flag or the block's decision word,
; and on a yield sets the word and meets the others at the converged loop's
; join, as the outer loop's yield does, saving the inner loop's state.
; A converged loop with warp operations (nearest_lanes: a shuffle per
; point) keeps its inner loops without yield points: its lanes must stop
; together, and a thread yielding on its own inside would not.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-exit-bound-polls=false -gpreempt-converge-inner=false -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -disable-output %s 2>&1 | FileCheck %s --check-prefix=OFF
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-exit-bound-polls=false -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

; OFF: kernel 'nearest': loop gets no yield point: it is inside a loop whose threads wait for each other at its exit, which yields
; OFF: kernel 'nearest': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; its threads leave it at different iterations and wait for each other after it

; REMARK: kernel 'nearest' is preemptible: 3 yield point(s)
; REMARK-NOT: kernel 'nearest': loop gets no yield point
; REMARK: kernel 'nearest': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; its threads
; REMARK: kernel 'nearest': loop 2 yields on 1 back-edge(s), saving 36 bytes per thread; checks the flag every 16 iterations
; REMARK: kernel 'nearest_lanes' is preemptible: 2 yield point(s)
; REMARK: kernel 'nearest_lanes': loop gets no yield point: it is inside a loop whose threads wait for each other at its exit, which yields
; REMARK: kernel 'nearest_lanes': loop 1 yields on 1 back-edge(s)

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@centre = internal addrspace(3) global [64 x float] undef, align 4

define ptx_kernel void @nearest(i32 %n, ptr %pts, ptr %cent, ptr %label) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %stage = icmp ult i32 %tid, 64
  br i1 %stage, label %load.centre, label %staged

load.centre:
  %t64 = zext i32 %tid to i64
  %dst = getelementptr inbounds float, ptr addrspace(3) @centre, i64 %t64
  %src = getelementptr inbounds float, ptr %cent, i64 %t64
  %cv = load float, ptr %src, align 4
  store float %cv, ptr addrspace(3) %dst, align 4
  br label %staged

staged:
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %ctaid = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %base = mul i32 %ctaid, %ntid
  %first = add i32 %base, %tid
  %any = icmp ult i32 %first, %n
  br i1 %any, label %pre, label %exit

pre:
  %nctaid = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
  %stride = mul i32 %ntid, %nctaid
  br label %point

point:
  %p = phi i32 [ %first, %pre ], [ %p.next, %point.done ]
  %p64 = zext i32 %p to i64
  %px = getelementptr inbounds float, ptr %pts, i64 %p64
  %x = load float, ptr %px, align 4
  %half = fmul float %x, 5.000000e-01
  br label %centroid

centroid:
  %k = phi i32 [ 0, %point ], [ %k.next, %centroid ]
  %bk = phi i32 [ 0, %point ], [ %bk.next, %centroid ]
  %best = phi float [ 0x46293E5940000000, %point ], [ %best.next, %centroid ]
  %k64 = zext i32 %k to i64
  %pc = getelementptr inbounds float, ptr addrspace(3) @centre, i64 %k64
  %c = load float, ptr addrspace(3) %pc, align 4
  %dx = fsub float %x, %c
  %d0 = fmul float %dx, %dx
  %d1 = fmul float %d0, %d0
  %xc = fmul float %x, %c
  %d2 = fadd float %xc, %d1
  %d3 = fmul float %d2, %d2
  %d4 = fadd float %half, %d3
  %d5 = fmul float %d4, %d4
  %qc = fmul float %c, 2.500000e-01
  %d = fsub float %d5, %qc
  %nearer = fcmp olt float %d, %best
  %best.next = select i1 %nearer, float %d, float %best
  %bk.next = select i1 %nearer, i32 %k, i32 %bk
  %k.next = add nuw nsw i32 %k, 1
  %all = icmp eq i32 %k.next, 64
  br i1 %all, label %point.done, label %centroid

point.done:
  %pl = getelementptr inbounds i32, ptr %label, i64 %p64
  store i32 %bk.next, ptr %pl, align 4
  %p.next = add i32 %p, %stride
  %more = icmp ult i32 %p.next, %n
  br i1 %more, label %point, label %exit

exit:
  ret void
}

define ptx_kernel void @nearest_lanes(i32 %n, ptr %pts, ptr %cent, ptr %label) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %stage = icmp ult i32 %tid, 64
  br i1 %stage, label %load.centre, label %staged

load.centre:
  %t64 = zext i32 %tid to i64
  %dst = getelementptr inbounds float, ptr addrspace(3) @centre, i64 %t64
  %src = getelementptr inbounds float, ptr %cent, i64 %t64
  %cv = load float, ptr %src, align 4
  store float %cv, ptr addrspace(3) %dst, align 4
  br label %staged

staged:
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %ctaid = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %base = mul i32 %ctaid, %ntid
  %first = add i32 %base, %tid
  %any = icmp ult i32 %first, %n
  br i1 %any, label %pre, label %exit

pre:
  %nctaid = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
  %stride = mul i32 %ntid, %nctaid
  br label %point

point:
  %p = phi i32 [ %first, %pre ], [ %p.next, %point.done ]
  %p64 = zext i32 %p to i64
  %px = getelementptr inbounds float, ptr %pts, i64 %p64
  %x = load float, ptr %px, align 4
  %half = fmul float %x, 5.000000e-01
  br label %centroid

centroid:
  %k = phi i32 [ 0, %point ], [ %k.next, %centroid ]
  %bk = phi i32 [ 0, %point ], [ %bk.next, %centroid ]
  %best = phi float [ 0x46293E5940000000, %point ], [ %best.next, %centroid ]
  %k64 = zext i32 %k to i64
  %pc = getelementptr inbounds float, ptr addrspace(3) @centre, i64 %k64
  %c = load float, ptr addrspace(3) %pc, align 4
  %dx = fsub float %x, %c
  %d0 = fmul float %dx, %dx
  %d1 = fmul float %d0, %d0
  %xc = fmul float %x, %c
  %d2 = fadd float %xc, %d1
  %d3 = fmul float %d2, %d2
  %d4 = fadd float %half, %d3
  %d5 = fmul float %d4, %d4
  %qc = fmul float %c, 2.500000e-01
  %d = fsub float %d5, %qc
  %nearer = fcmp olt float %d, %best
  %best.next = select i1 %nearer, float %d, float %best
  %bk.next = select i1 %nearer, i32 %k, i32 %bk
  %k.next = add nuw nsw i32 %k, 1
  %all = icmp eq i32 %k.next, 64
  br i1 %all, label %point.done, label %centroid

point.done:
  %pl = getelementptr inbounds i32, ptr %label, i64 %p64
  %mate = call i32 @llvm.nvvm.shfl.sync.bfly.i32(i32 -1, i32 %bk.next, i32 1, i32 31)
  %pair = add i32 %bk.next, %mate
  store i32 %pair, ptr %pl, align 4
  %p.next = add i32 %p, %stride
  %more = icmp ult i32 %p.next, %n
  br i1 %more, label %point, label %exit

exit:
  ret void
}

declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)
declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
declare i32 @llvm.nvvm.shfl.sync.bfly.i32(i32, i32, i32, i32)

; CHECK-LABEL: define ptx_kernel void @nearest__gp(
; The inner loop's check: the flag, or another thread's decision.
; CHECK:       centroid.gp.check:
; CHECK:         %[[D:gp.decision[0-9]*]] = load volatile i32, ptr addrspace(3) @__gp_shared_decision
; CHECK:         br i1 %gp.yields{{[0-9]*}}, label %centroid.gp.yield, label %centroid.gp.back
; A resume of the inner loop goes through the outer loop's route.
; CHECK:       centroid.gp.restore:
; CHECK-SAME:    preds = %point.gp.route
; Its yield: tell the block, meet at the join, then save (resume point 2).
; CHECK:       centroid.gp.yield:
; CHECK:         store volatile i32 1, ptr addrspace(3) @__gp_shared_decision
; CHECK-NEXT:    %gp.met{{[0-9]*}} = call i32 asm sideeffect
; CHECK-SAME:    red.relaxed.cta.shared.or.b32
; CHECK-NEXT:    store i32 2, ptr addrspace(1) %gp.save.thread
