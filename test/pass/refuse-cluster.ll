; A thread block cluster ties blocks together (distributed shared memory,
; cluster barriers), and the rank of a block in its cluster is physical: a
; logical block run on another physical block would see another rank. Reading
; %cluster_ctarank refuses the kernel with [cluster] (GP_REFUSAL_CLUSTER, 5).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @block_rank(ptr %y) {
entry:
  %rank = call i32 @llvm.nvvm.read.ptx.sreg.cluster.ctarank()
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds i32, ptr %y, i64 %idx
  store i32 %rank, ptr %p, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.cluster.ctarank()
declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

; REMARK: remark: {{.*}}kernel 'block_rank' left unpreemptible [cluster]: it calls llvm.nvvm.read.ptx.sreg.cluster.ctarank

; CHECK:       @block_rank__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 5, i32 0, i32 1, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @block_rank(ptr %y)
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %rank = call i32 @llvm.nvvm.read.ptx.sreg.cluster.ctarank()
; CHECK:         store i32 %rank, ptr %p, align 4
; CHECK-NEXT:    ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@block_rank__gp(
