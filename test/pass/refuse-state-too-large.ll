; Every thread saves its live values and its whole local memory when it
; yields. A 128-byte local array kept across a loop is more than the
; -gpreempt-max-state-bytes=64 limit: refused with [state-too-large]
; (GP_REFUSAL_STATE_TOO_LARGE, 10), and nothing of the half-built variant is
; left behind. Under the default limit the same kernel is preemptible.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-max-state-bytes=64 -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -S %s | FileCheck %s --check-prefix=DEFAULT

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

; int loc[32]; for (i = 0; i < 32; ++i) loc[i] = q[i] * n; q[0] = loc[n & 31];
define ptx_kernel void @permute(ptr %q, i32 %n) {
entry:
  %loc = alloca [32 x i32], align 4
  br label %fill

fill:
  %i = phi i32 [ 0, %entry ], [ %i.next, %fill ]
  %src = getelementptr inbounds i32, ptr %q, i32 %i
  %v = load i32, ptr %src, align 4
  %m = mul i32 %v, %n
  %dst = getelementptr inbounds [32 x i32], ptr %loc, i32 0, i32 %i
  store i32 %m, ptr %dst, align 4
  %i.next = add nuw nsw i32 %i, 1
  %done = icmp eq i32 %i.next, 32
  br i1 %done, label %use, label %fill

use:
  %k = and i32 %n, 31
  %pick = getelementptr inbounds [32 x i32], ptr %loc, i32 0, i32 %k
  %w = load i32, ptr %pick, align 4
  store i32 %w, ptr %q, align 4
  ret void
}

; REMARK: remark: {{.*}}kernel 'permute' left unpreemptible [state-too-large]: it would save {{[0-9]+}} bytes per thread (limit 64)

; CHECK:       @permute__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 10, i32 0, i32 2, i32 0, i32 0]
; CHECK-NOT:   @__gp_shared
; CHECK-LABEL: define ptx_kernel void @permute(ptr %q, i32 %n)
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %loc = alloca [32 x i32], align 4
; CHECK-NEXT:    br label %fill
; CHECK:       fill:
; CHECK-NEXT:    %i = phi i32 [ 0, %entry ], [ %i.next, %fill ]
; CHECK:         br i1 %done, label %use, label %fill
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@permute__gp(

; DEFAULT:     @permute__gp_info = {{.*}}[i32 1196446277, i32 9, i32 5, i32 0,
; DEFAULT:     define ptx_kernel void @permute__gp(
