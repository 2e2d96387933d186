#!/usr/bin/env bash
# lc-placement-ab.sh - session 17's question, on the GPU machine, from the
# repository root: why is the LC p99 ~200 us worse when gp_preempt() comes
# just before the LC kernels (preempt-at-launch) than at the request's
# arrival, although the drain it waits for takes tens of microseconds?
#
# The guess: a kernel launched while BE blocks still hold part of the GPU
# puts all its blocks on the SMs free at that moment (the LC kernels are
# one wave of 512 blocks), several times as many per SM as on an empty GPU,
# and keeps that placement once the other SMs are free; a kernel whose
# blocks compete for an SM's issue slots then runs up to 2x longer.
# --trace-placement shows each kernel's SMs and blocks per SM per request;
# --wait-drained (gp_wait_drained() before the launches) is the remedy to
# measure: the kernels start on an empty GPU, after the drain.
#
# Since 1216325 the harness itself waits at launch (bench/measure.py
# LC_FLAGS, which ab.py passes first), so `now` says --no-wait-drained.
# Carry build/bench. $OUT/lc gets ab.json, ab.md and logs.tar.gz (each run's
# whole output: the traced runs' bench-json has one row per request, read by
# docs/experiments/lc-placement-report.py).
set -u
OUT=${OUT:?}
mkdir -p "$OUT"
python3 bench/ab.py --out "$OUT/lc" --bench-dir build/bench \
  --variant now:--no-wait-drained --variant wait:--wait-drained,GPREEMPT_STATS=1 \
  --variant tnow:--no-wait-drained,--trace-placement \
  --variant twait:--wait-drained,--trace-placement,GPREEMPT_STATS=1 \
  --drain '' --lc preempt-at-launch,preempt-at-arrival --rounds 2 --budget-s 140
