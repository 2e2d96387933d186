#!/usr/bin/env bash
# wide-variant-ab.sh - session 21's lead, for the next call, on the GPU
# machine from the repository root. ptxas holds a kernel without launch
# bounds near 32 registers (all 64 warps of an SM), whatever its grid, and
# nbody_step at 40 ran 15 % faster, plain or preemptible (the preemptible
# at 40 as fast as the plain at 32). `-gpreempt-wide-variant=N` adds
# K__gp_wide with the budget N, and the runtime launches it where ptxas gave
# it more registers than K__gp and the whole grid fits at its occupancy.
# Which zoo programs gain, and does any lose?
#
# Builds (carry both; build-w64/bench about 11 MB, bench_lc_latency
# removed):
#   bench/run.sh build
#   docs/experiments/build-variant.sh build-w64 -mllvm -gpreempt-wide-variant=64
# $OUT gets time-ab.txt (every zoo program: plain, main, w64, two rounds;
# the programs whose kernels get a wide form first: nbody 60 registers
# against 32, wmma_gemm 39/32, kmeans_assign 64/48, relax_rows 63/56, by
# ptxas -v at 8b0f2e8) and stress.txt (w64 under GPREEMPT_STRESS=100
# --check, with how many launches ran wide). About 7 minutes; a budget of
# 40 or 48 is the next question if 64 gains. PROGS narrows the programs
# (a build-w64 made with KEEP= holds only some).
set -u
OUT=${OUT:?}
mkdir -p "$OUT"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PROGS=${PROGS:-"nbody wmma_gemm kmeans tiled_rows_dynamic reduction scan bfs \
histogram jacobi2d sgemm_tiled softmax_rows spmv_csr iterative_solver"} \
  docs/experiments/time-ab.sh 2 plain=build/bench/bin/zoo_%p_plain \
  main=build/bench/bin/zoo_%p w64=build-w64/bench/bin/zoo_%p
docs/experiments/stress-variants.sh w64
