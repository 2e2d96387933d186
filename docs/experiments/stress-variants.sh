#!/usr/bin/env bash
# stress-variants.sh - every zoo program of each variant build under
# preemption stress, checked against the CPU reference, on the GPU machine
# from the repository root.
#
#     OUT=dir docs/experiments/stress-variants.sh VARIANT...
#
# A VARIANT names a tree build-VARIANT/bench made by build-variant.sh. Each
# program runs with GPREEMPT_STRESS=100 (a preemption every 100 us) and
# --check (exit 1 if the result differs from the CPU's); $OUT/stress.txt
# gets PASS or FAIL per variant and program, with the checksum and the
# preemption counts, written as it goes (the launch-heavy programs first),
# so a call cut short still brings back what ran. Programs a tree lacks
# (build-variant.sh's KEEP) are left out.
set -u
OUT=${OUT:?}
[ $# -ge 1 ] || { echo "name a variant or more" >&2; exit 2; }
mkdir -p "$OUT"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
for prog in reduction scan histogram bfs nbody iterative_solver jacobi2d kmeans \
    sgemm_tiled softmax_rows spmv_csr tiled_rows_dynamic wmma_gemm; do
  for variant in "$@"; do
    # A tree built with KEEP= holds only some programs.
    [ -x build-$variant/bench/bin/zoo_$prog ] || continue
    got=$(env GPREEMPT_STRESS=100 GPREEMPT_STATS=1 timeout 100 \
          build-$variant/bench/bin/zoo_$prog --check --timeout 60 \
          --require-preemptible 2>&1)
    rc=$?
    sum=$(grep -m1 '^checksum ' <<<"$got")
    stats=$(grep -E '^gpreempt: (preemptions|relaunches|launches wide) ' <<<"$got" | tr '\n' ' ')
    if [ $rc -eq 0 ]; then
      echo "PASS $variant $prog ($sum; $stats)"
    else
      echo "FAIL $variant $prog rc=$rc"; tail -5 <<<"$got"
    fi
  done
done | tee -a "$OUT/stress.txt"
