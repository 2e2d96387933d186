// The wide form (-gpreempt-wide-variant, 64 by default) must leave the
// variant's machine code exactly as a build without it makes it. It once did
// not: the copy shared the dispatch's and the converged loop's words with the
// variant, llc then declared them at module scope instead of inside the
// variant, and ptxas gave kmeans_assign's variant 48 registers instead of 56
// (10 % slower on an H200, docs/results.md session 22). Compares the SASS of
// both of kmeans' variants, built with and without the wide form.
// REQUIRES: cuda-toolkit
// RUN: %clang %cuda_flags -O2 --cuda-device-only -S -fpass-plugin=%gpreempt_plugin -I%S/../zoo -I%include %S/../zoo/kmeans.cu -o %t.wide.ptx
// RUN: %clang %cuda_flags -O2 --cuda-device-only -S -fpass-plugin=%gpreempt_plugin -mllvm -gpreempt-wide-variant=0 -I%S/../zoo -I%include %S/../zoo/kmeans.cu -o %t.none.ptx
// RUN: FileCheck %s < %t.wide.ptx
// RUN: %ptxas -arch=sm_90 %t.wide.ptx -o %t.wide.cubin
// RUN: %ptxas -arch=sm_90 %t.none.ptx -o %t.none.cubin
// RUN: %llvm_objcopy --dump-section .text._Z13kmeans_assignjPK6float4S1_PjPfS2___gp=%t.wide.assign --dump-section .text._Z13kmeans_updatePKfPKjPf__gp=%t.wide.update %t.wide.cubin %t.ignored
// RUN: %llvm_objcopy --dump-section .text._Z13kmeans_assignjPK6float4S1_PjPfS2___gp=%t.none.assign --dump-section .text._Z13kmeans_updatePKfPKjPf__gp=%t.none.update %t.none.cubin %t.ignored
// RUN: cmp %t.wide.assign %t.none.assign
// RUN: cmp %t.wide.update %t.none.update

// Both wide forms are there (so the comparison is not vacuous).
// CHECK-DAG: .entry _Z13kmeans_assignjPK6float4S1_PjPfS2___gp_wide(
// CHECK-DAG: .entry _Z13kmeans_updatePKfPKjPf__gp_wide(
