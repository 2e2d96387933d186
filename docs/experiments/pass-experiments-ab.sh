#!/usr/bin/env bash
# pass-experiments-ab.sh - the A/B call of docs/experiments/README.md ("Next:
# five pass experiments"), on the GPU machine, from the repository root,
# with the six build-variant.sh trees carried (build-main, build-before,
# build-acqrel, build-ahead, build-aheadlat, build-inner; README says how
# each is built). $OUT gets eight files: time-ab.txt, ab/ (3), ab-inner/
# (3), spmv.sass. Ran at 4167c03; acqrel and ahead need trees built from
# 45f2363 (--commit), their options are gone from main since 4ab01c2.
set -u
OUT=${OUT:?}
mkdir -p "$OUT"
here=docs/experiments
PROGS="reduction scan histogram spmv_csr" OUT=$OUT "$here/time-ab.sh" 2 \
  main=build-main/bench/bin/zoo_%p before=build-before/bench/bin/zoo_%p \
  acqrel=build-acqrel/bench/bin/zoo_%p ahead=build-ahead/bench/bin/zoo_%p \
  aheadlat=build-aheadlat/bench/bin/zoo_%p
PROGS=kmeans OUT=$OUT "$here/time-ab.sh" 2 \
  main=build-main/bench/bin/zoo_%p inner=build-inner/bench/bin/zoo_%p
python3 bench/ab.py --out "$OUT/ab" --bench-dir build-main/bench --variant main: \
  --variant ahead@build-ahead/bench: --variant aheadlat@build-aheadlat/bench: \
  --rounds 2 --lc '' --budget-s 150
python3 bench/ab.py --out "$OUT/ab-inner" --bench-dir build-main/bench \
  --variant main: --variant inner@build-inner/bench: --drain kmeans --lc '' \
  --budget-s 60
for v in main ahead; do # does the check wait for the flag's load?
  echo "== $v"
  /usr/local/cuda/bin/cuobjdump -sass -fun _Z11spmv_scalarjPKjS0_S0_S0_Pj__gp \
    "build-$v/bench/bin/zoo_spmv_csr"
done >"$OUT/spmv.sass" 2>&1
