; An array the optimizer left in local memory (indexed by data) is live
; across the loop: a yield copies it word by word into the save area and a
; resume copies it back before re-entering the loop. Lifetime markers are
; dropped in the variant (they would let codegen overlap allocas), and
; addresses into the array are recomputed, not saved.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

; int counts[16] = {0}; for (i = tid; i < n; i += ntid) counts[in[i] & 15]++;
; out[tid] = counts[1];
define ptx_kernel void @hist_local(i32 %n, ptr %in, ptr %out) {
entry:
  %counts = alloca [16 x i32], align 4
  call void @llvm.lifetime.start.p0(ptr %counts)
  %second = getelementptr inbounds nuw i8, ptr %counts, i64 4
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  call void @llvm.memset.p0.i64(ptr align 4 %counts, i8 0, i64 64, i1 false)
  %any = icmp slt i32 %tid, %n
  br i1 %any, label %preheader, label %exit

preheader:
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  br label %loop

loop:
  %i = phi i32 [ %tid, %preheader ], [ %i.next, %loop ]
  %ip = getelementptr inbounds i32, ptr %in, i32 %i
  %v = load i32, ptr %ip, align 4
  %bin = and i32 %v, 15
  %cp = getelementptr inbounds nuw i32, ptr %counts, i32 %bin
  %c = load i32, ptr %cp, align 4
  %c1 = add nsw i32 %c, 1
  store i32 %c1, ptr %cp, align 4
  %i.next = add i32 %i, %ntid
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  %r = load i32, ptr %second, align 4
  %op = getelementptr inbounds i32, ptr %out, i32 %tid
  store i32 %r, ptr %op, align 4
  call void @llvm.lifetime.end.p0(ptr %counts)
  ret void
}

declare void @llvm.lifetime.start.p0(ptr)
declare void @llvm.lifetime.end.p0(ptr)
declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ntid.x()

; Word 0, i (word 1), 16 words of counts (words 2-17): 18 words.
; CHECK: @hist_local__gp_info = addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 5, i32 0, i32 18, i32 3, i32 1, i32 0]

; The original keeps its lifetime markers.
; CHECK-LABEL: define ptx_kernel void @hist_local(
; CHECK:         call void @llvm.lifetime.start.p0(ptr %counts)

; CHECK-LABEL: define ptx_kernel void @hist_local__gp(
; CHECK:       gp.prologue:
; CHECK:         %counts = alloca [16 x i32], align 4
; CHECK-NOT:   lifetime
; The address of counts[1] is recomputed per logical block, not saved.
; CHECK:       gp.block:
; CHECK:         %second = getelementptr i8, ptr %counts, i64 4
; CHECK:       gp.block.go:
; CHECK-NEXT:    br i1 %gp.resuming
; Restore on resume: 16 words from word 2 on, in a loop.
; CHECK:       gp.resume.local:
; CHECK:         br label %[[RESTORE:gp.copy.local[0-9]*]]
; CHECK:       [[RESTORE]]:
; CHECK-NEXT:    %[[RI:.*]] = phi i64 [ 0, %gp.resume.local ], [ %[[RNEXT:.*]], %[[RESTORE]].body ]
; CHECK-NEXT:    %[[RMORE:.*]] = icmp ult i64 %[[RI]], 16
; CHECK:       [[RESTORE]].body:
; CHECK-NEXT:    %[[RLOCAL:.*]] = shl i64 %[[RI]], 2
; CHECK-NEXT:    %[[RL:.*]] = getelementptr i8, ptr %counts, i64 %[[RLOCAL]]
; CHECK-NEXT:    %[[RW:.*]] = add i64 %[[RI]], 2
; CHECK:         %[[SAVED:.*]] = load i32, ptr addrspace(1)
; CHECK-NEXT:    store i32 %[[SAVED]], ptr %[[RL]], align 4
; CHECK-NEXT:    %[[RNEXT]] = add i64 %[[RI]], 1
; CHECK:         switch i32 %gp.resume.point, label %gp.trap [
; CHECK-NEXT:      i32 1, label %loop.gp.restore
; Save on yield: i.next in word 1, then the array.
; CHECK:       loop.gp.yield:
; CHECK:         store i32 1, ptr addrspace(1) %gp.save.thread{{[0-9]*}}
; CHECK:         store i32 %i.next, ptr addrspace(1)
; CHECK:       gp.copy.local.body{{[0-9]+}}:
; CHECK:         %[[LV:.*]] = load i32, ptr %{{.*}}, align 4
; CHECK-NEXT:    store i32 %[[LV]], ptr addrspace(1)
; CHECK:       gp.copy.local.done{{[0-9]*}}:
; CHECK-NEXT:    br label %gp.tail
