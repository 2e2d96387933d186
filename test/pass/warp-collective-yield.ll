; A kernel whose only collective operations are warp-synchronous (here a
; shuffle; no barrier, no shared memory) yields per warp: at a back-edge a
; warp leaves only if all its lanes are there (activemask equals the lanes
; the warp has, so none is elsewhere, waiting for the others at a shuffle)
; and one of them saw the flag (vote.any.sync, made only then). Its loop is
; divergent across the block (a warp per row) and still yields. The same
; loop with shared memory stays block-collective: its divergent loop is
; converged (collective-converge-grid-stride.ll), and since it shuffles,
; the lanes of a warp decide there together, as here.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-block-collective -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o - | FileCheck %s --check-prefix=PTX

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@partial = internal addrspace(3) global [8 x float] undef, align 4

; out[row] = sum of x[row * 32 + lane] over the warp, a warp per row.
define ptx_kernel void @row_sums(i32 %rows, ptr %x, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %ctaid = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %nctaid = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
  %lane = and i32 %tid, 31
  %base = mul i32 %ctaid, %ntid
  %gtid = add i32 %base, %tid
  %first = lshr i32 %gtid, 5
  %all = mul i32 %nctaid, %ntid
  %warps = lshr i32 %all, 5
  %any = icmp ult i32 %first, %rows
  br i1 %any, label %row, label %exit

row:
  %r = phi i32 [ %first, %entry ], [ %r.next, %row ]
  %at = mul i32 %r, 32
  %i = add i32 %at, %lane
  %p = getelementptr inbounds float, ptr %x, i32 %i
  %v = load float, ptr %p, align 4
  %s1 = call float @llvm.nvvm.shfl.sync.bfly.f32(i32 -1, float %v, i32 16, i32 31)
  %sum = fadd float %v, %s1
  %q = getelementptr inbounds float, ptr %out, i32 %r
  store float %sum, ptr %q, align 4
  %r.next = add i32 %r, %warps
  %more = icmp ult i32 %r.next, %rows
  br i1 %more, label %row, label %exit

exit:
  ret void
}

; The same, with each warp's first lane also writing shared memory.
define ptx_kernel void @row_sums_shared(i32 %rows, ptr %x, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %ctaid = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %nctaid = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
  %lane = and i32 %tid, 31
  %warp = lshr i32 %tid, 5
  %base = mul i32 %ctaid, %ntid
  %gtid = add i32 %base, %tid
  %first = lshr i32 %gtid, 5
  %all = mul i32 %nctaid, %ntid
  %warps = lshr i32 %all, 5
  %slot = getelementptr inbounds [8 x float], ptr addrspace(3) @partial, i32 0, i32 %warp
  %any = icmp ult i32 %first, %rows
  br i1 %any, label %row, label %exit

row:
  %r = phi i32 [ %first, %entry ], [ %r.next, %row ]
  %at = mul i32 %r, 32
  %i = add i32 %at, %lane
  %p = getelementptr inbounds float, ptr %x, i32 %i
  %v = load float, ptr %p, align 4
  %s1 = call float @llvm.nvvm.shfl.sync.bfly.f32(i32 -1, float %v, i32 16, i32 31)
  %sum = fadd float %v, %s1
  store float %sum, ptr addrspace(3) %slot, align 4
  %r.next = add i32 %r, %warps
  %more = icmp ult i32 %r.next, %rows
  br i1 %more, label %row, label %exit

exit:
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
declare float @llvm.nvvm.shfl.sync.bfly.f32(i32, float, i32, i32)

; REMARK: kernel 'row_sums' is preemptible: 1 yield point(s)
; REMARK-SAME: decisions per warp; 0 shared bytes saved per block
; REMARK: kernel 'row_sums': loop 1 yields on 1 back-edge(s)
; REMARK: kernel 'row_sums_shared' is preemptible: 2 yield point(s)
; REMARK-SAME: decisions per block
; REMARK: kernel 'row_sums_shared': loop 1 yields on 1 back-edge(s)
; REMARK-SAME: its threads leave it at different iterations and wait for each other after it

; All 32 lanes here (the common case), or, in a partial last warp, all the
; lanes it has: then the vote; a split warp does not vote and goes on.
; CHECK-LABEL: define ptx_kernel void @row_sums__gp(
; CHECK:       row.gp.check:
; CHECK:         %gp.preempted = icmp sgt i32 %gp.flag{{[0-9]*}}, 0
; CHECK-NEXT:    %gp.warp.active = call i32 @llvm.nvvm.activemask()
; CHECK-NEXT:    %gp.warp.full = icmp eq i32 %gp.warp.active, -1
; CHECK-NEXT:    br i1 %gp.warp.full, label %row.gp.check.gp.warp.vote, label %row.gp.check.gp.warp.partial
; CHECK:       row.gp.check.gp.warp.partial:
; CHECK:         %gp.warp.left = sub i32
; CHECK:         %gp.warp.lanes = select i1 %{{.*}}, i32 -1, i32 %{{.*}}
; CHECK-NEXT:    %gp.warp.whole = icmp eq i32 %gp.warp.active, %gp.warp.lanes
; CHECK-NEXT:    br i1 %gp.warp.whole, label %row.gp.check.gp.warp.vote, label %row.gp.check.gp.warp
; CHECK:       row.gp.check.gp.warp.vote:
; CHECK-NEXT:    %gp.warp.mask = phi i32 [ -1, %row.gp.check ], [ %gp.warp.lanes, %row.gp.check.gp.warp.partial ]
; CHECK-NEXT:    %gp.warp.preempted = call i1 @llvm.nvvm.vote.any.sync(i32 %gp.warp.mask, i1 %gp.preempted)
; CHECK-NEXT:    br label %row.gp.check.gp.warp
; CHECK:       row.gp.check.gp.warp:
; CHECK-NEXT:    %gp.warp.decision = phi i1 [ false, %row.gp.check.gp.warp.partial ], [ %gp.warp.preempted, %row.gp.check.gp.warp.vote ]
; CHECK-NEXT:    br i1 %gp.warp.decision, label %row.gp.yield, label %row.gp.back
; No block-wide vote in a warp-collective kernel.
; CHECK-NOT:     gp.block.preempted
; CHECK:       }

; CHECK-LABEL: define ptx_kernel void @row_sums_shared__gp(
; CHECK:       row.gp.check:
; CHECK:         %gp.yields = or i1 %gp.preempted, %{{.*}}
; CHECK:         %gp.warp.active = call i32 @llvm.nvvm.activemask()
; CHECK:       row.gp.check.gp.warp.vote:
; CHECK:         call i1 @llvm.nvvm.vote.any.sync(i32 %gp.warp.mask, i1 %gp.yields)
; CHECK:       row.gp.yield:
; CHECK:         store volatile i32 1, ptr addrspace(3) @__gp_shared_decision
; CHECK:       }

; PTX-LABEL: .entry row_sums__gp(
; PTX:         activemask.b32
; PTX:         vote.sync.any.pred
; PTX:       }
