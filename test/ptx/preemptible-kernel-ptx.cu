// End to end through clang: the device compilation emits the original
// kernel, its preemptible variant and the info record, and ptxas accepts it.
// REQUIRES: cuda-toolkit
// RUN: %clang %cuda_flags -O2 --cuda-device-only -S -fpass-plugin=%gpreempt_plugin %s -o %t.ptx
// RUN: FileCheck %s < %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o /dev/null

__global__ void saxpy(int n, float a, const float *x, float *y) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += blockDim.x * gridDim.x)
    y[i] += a * x[i];
}

// "GPRE" magic, ABI 9, preemptible with a wide form, no refusal, 2 state
// words, 4 params.
// CHECK: .visible .global .align 8 .b8 _Z5saxpyifPKfPf__gp_info[32] = {69, 82, 80, 71, 9, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 1};
// The original has no poll and no barrier.
// CHECK-LABEL: .visible .entry _Z5saxpyifPKfPf(
// CHECK-NOT:   ld.volatile
// CHECK-NOT:   barrier
// CHECK:       ret;
// The variant polls with a volatile load and votes with a non-aligned
// barrier (threads reach it from different paths).
// CHECK-LABEL: .visible .entry _Z5saxpyifPKfPf__gp(
// CHECK:       barrier.sync 0;
// CHECK:       ld.volatile.global.b32
// CHECK:       barrier.red.or.pred
// Each block arrives with a device-scope release and a relaxed atomic; the
// last one to arrive acquires with a fence of its own (LLVM 22 would drop
// the acquire of an acq_rel atomicrmw).
// CHECK:       fence.release.gpu;
// CHECK:       atom.global.add.u64
// CHECK:       fence.acquire.gpu;
// The last block to leave publishes completion, and tells through the
// control block's left_value (before its way's system-scope fence) and the
// host's left word (after it), with relaxed stores (never st.mmio: a
// volatile relaxed store would be): a complete grid's way, then the way
// of an instance that yielded, then the left word.
// CHECK:       st.relaxed.sys.global.b64 {{.*}}+32]
// CHECK-NEXT:  fence.sc.sys;
// CHECK-NEXT:  st.relaxed.sys.global.b32
// CHECK:       st.relaxed.sys.global.b64 {{.*}}+32]
// CHECK-NEXT:  fence.release.sys;
// CHECK:       st.relaxed.sys.b64
// CHECK-NOT:   st.mmio
