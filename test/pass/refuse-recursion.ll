; A recursive device function has no bound on its stack, and the pass cannot
; prove what each level may call: a kernel that calls one is refused with
; [recursion] (GP_REFUSAL_RECURSION, 7). The remark names the function that
; calls itself.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

; Length of a linked list, counted recursively.
define internal i32 @depth(ptr %node) {
entry:
  %end = icmp eq ptr %node, null
  br i1 %end, label %leaf, label %inner

inner:
  %next = load ptr, ptr %node, align 8
  %rest = call i32 @depth(ptr %next)
  %d = add i32 %rest, 1
  ret i32 %d

leaf:
  ret i32 0
}

define ptx_kernel void @list_length(ptr %list, ptr %out) {
entry:
  %n = call i32 @depth(ptr %list)
  store i32 %n, ptr %out, align 4
  ret void
}

; REMARK: remark: {{.*}}kernel 'list_length' left unpreemptible [recursion]: it is recursive (depth calls itself)

; CHECK:       @list_length__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 0, i32 7, i32 0, i32 2, i32 0, i32 0]
; CHECK-LABEL: define internal i32 @depth(ptr %node)
; CHECK:         %rest = call i32 @depth(ptr %next)
; CHECK-LABEL: define ptx_kernel void @list_length(ptr %list, ptr %out)
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %n = call i32 @depth(ptr %list)
; CHECK-NEXT:    store i32 %n, ptr %out, align 4
; CHECK-NEXT:    ret void
; CHECK-NEXT:  }
; CHECK-NOT:   define {{.*}}@list_length__gp(
