; Divergent loops of block-collective kernels that cannot be converged
; (collective-converge-grid-stride.ll): each gets no yield point, and the
; remark says why its threads cannot wait for each other after it. A
; thread that may wait for another (a spin on a volatile load, a lock
; taken with compare-and-swap, a call that was not inlined) could wait for
; one that is already waiting at the join: a hang (a call to a function
; that only reads memory and does not synchronize cannot, and that loop is
; converged). Another loop between
; where the threads part and meet could hold yield points of its own; a
; return in the loop leaves no block that every thread reaches after it.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@sh = internal addrspace(3) global [256 x i32] undef, align 4
@lock = internal addrspace(3) global i32 undef, align 4

; Spins until another thread (or the host) sets its word.
define ptx_kernel void @spin(ptr addrspace(1) %go, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %slot = getelementptr inbounds [256 x i32], ptr addrspace(3) @sh, i32 0, i32 %tid
  store i32 0, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %word = getelementptr inbounds i32, ptr addrspace(1) %go, i32 %tid
  br label %wait

wait:
  %k = phi i32 [ 0, %entry ], [ %k.next, %wait ]
  %k.next = add i32 %k, 1
  %g = load volatile i32, ptr addrspace(1) %word, align 4
  %set = icmp ne i32 %g, 0
  br i1 %set, label %exit, label %wait

exit:
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %o = getelementptr inbounds i32, ptr %out, i32 %tid
  store i32 %k.next, ptr %o, align 4
  ret void
}

; Takes a lock in shared memory, one thread after another.
define ptx_kernel void @locked(ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %slot = getelementptr inbounds [256 x i32], ptr addrspace(3) @sh, i32 0, i32 %tid
  store i32 0, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  br label %take

take:
  %pair = cmpxchg ptr addrspace(3) @lock, i32 0, i32 1 acquire monotonic, align 4
  %got = extractvalue { i32, i1 } %pair, 1
  br i1 %got, label %held, label %take

held:
  %c = load i32, ptr addrspace(3) %slot, align 4
  %c1 = add i32 %c, 1
  store i32 %c1, ptr addrspace(3) %slot, align 4
  store atomic i32 0, ptr addrspace(3) @lock release, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %o = getelementptr inbounds i32, ptr %out, i32 %tid
  store i32 %c1, ptr %o, align 4
  ret void
}

; Two per-thread loops behind one guard.
define ptx_kernel void @two_loops(i32 %n, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %slot = getelementptr inbounds [256 x i32], ptr addrspace(3) @sh, i32 0, i32 %tid
  store i32 0, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %any = icmp ult i32 %tid, %n
  br i1 %any, label %first, label %done

first:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %first ]
  %i.next = add i32 %i, 3
  %more.i = icmp ult i32 %i.next, %n
  br i1 %more.i, label %first, label %second

second:
  %j = phi i32 [ %i.next, %first ], [ %j.next, %second ]
  %j.next = add i32 %j, 5
  %more.j = icmp ult i32 %j.next, %n
  br i1 %more.j, label %second, label %done

done:
  %r = phi i32 [ 0, %entry ], [ %j.next, %second ]
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %o = getelementptr inbounds i32, ptr %out, i32 %tid
  store i32 %r, ptr %o, align 4
  ret void
}

; Returns from inside its loop.
define ptx_kernel void @early_return(i32 %n, ptr %in, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %slot = getelementptr inbounds [256 x i32], ptr addrspace(3) @sh, i32 0, i32 %tid
  store i32 7, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %any = icmp ult i32 %tid, %n
  br i1 %any, label %loop, label %done

loop:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %latch ]
  %p = getelementptr inbounds i32, ptr %in, i32 %i
  %w = load i32, ptr %p, align 4
  %neg = icmp slt i32 %w, 0
  br i1 %neg, label %found, label %latch

latch:
  %i.next = add i32 %i, 256
  %more = icmp ult i32 %i.next, %n
  br i1 %more, label %loop, label %done

found:
  %o = getelementptr inbounds i32, ptr %out, i32 %tid
  store i32 %i, ptr %o, align 4
  ret void

done:
  ret void
}

; Calls a function that was not inlined.
define ptx_kernel void @calls(i32 %n, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %slot = getelementptr inbounds [256 x i32], ptr addrspace(3) @sh, i32 0, i32 %tid
  store i32 0, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %any = icmp ult i32 %tid, %n
  br i1 %any, label %loop, label %done

loop:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %loop ]
  %s = phi i32 [ 0, %entry ], [ %s.next, %loop ]
  %h = call i32 @helper(i32 %i)
  %s.next = add i32 %s, %h
  %i.next = add i32 %i, 256
  %more = icmp ult i32 %i.next, %n
  br i1 %more, label %loop, label %done

done:
  %r = phi i32 [ 0, %entry ], [ %s.next, %loop ]
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %o = getelementptr inbounds i32, ptr %out, i32 %tid
  store i32 %r, ptr %o, align 4
  ret void
}

define internal i32 @helper(i32 %x) noinline {
  %y = mul i32 %x, %x
  ret i32 %y
}

; The same loop calling a function that computes only.
define ptx_kernel void @calls_pure(i32 %n, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %slot = getelementptr inbounds [256 x i32], ptr addrspace(3) @sh, i32 0, i32 %tid
  store i32 0, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %any = icmp ult i32 %tid, %n
  br i1 %any, label %loop, label %done

loop:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %loop ]
  %s = phi i32 [ 0, %entry ], [ %s.next, %loop ]
  %h = call i32 @pure_helper(i32 %i)
  %s.next = add i32 %s, %h
  %i.next = add i32 %i, 256
  %more = icmp ult i32 %i.next, %n
  br i1 %more, label %loop, label %done

done:
  %r = phi i32 [ 0, %entry ], [ %s.next, %loop ]
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %o = getelementptr inbounds i32, ptr %out, i32 %tid
  store i32 %r, ptr %o, align 4
  ret void
}

define internal i32 @pure_helper(i32 %x) noinline memory(none) {
  %y = mul i32 %x, %x
  ret i32 %y
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; REMARK: kernel 'spin' is preemptible: 0 yield point(s)
; REMARK: kernel 'spin': loop gets no yield point: the threads of a block do not run it together
; REMARK-SAME: they cannot wait for each other after it: a thread in it may wait for another (a volatile or atomic read, inline asm, or a call that was not inlined and may write memory or synchronize), which could be waiting after it
; REMARK: kernel 'locked' is preemptible: 0 yield point(s)
; REMARK: kernel 'locked': loop gets no yield point
; REMARK-SAME: a thread in it may wait for another
; REMARK: kernel 'two_loops' is preemptible: 0 yield point(s)
; REMARK: kernel 'two_loops': loop gets no yield point
; REMARK-SAME: another loop lies between where its threads part and where they meet again
; REMARK: kernel 'two_loops': loop gets no yield point
; REMARK-SAME: another loop lies between where its threads part and where they meet again
; REMARK: kernel 'early_return' is preemptible: 0 yield point(s)
; REMARK: kernel 'early_return': loop gets no yield point
; REMARK-SAME: no block after it that every thread reaches on every way out of it (a thread may return or trap)
; REMARK: kernel 'calls' is preemptible: 0 yield point(s)
; REMARK: kernel 'calls': loop gets no yield point
; REMARK-SAME: a call that was not inlined and may write memory or synchronize
; REMARK: kernel 'calls_pure' is preemptible: 2 yield point(s)
; REMARK: kernel 'calls_pure': loop 1 yields
; REMARK-SAME: wait for each other after it

; Nothing converged but calls_pure's loop: no join anywhere else.
; CHECK-NOT: gp.wait
; CHECK-LABEL: define ptx_kernel void @calls_pure__gp(
; CHECK:       loop.gp.wait:
