; Live values of every scalar kind are split into 32-bit save-area words and
; rebuilt on resume: i1, i16, i64, half, double, pointers, and vectors.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: %opt -passes=verify -disable-output %t.ll
; RUN: %llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx88 %t.ll -o /dev/null

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @mixed(i32 %n, ptr %in, ptr %out) {
entry:
  br label %loop

loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  %flag = phi i1 [ false, %entry ], [ %flag.next, %loop ]
  %s16 = phi i16 [ 0, %entry ], [ %s16.next, %loop ]
  %acc = phi i64 [ 0, %entry ], [ %acc.next, %loop ]
  %h = phi half [ 0xH0000, %entry ], [ %h.next, %loop ]
  %d = phi double [ 0.0, %entry ], [ %d.next, %loop ]
  %p = phi ptr [ %in, %entry ], [ %p.next, %loop ]
  %v = phi <2 x float> [ zeroinitializer, %entry ], [ %v.next, %loop ]
  %x = load i32, ptr %p, align 4
  %x64 = sext i32 %x to i64
  %acc.next = add i64 %acc, %x64
  %odd = trunc i32 %x to i1
  %flag.next = xor i1 %flag, %odd
  %x16 = trunc i32 %x to i16
  %s16.next = add i16 %s16, %x16
  %xh = sitofp i32 %x to half
  %h.next = fadd half %h, %xh
  %xd = sitofp i32 %x to double
  %d.next = fadd double %d, %xd
  %p.next = getelementptr inbounds i32, ptr %p, i32 1
  %xf = sitofp i32 %x to float
  %v.next = insertelement <2 x float> %v, float %xf, i32 1
  %i.next = add i32 %i, 1
  %more = icmp slt i32 %i.next, %n
  br i1 %more, label %loop, label %exit

exit:
  store i64 %acc.next, ptr %out, align 8
  %o1 = getelementptr i8, ptr %out, i32 8
  store i1 %flag.next, ptr %o1, align 1
  %o2 = getelementptr i8, ptr %out, i32 10
  store i16 %s16.next, ptr %o2, align 2
  %o3 = getelementptr i8, ptr %out, i32 12
  store half %h.next, ptr %o3, align 2
  %o4 = getelementptr i8, ptr %out, i32 16
  store double %d.next, ptr %o4, align 8
  %o5 = getelementptr i8, ptr %out, i32 24
  store ptr %p.next, ptr %o5, align 8
  %o6 = getelementptr i8, ptr %out, i32 32
  store <2 x float> %v.next, ptr %o6, align 8
  ret void
}

; i(1) flag(1) s16(1) acc(2) h(1) d(2) p(2) v(2) = 12 words, + word 0.
; CHECK: @mixed__gp_info = addrspace(1) constant [8 x i32] [i32 1196446277, i32 9, i32 5, i32 0, i32 13, i32 3, i32 1, i32 0]

; CHECK-LABEL: define ptx_kernel void @mixed__gp(
; CHECK:       loop.gp.restore:
; CHECK:         %[[F:[0-9]+]] = load i32, ptr addrspace(1)
; CHECK-NEXT:    %flag.gp.restored = trunc i32 %[[F]] to i1
; CHECK:         %[[S:[0-9]+]] = load i32, ptr addrspace(1)
; CHECK-NEXT:    %s16.gp.restored = trunc i32 %[[S]] to i16
; CHECK:         %[[LO:[0-9]+]] = load i32, ptr addrspace(1)
; CHECK:         %[[HI:[0-9]+]] = load i32, ptr addrspace(1)
; CHECK-NEXT:    %[[LO64:[0-9]+]] = zext i32 %[[LO]] to i64
; CHECK-NEXT:    %[[HI64:[0-9]+]] = zext i32 %[[HI]] to i64
; CHECK-NEXT:    %[[SH:[0-9]+]] = shl i64 %[[HI64]], 32
; CHECK-NEXT:    %acc.gp.restored = or i64 %[[LO64]], %[[SH]]
; CHECK:         %[[H16:[0-9]+]] = trunc i32 %{{.*}} to i16
; CHECK-NEXT:    %h.gp.restored = bitcast i16 %[[H16]] to half
; CHECK:         %d.gp.restored = bitcast i64 %{{.*}} to double
; CHECK:         %p.gp.restored = inttoptr i64 %{{.*}} to ptr
; CHECK:         %v.gp.restored = bitcast i64 %{{.*}} to <2 x float>
; CHECK:       loop.gp.yield:
; CHECK:         %[[FW:[0-9]+]] = zext i1 %flag.next to i32
; CHECK:         %[[PI:[0-9]+]] = ptrtoint ptr %p.next to i64
; CHECK:         %[[PLO:[0-9]+]] = trunc i64 %[[PI]] to i32
; CHECK:         %[[PHI:[0-9]+]] = lshr i64 %[[PI]], 32
; CHECK-NEXT:    trunc i64 %[[PHI]] to i32
; CHECK:         %[[VI:[0-9]+]] = bitcast <2 x float> %v.next to i64
