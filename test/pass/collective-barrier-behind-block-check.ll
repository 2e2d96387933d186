; A barrier behind a condition on blockIdx (the block's last partial tile, a
; block that has nothing to do) is reached by all threads of a block or by
; none: it is not a divergent barrier, and the kernel is preemptible.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@tile = internal addrspace(3) global [256 x float] undef, align 4

define ptx_kernel void @last_block_skips(i32 %blocks, i32 %rounds, ptr %y) {
entry:
  %bid = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %active = icmp ult i32 %bid, %blocks
  br i1 %active, label %work, label %exit

work:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %slot = getelementptr inbounds [256 x float], ptr addrspace(3) @tile, i32 0, i32 %tid
  store float 1.0, ptr addrspace(3) %slot, align 4
  br label %loop

loop:
  %r = phi i32 [ 0, %work ], [ %r.next, %loop ]
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %v = load float, ptr addrspace(3) %slot, align 4
  %w = fmul float %v, 2.0
  store float %w, ptr addrspace(3) %slot, align 4
  %r.next = add i32 %r, 1
  %more = icmp slt i32 %r.next, %rounds
  br i1 %more, label %loop, label %done

done:
  %out = load float, ptr addrspace(3) %slot, align 4
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  store float %out, ptr %p, align 4
  br label %exit

exit:
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; REMARK-NOT: left unpreemptible
; REMARK: kernel 'last_block_skips' is preemptible: 1 yield point(s)
; REMARK-SAME: decisions per block
