; -gpreempt-lone-block-exit (hidden, off; session 19): a grid of one
; physical block is its own last arrival, so its thread 0 leaves without
; the device-scope release and the arrival atomic: it loads `progress`
; beside `instances` and the left word and goes straight to the last
; arrival's work (its system fence there orders its threads' writes, which
; all come before the barrier it passed). Grids of more blocks arrive as
; before.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-lone-block-exit -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null
; Off (the default): every grid arrives through the atomic.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -S %s | FileCheck %s --check-prefix=OFF

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @increment(ptr %y) {
entry:
  %b = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %p = getelementptr inbounds i32, ptr %y, i32 %b
  %old = atomicrmw add ptr %p, i32 1 monotonic, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()

; CHECK-LABEL: define ptx_kernel void @increment__gp(
; CHECK:       gp.exit.count:
; CHECK:         %gp.done.total = load i64, ptr addrspace(3) @__gp_shared_done
; CHECK-NEXT:    %gp.instances.word = getelementptr i8, ptr addrspace(1) %[[CTL:.*]], i32 20
; CHECK-NEXT:    %gp.left.word.at = getelementptr i8, ptr addrspace(1) %[[CTL]], i32 24
; CHECK-NEXT:    %gp.progress.word = getelementptr i8, ptr addrspace(1) %[[CTL]], i32 8
; CHECK-NEXT:    %gp.lone.block = icmp eq i64 %gp.phys.blocks64{{[0-9]*}}, 1
; CHECK-NEXT:    br i1 %gp.lone.block, label %gp.exit.lone, label %gp.exit.shared
; The last arrival's work takes its three values from either way in.
; CHECK:       gp.exit.last:
; CHECK-NEXT:    %gp.blocks.done.last = phi i64 [ %gp.blocks.done, %gp.exit.shared ], [ %gp.blocks.done.lone, %gp.exit.lone ]
; CHECK-NEXT:    %gp.instances.before.last = phi i32 [ %gp.instances.before, %gp.exit.shared ], [ %gp.instances.lone, %gp.exit.lone ]
; CHECK-NEXT:    %gp.left.word.last = phi i64 [ %gp.left.word, %gp.exit.shared ], [ %gp.left.word.lone, %gp.exit.lone ]
; CHECK:         %gp.grid.complete = icmp eq i64 %gp.blocks.done.last, %gp.total{{[0-9]*}}
; The left word's store uses the joined value.
; CHECK:       gp.exit.tell:
; CHECK:         %gp.left.told = icmp ne i64 %gp.left.word.last, 0
; CHECK:       gp.exit.lone:
; CHECK-NEXT:    %gp.instances.lone = load i32, ptr addrspace(1) %gp.instances.word
; CHECK-NEXT:    %gp.left.word.lone = load i64, ptr addrspace(1) %gp.left.word.at
; CHECK-NEXT:    %gp.progress.lone = load i64, ptr addrspace(1) %gp.progress.word
; CHECK-NEXT:    %gp.blocks.done.lone = add i64 %gp.progress.lone, %gp.done.total
; CHECK-NEXT:    br label %gp.exit.last
; CHECK:       gp.exit.shared:
; CHECK:         fence syncscope("device") release
; CHECK:         %gp.progress = atomicrmw add ptr addrspace(1) %gp.progress.word, i64 %gp.progress.add syncscope("device") monotonic
; CHECK:         br i1 %gp.last.arrival, label %gp.exit.last, label %gp.return

; OFF:       gp.exit.count:
; OFF-NOT:   gp.exit.lone
; OFF:         fence syncscope("device") release
; OFF-NEXT:    %gp.instances.word = getelementptr
