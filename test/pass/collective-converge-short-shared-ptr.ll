; A converged loop in a module whose shared pointers are 32-bit (clang's
; -fcuda-short-ptr, or nvptx-short-ptr): the meeting's inline asm takes the
; shared word's address in a 32-bit register ("r"), not a 64-bit one, and
; the PTX addresses it with it.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o - | FileCheck %s --check-prefix=PTX

target datalayout = "e-p3:32:32-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
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
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %v = load i32, ptr addrspace(3) %slot, align 4
  %o = getelementptr inbounds i32, ptr %out, i32 %start
  store i32 %v, ptr %o, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; CHECK-LABEL: define ptx_kernel void @histogram__gp(
; CHECK:       loop.gp.wait:
; CHECK:         %gp.met.decision = call i32 asm sideeffect "{{.*}}", "=r,r,~{memory}"(ptr addrspace(3) @__gp_shared_meet)
; CHECK:       loop.gp.yield:
; CHECK:         %gp.met = call i32 asm sideeffect "{{.*}}", "=r,r,~{memory}"(ptr addrspace(3) @__gp_shared_meet)

; PTX-LABEL: .entry histogram__gp(
; PTX:         mov.b64 [[MEET64:%rd[0-9]+]], __gp_shared_meet;
; PTX-NEXT:    cvt.u32.u64 [[MEET:%r[0-9]+]], [[MEET64]];
; PTX:         atom.acq_rel.cta.shared.add.u32 {{%gpm[0-9]+}}, [[[MEET]]], 1;
; PTX:       GP_MEET_WAIT:
; PTX-NEXT:    ld.acquire.cta.shared.u32 %gpm1, [[[MEET]]];
