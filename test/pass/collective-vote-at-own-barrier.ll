; In a block-collective kernel, a loop with a __syncthreads of its own that
; runs in every iteration votes there: on every N-th iteration that barrier
; becomes barrier.red.or with "the flag is raised" (the others keep the
; plain barrier and vote no), and the back-edge only branches on the
; result, adding no barrier. A uniform inner loop without a barrier gets no yield point (its
; vote would add a barrier to every few iterations); the enclosing loop's
; vote bounds the wait. A barrier-free uniform loop elsewhere still votes on
; its own, every N-th back-edge.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o %t.ptx
; RUN: FileCheck %s --check-prefix=PTX < %t.ptx
; RUN: %ptxas -arch=sm_90 %t.ptx -o /dev/null
; -gpreempt-fuse-votes=false (for A/B measurements) leaves the kernel's
; barriers alone: every uniform loop, the inner one too, votes at a barrier
; of its own.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-fuse-votes=false -pass-remarks=gpreempt -S %s -o %t.nofuse.ll 2>&1 | FileCheck %s --check-prefix=NOFUSE-REMARK
; RUN: FileCheck %s --check-prefix=NOFUSE < %t.nofuse.ll
; RUN: %opt -passes=verify -disable-output %t.nofuse.ll

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@tile = internal addrspace(3) global [256 x float] undef, align 4

define ptx_kernel void @tiles(i32 %ntiles, i32 %rounds, ptr %in, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %slot = getelementptr inbounds [256 x float], ptr addrspace(3) @tile, i32 0, i32 %tid
  br label %tile.loop

tile.loop:                               ; loads a tile, then sums over it
  %t = phi i32 [ 0, %entry ], [ %t.next, %tile.latch ]
  %acc = phi float [ 0.0, %entry ], [ %acc.tile, %tile.latch ]
  %src = getelementptr inbounds float, ptr %in, i32 %t
  %x = load float, ptr %src, align 4
  store float %x, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  br label %sum.loop

sum.loop:                                ; uniform, no barrier of its own
  %j = phi i32 [ 0, %tile.loop ], [ %j.next, %sum.loop ]
  %acc.in = phi float [ %acc, %tile.loop ], [ %acc.next, %sum.loop ]
  %e = getelementptr inbounds [256 x float], ptr addrspace(3) @tile, i32 0, i32 %j
  %v = load float, ptr addrspace(3) %e, align 4
  %acc.next = fadd float %acc.in, %v
  %j.next = add i32 %j, 1
  %more.j = icmp ult i32 %j.next, 256
  br i1 %more.j, label %sum.loop, label %tile.latch

tile.latch:
  %acc.tile = phi float [ %acc.next, %sum.loop ]
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %t.next = add i32 %t, 1
  %more.t = icmp slt i32 %t.next, %ntiles
  br i1 %more.t, label %tile.loop, label %spin.loop

spin.loop:                               ; uniform, barrier-free, on its own
  %k = phi i32 [ 0, %tile.latch ], [ %k.next, %spin.loop ]
  %s = phi float [ %acc.tile, %tile.latch ], [ %s.next, %spin.loop ]
  %s.next = fmul float %s, 0.5
  %k.next = add i32 %k, 1
  %more.k = icmp slt i32 %k.next, %rounds
  br i1 %more.k, label %spin.loop, label %exit

exit:
  %o = getelementptr inbounds float, ptr %out, i32 %tid
  store float %s.next, ptr %o, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; REMARK: kernel 'tiles' is preemptible: 2 yield point(s)
; REMARK-SAME: decisions per block
; REMARK: kernel 'tiles': loop gets no yield point: an enclosing loop yields at its own __syncthreads, which costs no extra barrier; a vote here would add one
; REMARK: kernel 'tiles': loop 1 yields on 1 back-edge(s), saving 12 bytes per thread; checks the flag every {{[0-9]+}} iterations
; REMARK: kernel 'tiles': loop 2 yields on 1 back-edge(s), saving 12 bytes per thread; checks the flag every {{[0-9]+}} iterations

; CHECK-LABEL: define ptx_kernel void @tiles__gp(
; The tile loop's back-edge only branches on its vote.
; CHECK:       tile.loop.gp.poll:
; CHECK-NEXT:    br i1 %gp.block.preempted, label %tile.loop.gp.yield, label %tile.loop
; CHECK:       tile.loop:
; CHECK-NEXT:    %tile.loop.gp.count = phi i32 [ 0, %entry ], [ %tile.loop.gp.count.next, %tile.loop.gp.poll ], [ 0, %tile.loop.gp.restore ]
; The first barrier stays.
; CHECK:         call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
; CHECK-NOT:   sum.loop.gp.poll:
; The last one votes on every N-th iteration: the flag is read and the
; barrier becomes barrier.red.or there; the other iterations keep the plain
; barrier and vote no.
; CHECK:       tile.latch:
; CHECK:         %tile.loop.gp.count.next = add i32 %tile.loop.gp.count, 1
; CHECK:         br i1 %gp.vote.due, label %tile.latch.gp.vote, label %tile.latch.gp.sync
; CHECK:       tile.latch.gp.sync:
; CHECK-NEXT:    call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
; CHECK-NEXT:    br label %tile.latch.gp.on
; CHECK:       tile.latch.gp.vote:
; CHECK-NEXT:    %[[FA:gp.flag.address[0-9]*]] = load i64, ptr addrspace(3) @__gp_shared_flag
; CHECK-NEXT:    %[[FG:gp.flag.g[0-9]*]] = inttoptr i64 %[[FA]] to ptr addrspace(1)
; CHECK-NEXT:    %[[F:gp.flag[0-9]*]] = load volatile i32, ptr addrspace(1) %[[FG]]
; CHECK-NEXT:    %gp.preempted = icmp sgt i32 %[[F]], 0
; CHECK-NEXT:    %gp.block.voted = call i1 @llvm.nvvm.barrier.cta.red.or.aligned.all(i32 0, i1 %gp.preempted)
; CHECK-NEXT:    br label %tile.latch.gp.on
; CHECK:       tile.latch.gp.on:
; CHECK-NEXT:    %gp.block.preempted = phi i1 [ false, %tile.latch.gp.sync ], [ %gp.block.voted, %tile.latch.gp.vote ]
; The barrier-free loop votes with a barrier of its own, every N-th time.
; CHECK:       spin.loop.gp.check:
; CHECK:         call i1 @llvm.nvvm.barrier.cta.red.or.all(i32 0,

; PTX: bar.red.or.pred

; NOFUSE-REMARK: kernel 'tiles' is preemptible: 3 yield point(s)
; NOFUSE-LABEL: define ptx_kernel void @tiles__gp(
; NOFUSE-NOT:     gp.vote
; The tile loop counts its inner loop's whole interval (a run that short
; passes no vote of its own, poll-interval-nested.ll): it votes at every
; back-edge, in gp.poll itself.
; NOFUSE:       tile.loop.gp.poll:
; NOFUSE:         call i1 @llvm.nvvm.barrier.cta.red.or.all(i32 0,
; NOFUSE:       tile.loop.gp.body:
; NOFUSE:         call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
; NOFUSE:       sum.loop.gp.check:
; NOFUSE:         call i1 @llvm.nvvm.barrier.cta.red.or.all(i32 0,
; NOFUSE:       tile.latch:
; NOFUSE:         call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
