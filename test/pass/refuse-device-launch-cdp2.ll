; With CUDA 12's device runtime, clang writes child<<<1, 32>>>(y) in device
; code as calls to __cudaCDP2GetParameterBuffer and __cudaCDP2LaunchDevice
; (not the cudaGetParameterBufferV2/cudaLaunchDeviceV2 of older toolkits).
; These are device launches too: refused with [unsafe-call]
; (GP_REFUSAL_UNSAFE_CALL, 6), and the remark says so rather than calling
; them unknown external functions.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

%struct.dim3 = type { i32, i32, i32 }

define ptx_kernel void @parent(ptr %y) {
entry:
  %grid = alloca %struct.dim3, align 4
  %block = alloca %struct.dim3, align 4
  %buf = call ptr @__cudaCDP2GetParameterBuffer(i64 64, i64 8)
  store ptr %y, ptr %buf, align 8
  store %struct.dim3 { i32 1, i32 1, i32 1 }, ptr %grid, align 4
  store %struct.dim3 { i32 32, i32 1, i32 1 }, ptr %block, align 4
  %err = call i32 @__cudaCDP2LaunchDevice(ptr @child, ptr %buf, ptr byval(%struct.dim3) align 4 %grid, ptr byval(%struct.dim3) align 4 %block, i32 0, ptr null)
  ret void
}

declare ptx_kernel void @child(ptr)
declare ptr @__cudaCDP2GetParameterBuffer(i64, i64)
declare i32 @__cudaCDP2LaunchDevice(ptr, ptr, ptr byval(%struct.dim3) align 4, ptr byval(%struct.dim3) align 4, i32, ptr)

; REMARK: remark: {{.*}}kernel 'parent' left unpreemptible [unsafe-call]: it launches kernels from the device (__cudaCDP2GetParameterBuffer)

; CHECK:       @parent__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 6, i32 0, i32 1, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @parent(ptr %y)
; CHECK:         %buf = call ptr @__cudaCDP2GetParameterBuffer(i64 64, i64 8)
; CHECK:         %err = call i32 @__cudaCDP2LaunchDevice(ptr @child, ptr %buf,
; CHECK-NEXT:    ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@parent__gp(
