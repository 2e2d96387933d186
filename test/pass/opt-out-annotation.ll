; GP_NO_PREEMPT is __attribute__((annotate("gpreempt.no_preempt"))): clang
; lists the kernel in @llvm.global.annotations with that string. Such a
; kernel is left alone with [opted-out] (GP_REFUSAL_OPTED_OUT, 1) however safe
; it is (no @k1__gp anywhere); its unannotated twin in the same module is
; made preemptible.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s --implicit-check-not='@k1__gp(' < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@.str = private unnamed_addr constant [20 x i8] c"gpreempt.no_preempt\00", section "llvm.metadata"
@.str.file = private unnamed_addr constant [5 x i8] c"a.cu\00", section "llvm.metadata"
@llvm.global.annotations = appending global [1 x { ptr, ptr, ptr, i32, ptr }] [{ ptr, ptr, ptr, i32, ptr } { ptr @k1, ptr @.str, ptr @.str.file, i32 2, ptr null }], section "llvm.metadata"

define ptx_kernel void @k1(ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  store float 1.0, ptr %p, align 4
  ret void
}

define ptx_kernel void @k2(ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  store float 2.0, ptr %p, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

; REMARK-DAG: remark: {{.*}}kernel 'k1' left unpreemptible [opted-out]: it is marked GP_NO_PREEMPT
; REMARK-DAG: remark: {{.*}}kernel 'k2' is preemptible

; CHECK-DAG:   @k1__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 1, i32 0, i32 1, i32 0, i32 0]
; CHECK-DAG:   @k2__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 5, i32 0, i32 {{[0-9]+}}, i32 1, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @k1(ptr %y)
; CHECK:         store float 1.000000e+00, ptr %p, align 4
; CHECK-NEXT:    ret void
; CHECK-NEXT:  }
; CHECK-LABEL: define ptx_kernel void @k2(ptr %y)
; CHECK-LABEL: define ptx_kernel void @k2__gp(ptr %y, ptr %gp.ctl, ptr %gp.flag, ptr %gp.save, i32 %gp.grid.x, i32 %gp.grid.y, i32 %gp.grid.z, i32 %gp.epoch)
; CHECK:         store float 2.000000e+00, ptr %p, align 4
