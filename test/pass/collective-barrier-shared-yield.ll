; With block-collective yields, a kernel with __syncthreads and shared memory
; yields at the back-edge of a loop that all its threads run together: the
; poll is a block-wide vote (barrier.red.or), each thread saves its own
; values, the block saves its shared memory (the threads split the copy), and
; a resume restores shared memory and waits at a barrier before any thread
; re-enters the loop.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=0 -gpreempt-block-collective -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@tile = internal addrspace(3) global [256 x float] undef, align 4

; Each step averages a value with its neighbour's, exchanged through shared
; memory between two barriers.
define ptx_kernel void @smooth(i32 %iters, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %p = getelementptr inbounds float, ptr %y, i32 %tid
  %v0 = load float, ptr %p, align 4
  %slot = getelementptr inbounds [256 x float], ptr addrspace(3) @tile, i32 0, i32 %tid
  %nb = xor i32 %tid, 1
  %nslot = getelementptr inbounds [256 x float], ptr addrspace(3) @tile, i32 0, i32 %nb
  br label %loop

loop:
  %it = phi i32 [ 0, %entry ], [ %it.next, %loop ]
  %v = phi float [ %v0, %entry ], [ %v.next, %loop ]
  store float %v, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %n = load float, ptr addrspace(3) %nslot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %s = fadd float %v, %n
  %v.next = fmul float %s, 5.000000e-01
  %it.next = add i32 %it, 1
  %more = icmp slt i32 %it.next, %iters
  br i1 %more, label %loop, label %exit

exit:
  store float %v.next, ptr %p, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; REMARK: remark: <unknown>:0:0: kernel 'smooth' is preemptible: 1 yield point(s) on loop back-edges and at block entry; at most 12 bytes saved per thread (0 of local memory); decisions per block; 1024 shared bytes saved per block

; Resume point + it + v per thread; 256 words of shared memory per block.
; CHECK: @smooth__gp_info = addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 5, i32 0, i32 3, i32 2, i32 1, i32 256]

; CHECK-LABEL: define ptx_kernel void @smooth__gp(
; The block's save region: its threads' words, then its shared memory.
; CHECK:       gp.prologue:
; CHECK:         %[[TW:[0-9]+]] = mul i64 %{{[0-9]+}}, 3
; CHECK-NEXT:    %[[BW:[0-9]+]] = add i64 %[[TW]], 256
; CHECK-NEXT:    %gp.save.block = mul i64 %{{[0-9]+}}, %[[BW]]
; CHECK:         %gp.save.shared{{[0-9]*}} = getelementptr i8, ptr addrspace(1) %gp.save.g
; The vote: all threads leave, or none. The loop's last __syncthreads
; becomes it (barrier.red.or has the barrier's effect): no barrier is added.
; The flag is read at the top of the iteration, off the way to the barrier.
; CHECK:       loop.gp.poll:
; CHECK-NEXT:    br i1 %gp.block.preempted, label %loop.gp.yield, label %loop
; CHECK:       loop:
; CHECK:         %[[F:.*]] = load volatile i32, ptr addrspace(1) %gp.flag.g{{[0-9]*}}
; CHECK-NEXT:    %[[R:.*]] = icmp sgt i32 %[[F]], 0
; CHECK-NEXT:    store float %v, ptr addrspace(3) %slot
; CHECK-NEXT:    call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
; CHECK-NEXT:    %n = load float, ptr addrspace(3) %nslot
; CHECK-NEXT:    %gp.block.preempted = call i1 @llvm.nvvm.barrier.cta.red.or.aligned.all(i32 0, i1 %[[R]])
; Resume: shared memory back (thread t moves words t, t+threads, ...), one
; barrier, then into the loop.
; CHECK:       gp.resume.local:
; CHECK:       gp.copy.shared:
; CHECK:         %[[I:.*]] = phi i64 [ %{{.*}}, %gp.resume.local ], [ %[[NEXT:.*]], %gp.copy.shared.body ]
; CHECK-NEXT:    %[[MORE:.*]] = icmp ult i64 %[[I]], 256
; CHECK:       gp.copy.shared.body:
; CHECK:         %[[W:.*]] = load i32, ptr addrspace(1)
; CHECK-NEXT:    store i32 %[[W]], ptr addrspace(3)
; CHECK:         %[[NEXT]] = add i64 %[[I]], %{{.*}}
; CHECK:       gp.copy.shared.done:
; CHECK:         call void @llvm.nvvm.barrier.cta.sync.all(i32 0)
; CHECK-NEXT:    switch i32 %gp.resume.point, label %gp.trap [
; CHECK-NEXT:      i32 1, label %loop.gp.restore
; Yield: this thread's words, then its share of the shared memory.
; CHECK:       loop.gp.yield:
; CHECK:         store i32 1, ptr addrspace(1) %gp.save.thread{{[0-9]*}}
; CHECK:         store i32 %it.next
; CHECK:       gp.copy.shared.body{{[0-9]+}}:
; CHECK:         %[[SW:.*]] = load i32, ptr addrspace(3)
; CHECK-NEXT:    store i32 %[[SW]], ptr addrspace(1)
