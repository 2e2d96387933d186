; A call to a device function whose body is not in the module (defined in
; another translation unit with -fgpu-rdc) could do anything: refused with
; [unsafe-call] (GP_REFUSAL_UNSAFE_CALL, 6), naming the function.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @map(ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %idx = zext i32 %tid to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %r = call float @transform(float %v)
  store float %r, ptr %p, align 4
  ret void
}

declare float @transform(float)
declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

; REMARK: remark: {{.*}}kernel 'map' left unpreemptible [unsafe-call]: it calls external function transform whose body is not visible

; CHECK:       @map__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 6, i32 0, i32 1, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @map(ptr %y)
; CHECK:         %r = call float @transform(float %v)
; CHECK-NEXT:    store float %r, ptr %p, align 4
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@map__gp(
