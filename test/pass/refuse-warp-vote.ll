; __ballot_sync collects one bit from every lane of the mask: a lane that
; yielded would never vote. Refused with [warp-synchronous]
; (GP_REFUSAL_WARP_SYNC, 3).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-block-collective=false -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @nonzero_mask(ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds i32, ptr %y, i64 %idx
  %v = load i32, ptr %p, align 4
  %nz = icmp ne i32 %v, 0
  %mask = call i32 @llvm.nvvm.vote.ballot.sync(i32 -1, i1 %nz)
  store i32 %mask, ptr %p, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.vote.ballot.sync(i32, i1)

; REMARK: remark: {{.*}}kernel 'nonzero_mask' left unpreemptible [warp-synchronous]: it calls llvm.nvvm.vote.ballot.sync

; CHECK:       @nonzero_mask__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 3, i32 0, i32 1, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @nonzero_mask(ptr %y)
; CHECK:         %mask = call i32 @llvm.nvvm.vote.ballot.sync(i32 -1, i1 %nz)
; CHECK-NEXT:    store i32 %mask, ptr %p, align 4
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@nonzero_mask__gp(
