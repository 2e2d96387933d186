; -gpreempt-load-latency=N (default 64; 1: a load counts like any other
; instruction): a global load that waits for another load of the same
; iteration counts N instructions in the poll interval, so a loop that
; waits for memory round trips checks the flag more often. gather's
; iteration loads idx[i] and then x[idx[i]] (a chain of 2: the second
; counts); stream's loads x[i] only (a chain of 1: its loads overlap across
; iterations, nothing counts); a load from shared memory (addrspace 3) is
; never counted, through an addrspace(3) pointer or a generic one cast from
; it. -gpreempt-load-latency-indirect=false (an experiment)
; counts every load of the longest chain, the first too.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=DEFAULT
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-load-latency=1 -pass-remarks=gpreempt -disable-output %s 2>&1 | FileCheck %s --check-prefix=ONE
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-load-latency-indirect=false -pass-remarks=gpreempt -disable-output %s 2>&1 | FileCheck %s --check-prefix=ALL

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@tile = internal addrspace(3) global [256 x float] poison

; About 12 instructions an iteration, the dependent load counted 64:
; 256 / (12 + 63) -> every 4 iterations. Loads counted as one instruction:
; 256 / 12 -> every 32; both loads of the chain counted: 256 / (12 + 126)
; -> every 2.
; DEFAULT: remark: {{.*}}'gather': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 4 iterations
; ONE:     remark: {{.*}}'gather': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 32 iterations
; ALL:     remark: {{.*}}'gather': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 2 iterations
define ptx_kernel void @gather(i32 %n, ptr %idx, ptr %x, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %loop

loop:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %loop ]
  %acc = phi float [ 0.0, %entry ], [ %acc.next, %loop ]
  %ii = sext i32 %i to i64
  %pi = getelementptr inbounds i32, ptr %idx, i64 %ii
  %j = load i32, ptr %pi, align 4
  %jj = sext i32 %j to i64
  %px = getelementptr inbounds float, ptr %x, i64 %jj
  %v = load float, ptr %px, align 4
  %acc.next = fadd float %acc, %v
  %i.next = add i32 %i, 32
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  %po = getelementptr inbounds float, ptr %out, i32 %tid
  store float %acc.next, ptr %po, align 4
  ret void
}

; One global load (a chain of 1: nothing counted) and one from shared
; memory (never counted): every 32 iterations, as for plain instructions.
; Every load of the chain counted: 256 / (about 12 + 63) -> every 4.
; (Shared memory makes the kernel block-collective and its loop a
; converged one: the interval is the same rule.)
; DEFAULT: remark: {{.*}}'stream': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 32 iterations
; ONE:     remark: {{.*}}'stream': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 32 iterations
; ALL:     remark: {{.*}}'stream': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 4 iterations
define ptx_kernel void @stream(i32 %n, ptr %x, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %loop

loop:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %loop ]
  %acc = phi float [ 0.0, %entry ], [ %acc.next, %loop ]
  %ii = sext i32 %i to i64
  %px = getelementptr inbounds float, ptr %x, i64 %ii
  %v = load float, ptr %px, align 4
  %lane = and i32 %i, 255
  %ps = getelementptr inbounds [256 x float], ptr addrspace(3) @tile, i32 0, i32 %lane
  %s = load float, ptr addrspace(3) %ps, align 4
  %w = fmul float %v, %s
  %acc.next = fadd float %acc, %w
  %i.next = add i32 %i, 32
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  %po = getelementptr inbounds float, ptr %out, i32 %tid
  store float %acc.next, ptr %po, align 4
  ret void
}

; A global load, then a shared one at the address it gave, through a
; generic pointer cast from addrspace(3) (as clang reaches __shared__
; arrays): the shared load is not a round trip to count, so the chain is
; one global load long and nothing counts: every 32, not every 4.
; DEFAULT: remark: {{.*}}'lookup_generic': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; checks the flag every 32 iterations
define ptx_kernel void @lookup_generic(i32 %n, ptr %idx, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %table = addrspacecast ptr addrspace(3) @tile to ptr
  br label %loop

loop:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %loop ]
  %acc = phi float [ 0.0, %entry ], [ %acc.next, %loop ]
  %ii = sext i32 %i to i64
  %pi = getelementptr inbounds i32, ptr %idx, i64 %ii
  %j = load i32, ptr %pi, align 4
  %lane = and i32 %j, 255
  %ps = getelementptr inbounds [256 x float], ptr %table, i32 0, i32 %lane
  %s = load float, ptr %ps, align 4
  %acc.next = fadd float %acc, %s
  %i.next = add i32 %i, 32
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  %po = getelementptr inbounds float, ptr %out, i32 %tid
  store float %acc.next, ptr %po, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
