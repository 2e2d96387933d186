# Makes a fake CUDA toolkit at $1: just the files gpreempt-cc checks for.
mkdir -p "$1/include" "$1/lib64"
touch "$1/include/cuda_runtime.h" "$1/lib64/libcudart_static.a"
