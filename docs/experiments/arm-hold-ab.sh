#!/usr/bin/env bash
# arm-hold-ab.sh - session 21's second lead, for the next call, on the GPU
# machine from the repository root (carry build/bench; ~4 minutes). bfs
# synchronizes its stream after each of its ~3680 launches a repeat, so the
# runtime releases the armed raise after each one and makes it again at the
# next launch: GPREEMPT_ARM_US=0 (no arm) ran it 1.7-3.4 % faster
# (docs/results.md, session 21). GPREEMPT_ARM_HOLD_US=N keeps an arm N us
# past the last look that saw launches running. Does a hold of 100-300 us
# take that cost away, without costing the others, and with the drain as
# before? Session 22: no (docs/experiments/README.md); the hold is kept in
# arm-hold.patch, which this needs applied (git apply, then
# bench/run.sh build).
#
# $OUT gets time-ab.txt (GPU time per repeat: main, hold 100, hold 300, no
# arm; two rounds) and drain.txt (each program under GPREEMPT_STRESS=1000,
# main and hold 300: the runtime's drain p50/p99 and raise p50/p99).
set -u
OUT=${OUT:?}
mkdir -p "$OUT"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exe=build/bench/bin/zoo_%p
PROGS="bfs scan reduction histogram" docs/experiments/time-ab.sh 2 \
  main=$exe hold100=$exe,GPREEMPT_ARM_HOLD_US=100 \
  hold300=$exe,GPREEMPT_ARM_HOLD_US=300 noarm=$exe,GPREEMPT_ARM_US=0
for prog in bfs scan reduction; do
  for hold in 0 300; do
    line=$(env GPREEMPT_STRESS=1000 GPREEMPT_SEED=4242 GPREEMPT_STATS=1 \
           GPREEMPT_ARM_HOLD_US=$hold timeout 120 build/bench/bin/zoo_$prog \
           --repeat 3 --check 2>&1 | grep -E '^gpreempt: (drain_us|raise_us) ' |
           tr '\n' ' ')
    echo "$prog hold=$hold $line" | tee -a "$OUT/drain.txt"
  done
done
