; Local memory whose size is known only at run time (a variable-length array)
; cannot be given a fixed place in the save area: refused with
; [dynamic-alloca] (GP_REFUSAL_DYNAMIC_ALLOCA, 12).
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @scratch(ptr %y, i32 %n) {
entry:
  %buf = alloca i32, i32 %n, align 4
  %last = add i32 %n, -1
  %slot = getelementptr inbounds i32, ptr %buf, i32 %last
  store volatile i32 %n, ptr %slot, align 4
  %v = load volatile i32, ptr %slot, align 4
  store i32 %v, ptr %y, align 4
  ret void
}

; REMARK: remark: {{.*}}kernel 'scratch' left unpreemptible [dynamic-alloca]: it has a variable-sized or non-entry alloca

; CHECK:       @scratch__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 12, i32 0, i32 2, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @scratch(ptr %y, i32 %n)
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %buf = alloca i32, i32 %n, align 4
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@scratch__gp(
