; The variant runs a persistent grid: blockIdx is the logical block the
; physical block took from the ticket counter, gridDim the grid the user
; launched. Only the prologue reads the physical %ctaid.x (to find this
; block's slot and save area).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @grid3d(ptr %out) {
entry:
  %bx = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %by = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.y()
  %bz = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.z()
  %gx = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
  %gy = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.y()
  %gz = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.z()
  %ty = call i32 @llvm.nvvm.read.ptx.sreg.tid.y()
  %row = mul i32 %bz, %gy
  %plane = add i32 %row, %by
  %lin = mul i32 %plane, %gx
  %blk = add i32 %lin, %bx
  %all = mul i32 %gx, %gy
  %n = mul i32 %all, %gz
  %v = add i32 %n, %ty
  %p = getelementptr inbounds i32, ptr %out, i32 %blk
  store i32 %v, ptr %p, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.y()
declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.z()
declare i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.nctaid.y()
declare i32 @llvm.nvvm.read.ptx.sreg.nctaid.z()
declare i32 @llvm.nvvm.read.ptx.sreg.tid.y()

; CHECK-LABEL: define ptx_kernel void @grid3d__gp(
; CHECK:       gp.prologue:
; CHECK:         %gp.tid.y = call i32 @llvm.nvvm.read.ptx.sreg.tid.y()
; CHECK:         %gp.phys.block = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
; x fastest, then y, then z, from the 64-bit logical index.
; The grid comes from the parameter space where it is used, not from a
; register held across the body.
; CHECK:       gp.block:
; CHECK-DAG:     %[[GXP:gp.grid.x.param[0-9]*]] = call i32 asm sideeffect "ld.param.b32 $0, [grid3d__gp_param_4];", "=r"()
; CHECK-DAG:     %[[GYP:gp.grid.y.param[0-9]*]] = call i32 asm sideeffect "ld.param.b32 $0, [grid3d__gp_param_5];", "=r"()
; CHECK:         %[[GX:.*]] = zext i32 %[[GXP]] to i64
; CHECK:         %[[GY:.*]] = zext i32 %[[GYP]] to i64
; CHECK:         %[[Q:.*]] = udiv i64 %gp.logical, %[[GX]]
; CHECK:         %[[X:.*]] = urem i64 %gp.logical, %[[GX]]
; CHECK-NEXT:    %gp.ctaid.x = trunc i64 %[[X]] to i32
; CHECK-NEXT:    %[[Y:.*]] = urem i64 %[[Q]], %[[GY]]
; CHECK-NEXT:    %gp.ctaid.y = trunc i64 %[[Y]] to i32
; CHECK-NEXT:    %[[Z:.*]] = udiv i64 %[[Q]], %[[GY]]
; CHECK-NEXT:    %gp.ctaid.z = trunc i64 %[[Z]] to i32
; CHECK:       entry:
; CHECK-NEXT:    %row = mul i32 %gp.ctaid.z, %gp.grid.y
; CHECK-NEXT:    %plane = add i32 %row, %gp.ctaid.y
; CHECK-NEXT:    %lin = mul i32 %plane, %gp.grid.x
; CHECK-NEXT:    %blk = add i32 %lin, %gp.ctaid.x
; CHECK-NEXT:    %all = mul i32 %gp.grid.x, %gp.grid.y
; CHECK-NEXT:    %n = mul i32 %all, %gp.grid.z
; CHECK-NEXT:    %v = add i32 %n, %gp.tid.y
; CHECK-NOT:   @llvm.nvvm.read.ptx.sreg
; CHECK:       }
