#!/usr/bin/env bash
# poll-ahead-ab.sh - session 29's A/B of -gpreempt-poll-ahead, on the GPU
# machine from the repository root.
#
# A check whose branch waits for its flag load stalls the warp for an L2
# round trip (reduce_xor_partials' SASS, docs/bench-results/
# 2026-12-07-7197bb1-launch-cost: the flag's address from shared memory,
# then LDG.E.STRONG.SYS, then the branch, before the loop's next load). A
# loop with few warps and dependent loads hides none of it: bfs's one- and
# two-block levels ran 60.2 -> 67.1 us, ~3.5 us of it the launch's fixed
# chain, the rest ~5 checks a thread. With -gpreempt-poll-ahead a loop
# whose threads check on their own, of interval K >= 4, checks every K/2
# back-edges on the flag its previous check loaded (docs/design.md,
# "Reading the flag one check ahead"; in the zoo only exit-bound loops
# qualify).
#
#   time    GPU time per repeat (time-ab.sh), plain / main / ahead, of the
#           programs whose loops change (bfs's edge walk 4 -> 2, reduction,
#           histogram and kmeans 32-64 -> 16-32, spmv_scalar 4 -> 2). 2
#           rounds.
#   drain   their drain under GPREEMPT_STRESS, main against ahead (the
#           worst case stays K back-edges; the mean wait for a check
#           grows by a quarter of an interval). 2 rounds.
#   stress  every zoo program of the ahead build under GPREEMPT_STRESS=100
#           with --check against the CPU (stress-variants.sh).
#
# Build machine, before the call:
#   scripts/device-session.sh prepare
#   docs/experiments/build-variant.sh build-ahead -mllvm -gpreempt-poll-ahead
#   scripts/pack-carry.sh build/bin build/test build/utils build/bench \
#     build/zoo-remarks build-ahead/bench
# Device call: carry ["build/carry"], timeout_s 600, command:
#   tar xJf build/carry/all.tar.xz && OUT=$OUT docs/experiments/poll-ahead-ab.sh
# (or one part: ... poll-ahead-ab.sh time). ~450 s in all.
#
# $OUT gets time-ab.txt, drain/ (ab.md, ab.json, logs.tar.gz), stress.txt
# and ab.out (the console), each written as its part ends.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT=${OUT:?set OUT to the folder that comes back}
parts=${1:-all}
mkdir -p "$OUT"
rc=0
want() { [ "$parts" = all ] || [ "$parts" = "$1" ]; }
progs="bfs reduction histogram kmeans spmv_csr"
{
  if want time; then
    PROGS=$progs OUT=$OUT docs/experiments/time-ab.sh 2 \
      plain=build/bench/bin/zoo_%p_plain main=build/bench/bin/zoo_%p \
      ahead=build-ahead/bench/bin/zoo_%p || rc=1
  fi
  if want drain; then
    python3 bench/ab.py --out "$OUT/drain" --variant main: \
      --variant ahead@build-ahead/bench: --rounds 2 --lc '' \
      --drain "${progs// /,}" --budget-s 120 || rc=1
  fi
  if want stress; then
    OUT=$OUT docs/experiments/stress-variants.sh ahead || rc=1
  fi
} >"$OUT/ab.out" 2>&1
tail -n 40 "$OUT/ab.out"
exit "$rc"
