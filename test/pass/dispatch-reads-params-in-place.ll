; The dispatch, yield and resume code reads the variant's control arguments
; (ctl, flag, save, the grid) from the parameter space where it uses them,
; through `ld.param` with the parameter's PTX name, which ptxas takes from
; the constant bank. An argument used directly would be one register from
; the kernel's entry on, and llc hoists what is computed from it: about 20
; registers held across the body for code that runs once per logical block
; (jacobi2d on the H100: the stencil's load no longer issued before the
; tile's barrier, 27.6 % -> 10.4 % slower than plain; docs/results.md).
; A check made every N-th back-edge reads the flag copy's address from a
; shared word that gp.first sets; a check at every back-edge keeps the
; prologue's in a register. Where the PTX name is not
; certain (a kernel name with characters PTX does not allow, which NVPTX
; replaces) and with -gpreempt-rematerialize=false, the arguments are used
; as they are.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-direct-first-wave=false -gpreempt-poll-budget=56 -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; The names are the ones llc gives the parameters: ptxas resolves them.
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o %t.ptx
; RUN: FileCheck %s --check-prefix=PTX < %t.ptx
; RUN: %ptxas -arch=sm_90 %t.ptx -o /dev/null
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-direct-first-wave=false -gpreempt-poll-budget=0 -S %s | FileCheck %s --check-prefix=EVERY
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-direct-first-wave=false -gpreempt-rematerialize=false -S %s | FileCheck %s --check-prefix=NOREMAT
; RUN: sed 's/@scale(/@scale.v2(/' %s | %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-direct-first-wave=false -S | FileCheck %s --check-prefix=ODDNAME

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @scale(i32 %n, float %a, ptr %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %loop

loop:
  %i = phi i32 [ %tid, %entry ], [ %i.next, %loop ]
  %idx = sext i32 %i to i64
  %p = getelementptr inbounds float, ptr %y, i64 %idx
  %v = load float, ptr %p, align 4
  %m = fmul float %a, %v
  store float %m, ptr %p, align 4
  %i.next = add i32 %i, 32
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

; Parameters of scale__gp: n, a, y, then ctl (3), flag (4), save (5),
; grid x, y, z (6, 7, 8), epoch (9).
; CHECK-LABEL: define ptx_kernel void @scale__gp(
; CHECK:       gp.first.leader:
; CHECK-NEXT:    %gp.save.param = call i64 asm sideeffect "ld.param.b64 $0, [scale__gp_param_5];", "=l"()
; CHECK:       gp.first.slot:
; CHECK-NEXT:    %gp.epoch.param = call i32 asm sideeffect "ld.param.b32 $0, [scale__gp_param_9];", "=r"()
; CHECK-NEXT:    %gp.ctl.param = call i64 asm sideeffect "ld.param.b64 $0, [scale__gp_param_3];", "=l"()
; CHECK:       gp.first.publish:
; CHECK:         %[[FP:gp.flag.param[0-9]*]] = call i64 asm sideeffect "ld.param.b64 $0, [scale__gp_param_4];", "=l"()
; CHECK:         %[[FA:.*]] = ptrtoint ptr addrspace(1) %gp.flag.g{{[0-9]*}} to i64
; CHECK-NEXT:    store i64 %[[FA]], ptr addrspace(3) @__gp_shared_flag
; CHECK:       gp.take.leader:
; CHECK-NEXT:    %gp.flag.param{{[0-9]*}} = call i64 asm sideeffect "ld.param.b64 $0, [scale__gp_param_4];", "=l"()
; CHECK:       gp.take.ticket:
; CHECK-DAG:     %[[CTL:gp.ctl.param[0-9]*]] = call i64 asm sideeffect "ld.param.b64 $0, [scale__gp_param_3];", "=l"()
; CHECK-DAG:     %[[GZ:gp.grid.z.param[0-9]*]] = call i32 asm sideeffect "ld.param.b32 $0, [scale__gp_param_8];", "=r"()
; CHECK:         %[[CTLP:.*]] = inttoptr i64 %[[CTL]] to ptr
; CHECK:         %[[CTLG:.*]] = addrspacecast ptr %[[CTLP]] to ptr addrspace(1)
; CHECK:         atomicrmw add ptr addrspace(1) %[[CTLG]], i64 1
; CHECK:       gp.block:
; CHECK-DAG:     %[[GX:gp.grid.x.param[0-9]*]] = call i32 asm sideeffect "ld.param.b32 $0, [scale__gp_param_6];", "=r"()
; CHECK-DAG:     %[[GY:gp.grid.y.param[0-9]*]] = call i32 asm sideeffect "ld.param.b32 $0, [scale__gp_param_7];", "=r"()
; CHECK:         udiv i64 %gp.logical,
; Every 8th back-edge: the check reads the flag copy's address from shared
; memory, where gp.first left it.
; CHECK:       loop.gp.check:
; CHECK-NEXT:    %gp.flag.address = load i64, ptr addrspace(3) @__gp_shared_flag
; CHECK-NEXT:    %[[FG:gp.flag.g[0-9]*]] = inttoptr i64 %gp.flag.address to ptr addrspace(1)
; CHECK-NEXT:    load volatile i32, ptr addrspace(1) %[[FG]]
; The body itself keeps the user's arguments.
; CHECK:       loop:
; CHECK:         %p = getelementptr inbounds float, ptr %y, i64 %idx
; The yield finds the save area from the parameter.
; CHECK:       loop.gp.yield:
; CHECK-NEXT:    %gp.save.param{{[0-9]*}} = call i64 asm sideeffect "ld.param.b64 $0, [scale__gp_param_5];", "=l"()


; PTX-LABEL: .entry scale__gp(
; PTX:         ld.param.b64 %rd{{[0-9]+}}, [scale__gp_param_3];
; PTX:         ld.param.b64 %rd{{[0-9]+}}, [scale__gp_param_4];

; A check at every back-edge reads the flag through the prologue's address;
; no check needs the shared word, so gp.first does not set it.
; EVERY-LABEL: define ptx_kernel void @scale__gp(
; EVERY-NOT:     @__gp_shared_flag
; EVERY:       loop.gp.poll:
; EVERY-NOT:     ld.param
; EVERY:         load volatile i32, ptr addrspace(1) %gp.flag.g,
; EVERY:       loop:

; NOREMAT-LABEL: define ptx_kernel void @scale__gp(
; NOREMAT-NOT:   ld.param

; ODDNAME-LABEL: define ptx_kernel void @scale.v2__gp(
; ODDNAME-NOT:   ld.param
