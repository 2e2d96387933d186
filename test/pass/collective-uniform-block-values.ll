; What all threads of a block share makes a loop block-uniform: blockIdx,
; blockDim and gridDim (LLVM's NVPTX rules call every intrinsic's result
; divergent), and plain loads from global memory at a uniform address, also
; through generic pointers based on kernel arguments (a CSR row's bounds).
; Those loops hold block-collective yield points. A loop bounded by a
; volatile load (another thread may change the value between two warps'
; reads), even from addrspace(1), does not.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@acc = internal addrspace(3) global [256 x i32] undef, align 4

define ptx_kernel void @block_values(ptr %row_ptr, ptr %spin, ptr %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %bid = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %nctaid = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
  %slot = getelementptr inbounds [256 x i32], ptr addrspace(3) @acc, i32 0, i32 %tid
  store i32 0, ptr addrspace(3) %slot, align 4
  %tiles = add i32 %bid, %nctaid
  br label %by.index

by.index:                      ; trip count from blockIdx and gridDim
  %i = phi i32 [ 0, %entry ], [ %i.next, %by.index ]
  %a = load i32, ptr addrspace(3) %slot, align 4
  %a.next = add i32 %a, %i
  store i32 %a.next, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %i.next = add i32 %i, %ntid
  %more.i = icmp ult i32 %i.next, %tiles
  br i1 %more.i, label %by.index, label %row.start

row.start:                     ; bounds loaded from a CSR row pointer
  %bid64 = zext i32 %bid to i64
  %lo.p = getelementptr inbounds i32, ptr %row_ptr, i64 %bid64
  %lo = load i32, ptr %lo.p, align 4
  %hi.p = getelementptr inbounds i32, ptr %lo.p, i64 1
  %hi = load i32, ptr %hi.p, align 4
  %empty = icmp sge i32 %lo, %hi
  br i1 %empty, label %spin.start, label %by.row

by.row:
  %j = phi i32 [ %lo, %row.start ], [ %j.next, %by.row ]
  %b = load i32, ptr addrspace(3) %slot, align 4
  %b.next = xor i32 %b, %j
  store i32 %b.next, ptr addrspace(3) %slot, align 4
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %j.next = add i32 %j, 1
  %more.j = icmp slt i32 %j.next, %hi
  br i1 %more.j, label %by.row, label %spin.start

spin.start:
  %spin.g = addrspacecast ptr %spin to ptr addrspace(1)
  br label %by.volatile

by.volatile:                   ; bounded by a volatile load: not uniform
  %k = phi i32 [ 0, %spin.start ], [ %k.next, %by.volatile ]
  %c = load i32, ptr addrspace(3) %slot, align 4
  %c.next = add i32 %c, 1
  store i32 %c.next, ptr addrspace(3) %slot, align 4
  %k.next = add i32 %k, 1
  %limit = load volatile i32, ptr addrspace(1) %spin.g, align 4
  %more.k = icmp slt i32 %k.next, %limit
  br i1 %more.k, label %by.volatile, label %exit

exit:
  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)
  %v = load i32, ptr addrspace(3) %slot, align 4
  %o = getelementptr inbounds i32, ptr %out, i32 %tid
  store i32 %v, ptr %o, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)

; REMARK: kernel 'block_values' is preemptible: 2 yield point(s)
; REMARK-SAME: decisions per block

; CHECK-LABEL: define ptx_kernel void @block_values__gp(
; CHECK-DAG:   by.index.gp.poll:
; CHECK-DAG:   by.row.gp.poll:
; CHECK-NOT:   by.volatile.gp.poll:
; CHECK:       }
