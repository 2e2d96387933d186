#!/usr/bin/env bash
# register-budget-ab.sh - session 21's lead, for the next call, on the GPU
# machine from the repository root: ptxas holds every kernel without launch
# bounds at 32 registers (all 64 warps of an SM), whatever its grid, and
# nbody_step at 40 ran 15 % faster, plain or preemptible (the preemptible
# at 40 as fast as the plain at 32). Which zoo programs gain and which lose
# when the preemptible variants get a budget of 40 or 48
# (-gpreempt-variant-maxnreg)? A kernel that fills the GPU loses warps per
# SM; one whose grid is small does not. The budget is a cap, not a floor:
# the variants ptxas gives more on its own (ptxas -v at 8b0f2e8:
# sgemm_tiled 64, scan_segments 64, kmeans_assign 56, softmax_accumulate
# 72, relax_rows 56, richardson_batched 38) are pushed down to it, so those
# programs measure what a blanket budget would cost them; the rest are at
# 22-32. A default would need the runtime to choose, per launch, between
# the variant as ptxas makes it and one with room, by their register counts
# and the grid (the wider one only where the grid fits its occupancy).
#
# Builds (carry all three; about 11 MB each):
#   bench/run.sh build
#   docs/experiments/build-variant.sh build-r40 -mllvm -gpreempt-variant-maxnreg=40
#   docs/experiments/build-variant.sh build-r48 -mllvm -gpreempt-variant-maxnreg=48
# $OUT gets time-ab.txt (every zoo program, plain, main, r40, r48, two
# rounds) and stress.txt (r40 under GPREEMPT_STRESS=100 --check).
set -u
OUT=${OUT:?}
mkdir -p "$OUT"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PROGS="nbody sgemm_tiled wmma_gemm scan reduction histogram bfs jacobi2d kmeans \
softmax_rows spmv_csr tiled_rows_dynamic iterative_solver" \
  docs/experiments/time-ab.sh 2 plain=build/bench/bin/zoo_%p_plain \
  main=build/bench/bin/zoo_%p r40=build-r40/bench/bin/zoo_%p \
  r48=build-r48/bench/bin/zoo_%p
docs/experiments/stress-variants.sh r40
