#!/usr/bin/env bash
# indirect-ab.sh - session 15's third device call, on the GPU machine, from
# the repository root: main's kmeans test after the converged-inner
# default, the load-latency experiments against main, then main's harness
# (last: it is what a short call cuts).
# Carry build/bench, build/test, build/utils and the two build-variant.sh
# trees:
#   build-lat  -mllvm -gpreempt-load-latency=64
#   build-ind  -mllvm -gpreempt-load-latency=64
#              -mllvm -gpreempt-load-latency-indirect
# $OUT gets eight files: kmeans-lit.log, harness.out, harness/ (4),
# time-ab.txt, ab.tar.gz. Ran at 45f2363; on main since a667c60 build-ind
# is main and build-lat is -mllvm -gpreempt-load-latency-indirect=false.
set -u
OUT=${OUT:?}
mkdir -p "$OUT/tmp"
here=docs/experiments
# zoo/kmeans.test under stress, with the harness's build of the program
# (the same source and flags as build/bin's, which is not carried).
mkdir -p build/bin && cp build/bench/bin/zoo_kmeans build/bin/
timeout -k 5 90 python3 build/utils/lit/lit.py -v --param gp_timeout=85 \
  build/test/zoo --filter kmeans >"$OUT/kmeans-lit.log" 2>&1
echo "lit rc=$?" >>"$OUT/kmeans-lit.log"
grep -E '^(PASS|FAIL|TIMEOUT|UNRESOLVED)|rc=' "$OUT/kmeans-lit.log"
PROGS="reduction histogram spmv_csr" OUT=$OUT "$here/time-ab.sh" 2 \
  main=build/bench/bin/zoo_%p lat=build-lat/bench/bin/zoo_%p \
  ind=build-ind/bench/bin/zoo_%p
PROGS=bfs OUT=$OUT "$here/time-ab.sh" 1 main=build/bench/bin/zoo_%p \
  ind=build-ind/bench/bin/zoo_%p
python3 bench/ab.py --out "$OUT/tmp/ab" --bench-dir build/bench --variant main: \
  --variant lat@build-lat/bench: --variant ind@build-ind/bench: \
  --drain spmv_csr,bfs,histogram --lc '' --rounds 2 --budget-s 100
tar czf "$OUT/ab.tar.gz" -C "$OUT/tmp" ab && rm -rf "$OUT/tmp"
# Last: what is cut if the session's device time runs out.
BENCH_BUDGET_S=${BENCH_BUDGET_S:-230} bench/run.sh measure "$OUT/harness" \
  >"$OUT/harness.out" 2>&1
tail -n 9 "$OUT/harness.out"
