; Inline asm is searched for barriers, but "membar.gl;" is a memory fence,
; not a barrier: no thread waits for another, so a yield cannot deadlock it.
; The kernel is made preemptible (flags GP_INFO_PREEMPTIBLE, refusal 0) and
; the variant keeps the fence.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @publish(ptr %y) {
entry:
  store i32 1, ptr %y, align 4
  call void asm sideeffect "membar.gl;", "~{memory}"()
  %ready = getelementptr inbounds i8, ptr %y, i64 4
  store volatile i32 1, ptr %ready, align 4
  ret void
}

; REMARK-NOT: left unpreemptible
; REMARK:     remark: {{.*}}kernel 'publish' is preemptible
; REMARK-NOT: left unpreemptible

; CHECK:       @publish__gp_info = {{.*}}addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 5, i32 0, i32 {{[0-9]+}}, i32 1, i32 0, i32 0]
; CHECK-LABEL: define ptx_kernel void @publish(ptr %y)
; CHECK:         call void asm sideeffect "membar.gl;", "~{memory}"()
; CHECK:         ret void
; CHECK-NEXT:  }
; CHECK-LABEL: define ptx_kernel void @publish__gp(ptr %y, ptr %gp.ctl, ptr %gp.flag, ptr %gp.save, i32 %gp.grid.x, i32 %gp.grid.y, i32 %gp.grid.z, i32 %gp.epoch)
; CHECK:         store i32 1, ptr %y, align 4
; CHECK-NEXT:    call void asm sideeffect "membar.gl;", "~{memory}"()
