#!/usr/bin/env bash
# wide-variant-ab.sh - GPU time of the zoo with the wide variant at other
# register budgets than main's, on the GPU machine from the repository root.
#
#     OUT=dir docs/experiments/wide-variant-ab.sh [N...]
#
# ptxas holds a kernel without launch bounds near 32 registers (all 64
# warps of an SM), whatever its grid; K__gp_wide is the variant at a budget
# of N registers (-gpreempt-wide-variant=N, 64 on main since 51b1a95, 0:
# none), launched where ptxas gave it more registers than K__gp and the
# whole grid fits at its occupancy. For each N (default: 0, i.e. main
# against no wide form) a tree build-wN/bench from
#   docs/experiments/build-variant.sh build-wN -mllvm -gpreempt-wide-variant=N
# (with KEEP="prog ..." to carry less). $OUT gets time-ab.txt (plain, main
# and each wN, two rounds; PROGS narrows the programs, the ones whose
# kernels have a wide form first) and stress.txt (each wN under
# GPREEMPT_STRESS=100 --check, with how many launches ran wide). Session 22
# (docs/results.md) measured 64 and 40 against none: nbody 86.4 / 104.7 /
# 117.6 ms, the others unchanged.
set -u
OUT=${OUT:?}
mkdir -p "$OUT"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ $# -ge 1 ] || set -- 0
variants=() trees=()
for n in "$@"; do
  variants+=("w$n=build-w$n/bench/bin/zoo_%p")
  trees+=("w$n")
done
PROGS=${PROGS:-"nbody iterative_solver kmeans wmma_gemm tiled_rows_dynamic \
reduction scan bfs histogram jacobi2d sgemm_tiled softmax_rows spmv_csr"} \
  docs/experiments/time-ab.sh 2 plain=build/bench/bin/zoo_%p_plain \
  main=build/bench/bin/zoo_%p "${variants[@]}"
docs/experiments/stress-variants.sh "${trees[@]}"
