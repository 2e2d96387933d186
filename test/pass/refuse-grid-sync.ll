; A grid-wide barrier (cooperative groups grid.sync) waits for every block of
; the grid, also those a preempted persistent grid has not started: refused.
; CUDA 13's grid.sync reads its workspace from %envreg1/2 and spins in
; inline asm (reduced below from clang's output for this_grid().sync());
; older toolkits call cudaCG* entry points of the device runtime.
; RUN: %opt -load-pass-plugin %gpreempt_plugin -passes=gpreempt -pass-remarks-missed=gpreempt -S %s -o %t.ll 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: FileCheck %s < %t.ll

target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

define ptx_kernel void @two_phase(ptr %x) {
entry:
  %lo = call i32 asm "mov.u32 $0, %envreg2;", "=r"()
  %hi = call i32 asm "mov.u32 $0, %envreg1;", "=r"()
  %lo64 = zext i32 %lo to i64
  %hi64 = zext i32 %hi to i64
  %hi.shifted = shl i64 %hi64, 32
  %bits = or i64 %hi.shifted, %lo64
  %ws = inttoptr i64 %bits to ptr
  %arrived = call i32 asm sideeffect "atom.add.release.gpu.u32 $0,[$1],$2;", "=r,l,r,~{memory}"(ptr %ws, i32 1)
  store i32 %arrived, ptr %x, align 4
  ret void
}

define ptx_kernel void @old_toolkit(ptr %x) {
entry:
  %h = call i64 @cudaCGGetIntrinsicHandle(i32 4)
  %r = call i32 @cudaCGSynchronizeGrid(i64 %h, i32 0)
  store i32 %r, ptr %x, align 4
  ret void
}

declare i64 @cudaCGGetIntrinsicHandle(i32)
declare i32 @cudaCGSynchronizeGrid(i64, i32)

; REMARK: kernel 'two_phase' left unpreemptible [unsafe-call]: it synchronizes the whole grid (cooperative groups grid.sync)
; REMARK: kernel 'old_toolkit' left unpreemptible [unsafe-call]: it synchronizes the whole grid (cooperative groups grid.sync)
; CHECK-NOT: define {{.*}}__gp(
