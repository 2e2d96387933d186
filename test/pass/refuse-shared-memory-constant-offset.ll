; Shared memory reached only at a constant offset (s[1], as clang -O0 writes
; it): the access's pointer operand is a constant getelementptr over the
; addrspacecast of the shared global, not the cast itself. It is shared memory
; all the same: refused with [shared-memory] (GP_REFUSAL_SHARED_MEMORY, 4).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-block-collective=false -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@s = internal addrspace(3) global [4 x i32] undef, align 4

define ptx_kernel void @broadcast(ptr %q) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %first = icmp eq i32 %tid, 0
  br i1 %first, label %publish, label %read

publish:
  %v = load i32, ptr %q, align 4
  store i32 %v, ptr getelementptr inbounds ([4 x i32], ptr addrspacecast (ptr addrspace(3) @s to ptr), i64 0, i64 1), align 4
  br label %read

read:
  %w = load i32, ptr getelementptr inbounds ([4 x i32], ptr addrspacecast (ptr addrspace(3) @s to ptr), i64 0, i64 1), align 4
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds i32, ptr %q, i64 %idx
  %out = getelementptr inbounds i8, ptr %p, i64 4
  store i32 %w, ptr %out, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

; REMARK: remark: {{.*}}kernel 'broadcast' left unpreemptible [shared-memory]: it uses shared memory

; CHECK:       @broadcast__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 4, i32 0, i32 1, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @broadcast(ptr %q)
; CHECK:         store i32 %v, ptr getelementptr inbounds ([4 x i32], ptr addrspacecast (ptr addrspace(3) @s to ptr), i64 0, i64 1), align 4
; CHECK:         %w = load i32, ptr getelementptr inbounds ([4 x i32], ptr addrspacecast (ptr addrspace(3) @s to ptr), i64 0, i64 1), align 4
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@broadcast__gp(
