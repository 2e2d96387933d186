; -gpreempt-memory-weight=W (an experiment, 0 by default): each 4 bytes that
; an iteration loads, stores or updates atomically in global memory adds W
; instructions to it in the poll interval, since a loop that streams memory
; on a full GPU runs at the memory's bandwidth, not at its instruction
; count. Only where each thread checks on its own: a kernel whose block
; votes keeps its interval (a vote more often is a barrier more often).
; axpy's iteration loads x[i] and y[i] and stores y[i] (3 words); shared
; memory never counts, through an addrspace(3) pointer or a generic one
; cast from it (as clang reaches __shared__ arrays). A converged loop of a
; block-collective kernel (its threads check on their own) gets the weight;
; a loop around one that votes counts it as it did without the weight, so
; the weight never lengthens an interval.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -disable-output %s 2>&1 | FileCheck %s --check-prefix=OFF
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-memory-weight=16 -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=W16
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o %t.ptx
; RUN: %ptxas -arch=sm_90 %t.ptx -o /dev/null
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-memory-weight=16 -pass-remarks=gpreempt -disable-output %S/collective-converge-grid-stride.ll 2>&1 | FileCheck %s --check-prefix=AROUND
; AROUND: remark: {{.*}}'passes': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread{{$}}
; AROUND: remark: {{.*}}'passes': loop 2 yields on 1 back-edge(s), saving 12 bytes per thread; checks the flag every 16 iterations

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@tile = internal addrspace(3) global [256 x float] undef, align 4

; About 12 instructions: 256 / 12 -> every 32 iterations; with 3 words at
; 16 each, 256 / (12 + 48) -> every 8.
; OFF: remark: {{.*}}'axpy': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 32 iterations
; W16: remark: {{.*}}'axpy': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 8 iterations
define ptx_kernel void @axpy(i32 %n, float %a, ptr %x, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %loop

loop:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %loop ]
  %ii = sext i32 %i to i64
  %px = getelementptr inbounds float, ptr %x, i64 %ii
  %py = getelementptr inbounds float, ptr %y, i64 %ii
  %vx = load float, ptr %px, align 4
  %vy = load float, ptr %py, align 4
  %m = fmul float %a, %vx
  %s = fadd float %m, %vy
  store float %s, ptr %py, align 4
  %i.next = add i32 %i, 32
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

; The block votes at its own barrier every 32 iterations (about 17
; instructions), with the weight or without: the tile's global load would
; have made it every 8.
; OFF: remark: {{.*}}'tiles': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 32 iterations
; W16: remark: {{.*}}'tiles': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 32 iterations
define ptx_kernel void @tiles(i32 %ntiles, ptr %in, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %slot = getelementptr inbounds [256 x float], ptr addrspace(3) @tile, i32 0, i32 %tid
  br label %tile.loop

tile.loop:
  %t = phi i32 [ 0, %entry ], [ %t.next, %tile.loop ]
  %acc = phi float [ 0.0, %entry ], [ %acc.next, %tile.loop ]
  %src = getelementptr inbounds float, ptr %in, i32 %t
  %v = load float, ptr %src, align 4
  store float %v, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %other = xor i32 %tid, 1
  %peer = getelementptr inbounds [256 x float], ptr addrspace(3) @tile, i32 0, i32 %other
  %w = load float, ptr addrspace(3) %peer, align 4
  %p = fmul float %v, %w
  %q = fmul float %p, %p
  %r = fadd float %q, %p
  %acc.next = fadd float %acc, %r
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %t.next = add i32 %t, 1
  %more = icmp slt i32 %t.next, %ntiles
  br i1 %more, label %tile.loop, label %exit

exit:
  %po = getelementptr inbounds float, ptr %out, i32 %tid
  store float %acc.next, ptr %po, align 4
  ret void
}

@bins = internal addrspace(3) global [64 x i32] undef, align 4

; Converged grid-stride loops (collective-converge-grid-stride.ll's
; histogram): one global word an iteration, 64 -> 16 at W = 16, whether the
; shared bin is reached through addrspace(3) or a generic pointer.
; OFF: remark: {{.*}}'bins_shared': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; checks the flag every 64 iterations
; W16: remark: {{.*}}'bins_shared': loop 1 yields on 1 back-edge(s), saving 8 bytes per thread; checks the flag every 16 iterations
define ptx_kernel void @bins_shared(i32 %n, ptr %in, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %ctaid = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %nctaid = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
  %own = and i32 %tid, 63
  %slot = getelementptr inbounds [64 x i32], ptr addrspace(3) @bins, i32 0, i32 %own
  store i32 0, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %base = mul i32 %ctaid, %ntid
  %start = add i32 %base, %tid
  %stride = mul i32 %ntid, %nctaid
  %any = icmp ult i32 %start, %n
  br i1 %any, label %loop, label %done

loop:
  %i = phi i32 [ %start, %entry ], [ %i.next, %loop ]
  %p = getelementptr inbounds i32, ptr %in, i32 %i
  %w = load i32, ptr %p, align 4
  %b = and i32 %w, 63
  %bin = getelementptr inbounds [64 x i32], ptr addrspace(3) @bins, i32 0, i32 %b
  %old = atomicrmw add ptr addrspace(3) %bin, i32 1 monotonic, align 4
  %i.next = add i32 %i, %stride
  %more = icmp ult i32 %i.next, %n
  br i1 %more, label %loop, label %done

done:
  %last = phi i32 [ -1, %entry ], [ %i, %loop ]
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %v = load i32, ptr addrspace(3) %slot, align 4
  %r = add i32 %v, %last
  %o = getelementptr inbounds i32, ptr %out, i32 %start
  store i32 %r, ptr %o, align 4
  ret void
}

; OFF: remark: {{.*}}'bins_generic': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 64 iterations
; W16: remark: {{.*}}'bins_generic': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 16 iterations
define ptx_kernel void @bins_generic(i32 %n, ptr %in, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %ctaid = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %nctaid = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
  %generic = addrspacecast ptr addrspace(3) @bins to ptr
  %own = and i32 %tid, 63
  %slot = getelementptr inbounds [64 x i32], ptr %generic, i32 0, i32 %own
  store i32 0, ptr %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %base = mul i32 %ctaid, %ntid
  %start = add i32 %base, %tid
  %stride = mul i32 %ntid, %nctaid
  %any = icmp ult i32 %start, %n
  br i1 %any, label %loop, label %done

loop:
  %i = phi i32 [ %start, %entry ], [ %i.next, %loop ]
  %p = getelementptr inbounds i32, ptr %in, i32 %i
  %w = load i32, ptr %p, align 4
  %b = and i32 %w, 63
  %bin = getelementptr inbounds [64 x i32], ptr %generic, i32 0, i32 %b
  %old = atomicrmw add ptr %bin, i32 1 monotonic, align 4
  %i.next = add i32 %i, %stride
  %more = icmp ult i32 %i.next, %n
  br i1 %more, label %loop, label %done

done:
  %last = phi i32 [ -1, %entry ], [ %i, %loop ]
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %v = load i32, ptr %slot, align 4
  %r = add i32 %v, %last
  %o = getelementptr inbounds i32, ptr %out, i32 %start
  store i32 %r, ptr %o, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)
