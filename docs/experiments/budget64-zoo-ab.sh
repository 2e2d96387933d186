#!/usr/bin/env bash
# budget64-zoo-ab.sh - session 18's device call, on the GPU machine, from the
# repository root: the harness at HEAD (preempting at launch now waits for
# the drain), then the whole zoo's drain and GPU time with a check budget of
# 64 against the default 256. Session 18's first call (interval-drain-ab.sh)
# saw budget 64 cut four programs' drain p99 by 10-50 % and cost reduction
# 3 % of GPU time; this is the data for choosing a budget per loop or for
# all of them.
# Carry build/bench and build-b64h/bench (build-variant.sh build-b64h
# -mllvm -gpreempt-poll-budget=64, from the checkout, no KEEP).
# $OUT gets harness/ (4 files), harness.out, b64/ab.json, b64/ab.md and
# b64/time-ab.txt: 8, the device's most. ab's logs.tar.gz stays behind.
set -u
OUT=${OUT:?}
mkdir -p "$OUT/b64"
BENCH_BUDGET_S=${BENCH_BUDGET_S:-300} bench/run.sh measure "$OUT/harness" \
  >"$OUT/harness.out" 2>&1
tail -n 9 "$OUT/harness.out"
zoo="bfs histogram iterative_solver jacobi2d kmeans nbody reduction scan"
zoo="$zoo sgemm_tiled softmax_rows spmv_csr tiled_rows_dynamic wmma_gemm"
python3 bench/ab.py --out "$OUT/b64" --bench-dir build/bench \
  --variant main: --variant b64@build-b64h/bench: \
  --drain "$(echo $zoo | tr ' ' ,)" --lc '' --rounds 2 --budget-s 170
rm -f "$OUT/b64/logs.tar.gz"
PROGS="$zoo" OUT=$OUT/b64 docs/experiments/time-ab.sh 1 \
  main=build/bench/bin/zoo_%p b64=build-b64h/bench/bin/zoo_%p
