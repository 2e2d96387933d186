; -gpreempt-wide-variant=N (hidden, 64 by default; 0: none): beside each
; variant K__gp, K__gp_wide, the same code with the register budget N
; (.maxnreg), and GP_INFO_WIDE_VARIANT (4) in K's info.
; ptxas holds a kernel without launch bounds near 32 registers for an
; occupancy that a small grid never uses (session 21: nbody_step's variant
; at 40 registers ran as fast as the plain kernel at 32); the runtime
; launches the wide form where the whole grid fits at its occupancy. The
; copy reads its control parameters by its own PTX names. A kernel with
; launch bounds or a budget of its own gets no wide form (the user's word);
; the kernels themselves never change. The remark names the wide form.
; The copy leaves the variant's PTX as it was: a shared variable only the
; variant uses gets a copy of its own for the wide form (llc declares a
; shared variable that one function uses inside it, one that two use at
; module scope, and ptxas allocates registers differently for that alone:
; kmeans_assign's variant went from 56 to 48 registers, 10 % slower); one
; that other functions use too (the user's @tile, used by @staged and its
; variant) is shared as before.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o %t.ptx
; RUN: FileCheck %s --check-prefix=PTX < %t.ptx
; RUN: %ptxas -arch=sm_90 %t.ptx -o /dev/null
; RUN: FileCheck %s --check-prefix=SHARED < %t.ll
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -gpreempt-wide-variant=0 -S %s -o - | FileCheck %s --check-prefix=OFF

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @free(ptr %p, i32 %n) {
entry:
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %a = getelementptr inbounds i32, ptr %p, i32 %i
  store i32 %i, ptr %a, align 4
  %i.next = add i32 %i, 1
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit
exit:
  ret void
}

@tile = internal addrspace(3) global [128 x i32] undef, align 4

define ptx_kernel void @staged(ptr %p, i32 %n) {
entry:
  %t = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %a = getelementptr inbounds i32, ptr %p, i32 %i
  store i32 %i, ptr %a, align 4
  %i.next = add i32 %i, 1
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit
exit:
  %s = getelementptr inbounds [128 x i32], ptr addrspace(3) @tile, i32 0, i32 %t
  store i32 %n, ptr addrspace(3) %s, align 4
  %v = load i32, ptr addrspace(3) %s, align 4
  %o = getelementptr inbounds i32, ptr %p, i32 %t
  store i32 %v, ptr %o, align 4
  ret void
}

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

define ptx_kernel void @bounded(ptr %p, i32 %n) #0 {
entry:
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %a = getelementptr inbounds i32, ptr %p, i32 %i
  store i32 %i, ptr %a, align 4
  %i.next = add i32 %i, 1
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit
exit:
  ret void
}

define ptx_kernel void @budgeted(ptr %p, i32 %n) #1 {
entry:
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %a = getelementptr inbounds i32, ptr %p, i32 %i
  store i32 %i, ptr %a, align 4
  %i.next = add i32 %i, 1
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit
exit:
  ret void
}

attributes #0 = { "nvvm.maxntid"="128" "nvvm.minctasm"="4" }
attributes #1 = { "nvvm.maxnreg"="48" }

; Flags: preemptible (1) + wide (4) for @free only.
; CHECK-DAG: @free__gp_info = {{.*}}constant [8 x i32] [i32 1196446277, i32 9, i32 5,
; CHECK-DAG: @bounded__gp_info = {{.*}}constant [8 x i32] [i32 1196446277, i32 9, i32 1,
; CHECK-DAG: @budgeted__gp_info = {{.*}}constant [8 x i32] [i32 1196446277, i32 9, i32 1,
; CHECK: define ptx_kernel void @free(ptr %p, i32 %n) {
; CHECK: define ptx_kernel void @free__gp({{.*}}) {
; CHECK: call i64 asm sideeffect "ld.param.b64 $0, [free__gp_param_
; CHECK: define ptx_kernel void @free__gp_wide({{.*}}) #[[WIDE:[0-9]+]]
; CHECK-NOT: free__gp_param_
; CHECK: call i64 asm sideeffect "ld.param.b64 $0, [free__gp_wide_param_
; CHECK-NOT: free__gp_param_
; CHECK: define ptx_kernel void @staged__gp_wide(
; CHECK: define ptx_kernel void @bounded__gp({{.*}}) #[[BOUNDED:[0-9]+]]
; CHECK: define ptx_kernel void @budgeted__gp({{.*}}) #[[BUDGETED:[0-9]+]]
; CHECK-NOT: __gp_wide(
; CHECK-DAG: attributes #[[BOUNDED]] = { "nvvm.maxntid"="128" "nvvm.minctasm"="4" }
; CHECK-DAG: attributes #[[BUDGETED]] = { "nvvm.maxnreg"="48" }
; CHECK-DAG: attributes #[[WIDE]] = { "nvvm.maxnreg"="64" }

; PTX-LABEL: .entry free__gp(
; PTX-NOT: .maxnreg
; PTX-LABEL: .entry free__gp_wide(
; PTX: .maxnreg 64
; PTX-NOT: free__gp_param_
; PTX-LABEL: .entry bounded__gp(
; PTX-NOT: .maxnreg
; PTX: .minnctapersm 4
; PTX-LABEL: .entry budgeted__gp(
; PTX: .maxnreg 48

; REMARK: kernel 'free' is preemptible: {{.*}}; also a wide form at 64 registers for grids that fit at its occupancy
; REMARK: kernel 'staged' is preemptible: {{.*}}; also a wide form at 64
; REMARK: kernel 'bounded' is preemptible:
; REMARK-NOT: wide form
; REMARK: kernel 'budgeted' is preemptible:
; REMARK-NOT: wide form

; The dispatch's words, then only @free__gp's, have copies for @free__gp_wide;
; @staged__gp_wide shares them with the variants made before it, and @tile
; with @staged and @staged__gp.
; SHARED-DAG: @__gp_shared_slot = internal addrspace(3) global i64
; SHARED-DAG: @__gp_shared_slot__gp_wide = internal addrspace(3) global i64
; SHARED-NOT: @tile__gp_wide
; SHARED-LABEL: define ptx_kernel void @free__gp(
; SHARED-NOT: __gp_wide
; SHARED: @__gp_shared_slot,
; SHARED-NOT: __gp_wide
; SHARED-LABEL: define ptx_kernel void @free__gp_wide(
; SHARED: @__gp_shared_slot__gp_wide,
; SHARED-LABEL: define ptx_kernel void @staged__gp(
; SHARED: @tile
; SHARED-LABEL: define ptx_kernel void @staged__gp_wide(
; SHARED-NOT: __gp_wide,
; SHARED: @__gp_shared_slot,
; SHARED: @tile
; SHARED-LABEL: define ptx_kernel void @bounded__gp(

; OFF-NOT: __gp_wide
; OFF-NOT: "nvvm.maxnreg"="64"
