; A grid-stride loop gets one poll on its back-edge: a volatile load of the
; flag; when raised, the thread saves the induction variable (the header phi's
; next value) and leaves its logical block. The stride is recomputed from
; blockDim and gridDim instead of saved. Resuming enters the header with the
; saved value.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-poll-budget=0 -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @scale_grid(i32 %n, float %a, ptr %y) {
entry:
  %ctaid = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %base = mul i32 %ctaid, %ntid
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %first = add i32 %base, %tid
  %any = icmp slt i32 %first, %n
  br i1 %any, label %preheader, label %exit

preheader:
  %nctaid = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
  %stride = mul i32 %ntid, %nctaid
  br label %loop

loop:
  %i = phi i32 [ %first, %preheader ], [ %i.next, %loop ]
  %idx = sext i32 %i to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %m = fmul float %a, %v
  %r = fadd float %m, 1.0
  store float %r, ptr %p, align 4
  %i.next = add i32 %i, %stride
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()

; Two words per thread: the resume point and i.
; CHECK: @scale_grid__gp_info = addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 5, i32 0, i32 2, i32 3, i32 1, i32 0]

; The original kernel is left exactly as it was.
; CHECK-LABEL: define ptx_kernel void @scale_grid(i32 %n, float %a, ptr %y)
; CHECK-NOT:   gp.
; CHECK:       ret void
; CHECK-NEXT:  }

; CHECK-LABEL: define ptx_kernel void @scale_grid__gp(i32 %n, float %a, ptr %y, ptr %gp.ctl, ptr %gp.flag, ptr %gp.save, i32 %gp.grid.x, i32 %gp.grid.y, i32 %gp.grid.z, i32 %gp.epoch)
; gridDim is the logical grid, a parameter of the variant; the stride only
; depends on it and blockDim, so every logical block recomputes it.
; CHECK:       gp.block:
; CHECK:         %stride = mul i32 %gp.ntid.x{{[0-9]*}}, %gp.grid.x
; CHECK:       gp.block.go:
; CHECK-NEXT:    br i1 %gp.resuming, label %gp.resume, label %entry
; The back-edge goes through the poll: one volatile load of the flag.
; CHECK:       loop.gp.poll:
; CHECK:         %[[FLAG:.*]] = load volatile i32, ptr addrspace(1) %gp.flag.g{{[0-9]*}}, align 4
; CHECK-NEXT:    %[[RAISED:.*]] = icmp sgt i32 %[[FLAG]], 0
; CHECK-NEXT:    br i1 %[[RAISED]], label %loop.gp.yield, label %loop, !prof
; Resuming reloads word 1 (i.next) into the header.
; CHECK:       loop.gp.restore:
; CHECK:         %i.gp.restored = load i32
; CHECK-NEXT:    br label %loop
; CHECK:       loop:
; CHECK:         %i = phi i32 [ %first, %preheader ], [ %i.next, %loop.gp.poll ], [ %i.gp.restored, %loop.gp.restore ]
; CHECK:         %i.next = add i32 %i, %stride
; CHECK:         br i1 %more, label %loop.gp.poll, label %exit
; CHECK:       exit:
; CHECK:         br label %gp.tail
; CHECK:       gp.resume.local:
; CHECK:         switch i32 %gp.resume.point, label %gp.trap [
; CHECK-NEXT:      i32 1, label %loop.gp.restore
; CHECK-NEXT:    ]
; Yield: resume point 1 in word 0, the header's next value in word 1.
; CHECK:       loop.gp.yield:
; CHECK:         store i32 1, ptr addrspace(1) %gp.save.thread{{[0-9]*}}, align 4
; CHECK:         store i32 %i.next, ptr addrspace(1)
; CHECK-NEXT:    br label %gp.tail
; CHECK:       gp.tail:
; CHECK:         %gp.yielded = phi i1 [ false, %gp.resume ], [ false, %exit ], [ true, %loop.gp.yield ]
; CHECK-NOT:   call i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
; CHECK:       }
