; A block-collective kernel (shared memory, __syncthreads) with a
; grid-stride loop: its threads leave it at different iterations, so a
; block-wide vote there would wait for threads that already left. The loop
; is converged: each thread checks on its own, at every PollInterval-th
; back-edge, the flag and the block's decision word in shared memory (reset
; by the dispatch for each logical block); one that sees either sets the
; word, meets the others (a count in shared memory, no hardware barrier)
; and saves its state. Threads that leave the loop (or skip it) meet them
; before the join, learn from the meeting whether any thread arrived from
; its yield, and then yield too, from a resume point of their own. Inside a uniform loop (no barrier of its own)
; the same, and the resume routes through the outer loop's header. With
; -gpreempt-converge-inner=false (as here: the default lets them yield,
; collective-converge-inner-yields.ll) a converged loop's inner loops never
; yield, so its interval counts their instructions as many times as they
; run, where that is a constant; no other kernel here has such loops.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-exit-bound-polls=false -gpreempt-converge-inner=false -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o - | FileCheck %s --check-prefix=PTX
; Without convergence (for measurements) the loop has no yield point.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-exit-bound-polls=false -gpreempt-converge-loops=false -pass-remarks-missed=gpreempt -disable-output %s 2>&1 | FileCheck %s --check-prefix=OFF

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@bins = internal addrspace(3) global [64 x i32] undef, align 4

define ptx_kernel void @histogram(i32 %n, ptr %in, ptr %out) {
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

; The same loop once per pass of a uniform outer loop without a barrier.
define ptx_kernel void @passes(i32 %passes, i32 %n, ptr %in, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %own = and i32 %tid, 63
  %slot = getelementptr inbounds [64 x i32], ptr addrspace(3) @bins, i32 0, i32 %own
  store i32 0, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  br label %pass

pass:
  %k = phi i32 [ 0, %entry ], [ %k.next, %pass.end ]
  %any = icmp ult i32 %tid, %n
  br i1 %any, label %elem, label %pass.end

elem:
  %i = phi i32 [ %tid, %pass ], [ %i.next, %elem ]
  %p = getelementptr inbounds i32, ptr %in, i32 %i
  %w = load i32, ptr %p, align 4
  %x = xor i32 %w, %k
  %b = and i32 %x, 63
  %bin = getelementptr inbounds [64 x i32], ptr addrspace(3) @bins, i32 0, i32 %b
  %old = atomicrmw add ptr addrspace(3) %bin, i32 1 monotonic, align 4
  %i.next = add i32 %i, %ntid
  %more = icmp ult i32 %i.next, %n
  br i1 %more, label %elem, label %pass.end

pass.end:
  %k.next = add i32 %k, 1
  %again = icmp ult i32 %k.next, %passes
  br i1 %again, label %pass, label %exit

exit:
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %v = load i32, ptr addrspace(3) %slot, align 4
  %o = getelementptr inbounds i32, ptr %out, i32 %tid
  store i32 %v, ptr %o, align 4
  ret void
}

; Nearest of 64 centres for each point: the inner loop runs 64 times per
; point, so the point loop checks every iteration (counted once, 15
; instructions, it would check every 32nd).
@centre = internal addrspace(3) global [64 x float] undef, align 4

define ptx_kernel void @nearest(i32 %n, ptr %points, ptr %labels) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %own = and i32 %tid, 63
  %slot = getelementptr inbounds [64 x float], ptr addrspace(3) @centre, i32 0, i32 %own
  store float 0.0, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %any = icmp ult i32 %tid, %n
  br i1 %any, label %point, label %done

point:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %point.end ]
  %pp = getelementptr inbounds float, ptr %points, i32 %i
  %x = load float, ptr %pp, align 4
  br label %centres

centres:
  %k = phi i32 [ 0, %point ], [ %k.next, %centres ]
  %best = phi float [ 0x7FF0000000000000, %point ], [ %best.next, %centres ]
  %best.k = phi i32 [ 0, %point ], [ %best.k.next, %centres ]
  %c.p = getelementptr inbounds [64 x float], ptr addrspace(3) @centre, i32 0, i32 %k
  %c = load float, ptr addrspace(3) %c.p, align 4
  %d = fsub float %x, %c
  %d2 = fmul float %d, %d
  %closer = fcmp olt float %d2, %best
  %best.next = select i1 %closer, float %d2, float %best
  %best.k.next = select i1 %closer, i32 %k, i32 %best.k
  %k.next = add nuw nsw i32 %k, 1
  %more.k = icmp ult i32 %k.next, 64
  br i1 %more.k, label %centres, label %point.end

point.end:
  %lp = getelementptr inbounds i32, ptr %labels, i32 %i
  store i32 %best.k.next, ptr %lp, align 4
  %i.next = add i32 %i, %ntid
  %more = icmp ult i32 %i.next, %n
  br i1 %more, label %point, label %done

done:
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; REMARK: kernel 'histogram' is preemptible: 2 yield point(s)
; REMARK-SAME: decisions per block
; REMARK: kernel 'histogram': loop 1 yields on 1 back-edge(s)
; REMARK-SAME: its threads leave it at different iterations and wait for each other after it
; REMARK-NOT: loop gets no yield point
; REMARK: kernel 'passes' is preemptible: 3 yield point(s)
; REMARK: kernel 'passes': loop 1 yields
; REMARK-NOT: wait for each other
; REMARK: kernel 'passes': loop 2 yields
; REMARK-SAME: wait for each other after it

; REMARK: kernel 'nearest' is preemptible: 2 yield point(s)
; REMARK: kernel 'nearest': loop gets no yield point: it is inside a loop whose threads wait for each other at its exit, which yields
; REMARK: kernel 'nearest': loop 1 yields on 1 back-edge(s), saving {{[0-9]+}} bytes per thread; its threads leave it at different iterations

; OFF: kernel 'histogram': loop gets no yield point: the threads of a block do not run it together
; OFF: kernel 'passes': loop gets no yield point: the threads of a block do not run it together

; Threads skipping the loop and threads leaving it both arrive at the join.
; CHECK-LABEL: define ptx_kernel void @histogram__gp(
; The meeting's count starts at 0 once per physical block; between logical
; blocks it is 0 already, and a thread may still be reading it.
; CHECK:       gp.first.publish:
; CHECK:         store i32 0, ptr addrspace(3) @__gp_shared_decision
; CHECK-NEXT:    store i32 0, ptr addrspace(3) @__gp_shared_meet
; CHECK:       gp.take.publish:
; CHECK-NOT:     @__gp_shared_meet
; CHECK:         store i32 0, ptr addrspace(3) @__gp_shared_decision
; CHECK-NEXT:    br label %gp.take.sync
; CHECK:       entry:
; CHECK:         br i1 %any, label %loop, label %loop.gp.arrive
; The loop's check: no barrier, the flag or the block's decision.
; The check runs every N-th iteration: it reads the flag copy's address from
; shared memory rather than keeping it in a register.
; CHECK:       loop.gp.check:
; CHECK-NEXT:    %gp.flag.address{{[0-9]*}} = load i64, ptr addrspace(3) @__gp_shared_flag
; CHECK-NEXT:    %gp.flag.g{{[0-9]*}} = inttoptr i64
; CHECK-NEXT:    %gp.flag{{[0-9]*}} = load volatile i32, ptr addrspace(1)
; CHECK-NEXT:    %gp.preempted = icmp sgt i32 %gp.flag{{[0-9]*}}, 0
; CHECK-NEXT:    %[[DEC:.*]] = load volatile i32, ptr addrspace(3) @__gp_shared_decision
; CHECK-NEXT:    %[[DECIDED:.*]] = icmp ne i32 %[[DEC]], 0
; CHECK-NEXT:    %gp.yields = or i1 %gp.preempted, %[[DECIDED]]
; CHECK-NEXT:    br i1 %gp.yields, label %loop.gp.yield, label %loop.gp.back
; CHECK:       loop:
; CHECK:         br i1 %more, label %loop.gp.poll, label %loop.gp.arrive
; CHECK:       loop.gp.arrive:
; CHECK-NEXT:    %last.ph = phi i32 [ %i, %loop ], [ -1, %entry ]
; CHECK-NEXT:    br label %loop.gp.wait
; CHECK:       loop.gp.wait.gp.poll:
; CHECK-NEXT:    br i1 %gp.block.yields, label %loop.gp.wait.gp.yield, label %loop.gp.wait
; CHECK:       loop.gp.wait.gp.restore:
; CHECK:         %last.ph.gp.restored = load i32
; CHECK:         br label %loop.gp.wait
; At the join: the meeting ends once every thread is here or yielding,
; and says whether any thread yields.
; CHECK:       loop.gp.wait:
; CHECK-NEXT:    %[[LAST:.*]] = phi i32 [ %last.ph.gp.restored, %loop.gp.wait.gp.restore ], [ %[[LAST]], %loop.gp.wait.gp.poll ], [ %last.ph, %loop.gp.arrive ]
; CHECK-NEXT:    %gp.met.decision = call i32 asm sideeffect "{{.*}}atom.acq_rel.cta.shared.add.u32 {{.*}}st.release.cta.shared.u32 {{.*}}ld.acquire.cta.shared.u32 {{.*}}bfe.u32 $0, %gpm1, 12, 1;{{.*}}", "=r,l,~{memory}"(ptr addrspace(3) @__gp_shared_meet)
; CHECK-NEXT:    %gp.block.yields = icmp ne i32 %gp.met.decision, 0
; CHECK-NEXT:    br i1 %gp.block.yields, label %loop.gp.wait.vote, label %done
; CHECK:       loop.gp.wait.vote:
; CHECK-NEXT:    br label %loop.gp.wait.gp.poll
; CHECK:       done:
; CHECK-NEXT:    %last = phi i32 [ %[[LAST]], %loop.gp.wait ]
; Each resume point: 1 the loop, 2 the wait.
; CHECK:       switch i32 %gp.resume.point, label %gp.trap [
; CHECK-NEXT:    i32 1, label %loop.gp.restore
; CHECK-NEXT:    i32 2, label %loop.gp.wait.gp.restore
; The loop's yield tells the block, then meets the threads at the join:
; shared memory is saved only once every thread has stopped.
; CHECK:       loop.gp.yield:
; CHECK:         store volatile i32 1, ptr addrspace(3) @__gp_shared_decision
; CHECK-NEXT:    %gp.met = call i32 asm sideeffect "{{.*}}red.relaxed.cta.shared.or.b32 [$1], 2048;{{.*}}atom.acq_rel.cta.shared.add.u32 {{.*}}", "=r,l,~{memory}"(ptr addrspace(3) @__gp_shared_meet)
; CHECK-NEXT:    store i32 1, ptr addrspace(1)
; CHECK:       loop.gp.wait.gp.yield:
; CHECK-NOT:     @__gp_shared_meet
; CHECK:         store i32 2, ptr addrspace(1)
; CHECK:         store i32 %[[LAST]], ptr addrspace(1)
; CHECK:       }

; The outer loop votes on its back-edge (every one: it counts the inner
; loop's whole interval, poll-interval-nested.ll); the join sits inside it,
; and a resume into the inner loop or the wait passes the outer loop's
; header.
; CHECK-LABEL: define ptx_kernel void @passes__gp(
; CHECK:       pass.gp.poll:
; CHECK:         call i1 @llvm.nvvm.barrier.cta.red.or.all
; CHECK:       pass.gp.route:
; CHECK-NEXT:    switch i32 %pass.gp.route.key, label %gp.trap [
; CHECK-NEXT:      i32 2, label %elem.gp.restore
; CHECK-NEXT:      i32 3, label %elem.gp.wait.gp.restore
; CHECK:       elem.gp.check:
; CHECK-NOT:     barrier
; CHECK:         %gp.yields = or i1
; CHECK:       elem.gp.wait:
; CHECK:         br i1 %gp.block.yields, label %elem.gp.wait.vote, label %pass.end
; CHECK:       }

; No hardware barrier at the loop's exits (the only barrier.red is the
; dispatch's, where every thread ends the logical block): the yield and the
; join meet through the count. A yielder sets bit 11 first; the last to
; arrive ends the meeting with a predicated store (number + 1, the decision
; in bit 12), and every thread spins on the number and takes bit 12.
; PTX-LABEL: .entry histogram__gp(
; PTX-NOT:     barrier.red
; PTX-NOT:     red.relaxed.cta.shared.or
; PTX:         atom.acq_rel.cta.shared.add.u32 [[OLD:%gpm[0-9]+]], [{{%rd[0-9]+}}], 1;
; PTX-NOT:     bra
; PTX:         @%gpp st.release.cta.shared.u32
; PTX-NEXT:    and.b32 {{%gpm[0-9]+}}, [[OLD]], -8192;
; PTX-NEXT:  GP_MEET_WAIT:
; PTX-NEXT:    ld.acquire.cta.shared.u32
; PTX:         bfe.u32 {{%r[0-9]+}}, %gpm1, 12, 1;
; PTX:         barrier.red.or.pred {{%p[0-9]+}}, 0, {{%p[0-9]+}};
; PTX-NOT:     barrier.red
; PTX:         st.volatile.shared.b32 [__gp_shared_decision], 1;
; PTX-NEXT:    mov.b64 [[MEET:%rd[0-9]+]], __gp_shared_meet;
; PTX:         red.relaxed.cta.shared.or.b32 [[[MEET]]], 2048;
; PTX-NEXT:    atom.acq_rel.cta.shared.add.u32 {{%gpm[0-9]+}}, [[[MEET]]], 1;
; PTX-NOT:     barrier.red
; PTX:       .entry
