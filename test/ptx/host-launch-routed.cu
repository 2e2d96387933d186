// The host half: every launch goes through the runtime entry, also at -O0
// where the launch stub is not inlined.
// REQUIRES: cuda-toolkit
// RUN: %clang %cuda_flags -O2 -c -fpass-plugin=%gpreempt_plugin -Rpass=gpreempt %s -o %t2.o 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: %llvm_nm %t2.o | FileCheck %s
// RUN: %clang %cuda_flags -O0 -c -fpass-plugin=%gpreempt_plugin %s -o %t0.o
// RUN: %llvm_nm %t0.o | FileCheck %s

__global__ void fill(int n, int *y) {
  for (int i = threadIdx.x; i < n; i += blockDim.x)
    y[i] = i;
}

int launch(int *y) {
  fill<<<4, 128>>>(1000, y);
  void *args[] = {nullptr, &y};
  int n = 10;
  args[0] = &n;
  return cudaLaunchKernel((const void *)fill, dim3(1), dim3(32), args, 0, 0);
}

// REMARK: remark: launch of kernel 'fill(int, int*)' goes through the gpreempt runtime
// CHECK: U __gpreempt_launch_kernel
// CHECK-NOT: U cudaLaunchKernel{{$}}
