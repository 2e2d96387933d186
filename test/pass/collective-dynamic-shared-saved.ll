; extern __shared__ memory live across a yield point is saved and restored at
; its launch size: the variant reads %dynamic_smem_size, its block's save
; region grows by that many bytes (after the static shared memory), the
; threads split the copy in both directions, and the kernel's info says
; GP_INFO_DYNAMIC_SHARED (flags 3) so the runtime sizes save areas from the
; launch. Two extern arrays alias one another: the memory is saved once.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o %t.ptx
; RUN: FileCheck %s --check-prefix=PTX < %t.ptx

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@tile = external addrspace(3) global [0 x float], align 16
@tile_bits = external addrspace(3) global [0 x i32], align 16
@count = internal addrspace(3) global i32 undef, align 4

define ptx_kernel void @smooth(i32 %rounds, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v0 = load float, ptr %p, align 4
  %mine = getelementptr inbounds [0 x float], ptr addrspace(3) @tile, i32 0, i32 %tid
  store float %v0, ptr addrspace(3) %mine, align 4
  store i32 0, ptr addrspace(3) @count, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  br label %loop

loop:
  %r = phi i32 [ 0, %entry ], [ %r.next, %loop ]
  %v = load float, ptr addrspace(3) %mine, align 4
  %bits.p = getelementptr inbounds [0 x i32], ptr addrspace(3) @tile_bits, i32 0, i32 0
  %bits = load i32, ptr addrspace(3) %bits.p, align 4
  %b = sitofp i32 %bits to float
  %w = fadd float %v, %b
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  store float %w, ptr addrspace(3) %mine, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %r.next = add i32 %r, 1
  %more = icmp slt i32 %r.next, %rounds
  br i1 %more, label %loop, label %exit

exit:
  %out = load float, ptr addrspace(3) %mine, align 4
  store float %out, ptr %p, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; REMARK: kernel 'smooth' is preemptible: 1 yield point(s)
; REMARK-SAME: decisions per block; 4 shared bytes saved per block plus the launch's dynamic shared memory

; CHECK:       @smooth__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 7, i32 0, i32 {{[0-9]+}}, i32 2, i32 1, i32 1]
; CHECK-LABEL: define ptx_kernel void @smooth__gp(
; CHECK:       gp.prologue:
; CHECK:         %gp.dynamic.bytes = call i32 @llvm.nvvm.read.ptx.sreg.dynamic_smem_size()
; CHECK:         %gp.dynamic.words = lshr i64 %{{.*}}, 2
; CHECK:         add i64 %{{.*}}, %gp.dynamic.words
; The resume copies it back before the barrier that lets threads go on...
; CHECK:       gp.copy.dynamic.body:
; CHECK:         getelementptr i8, ptr addrspace(3) @tile
; CHECK:       gp.copy.dynamic.done:
; CHECK-NEXT:    call void @llvm.nvvm.barrier.cta.sync.all(i32 0)
; ...and a yield saves it: one copy, not one per extern array.
; CHECK:       loop.gp.yield:
; CHECK:       gp.copy.dynamic.body{{[0-9]+}}:
; CHECK:         getelementptr i8, ptr addrspace(3) @tile
; CHECK-NOT:   @tile_bits, i64
; CHECK-NOT:   gp.copy.dynamic.body
; CHECK:       }

; PTX: mov.u32 %r{{[0-9]+}}, %dynamic_smem_size;
