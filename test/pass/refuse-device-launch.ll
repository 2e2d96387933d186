; A kernel that launches kernels from the device (dynamic parallelism) would
; start child grids that the runtime neither schedules nor preempts, and a
; relaunched logical block would launch them again: refused with
; [unsafe-call] (GP_REFUSAL_UNSAFE_CALL, 6). The remark names the device
; runtime call.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

%struct.dim3 = type { i32, i32, i32 }

; child<<<1, 32>>>(y), through the device runtime's V2 entry points.
define ptx_kernel void @parent(ptr %y) {
entry:
  %grid = alloca %struct.dim3, align 4
  %block = alloca %struct.dim3, align 4
  store %struct.dim3 { i32 1, i32 1, i32 1 }, ptr %grid, align 4
  store %struct.dim3 { i32 32, i32 1, i32 1 }, ptr %block, align 4
  %buf = call ptr @cudaGetParameterBufferV2(ptr @child, ptr byval(%struct.dim3) align 4 %grid, ptr byval(%struct.dim3) align 4 %block, i32 0)
  store ptr %y, ptr %buf, align 8
  %err = call i32 @cudaLaunchDeviceV2(ptr %buf, ptr null)
  ret void
}

declare ptx_kernel void @child(ptr)
declare ptr @cudaGetParameterBufferV2(ptr, ptr byval(%struct.dim3) align 4, ptr byval(%struct.dim3) align 4, i32)
declare i32 @cudaLaunchDeviceV2(ptr, ptr)

; REMARK: remark: {{.*}}kernel 'parent' left unpreemptible [unsafe-call]: it launches kernels from the device (cudaGetParameterBufferV2)

; CHECK:       @parent__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 6, i32 0, i32 1, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @parent(ptr %y)
; CHECK:         %buf = call ptr @cudaGetParameterBufferV2(ptr @child,
; CHECK-NEXT:    store ptr %y, ptr %buf, align 8
; CHECK-NEXT:    %err = call i32 @cudaLaunchDeviceV2(ptr %buf, ptr null)
; CHECK-NEXT:    ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@parent__gp(
