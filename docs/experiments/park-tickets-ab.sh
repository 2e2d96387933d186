#!/usr/bin/env bash
# park-tickets-ab.sh - session 19's A/B of -gpreempt-park-tickets, on the
# GPU machine from the repository root.
#
# Nsight Compute (launch-cost-profile.sh, session 19) put most of the
# launch-heavy programs' overhead inside the kernels: a one-block kernel
# 2.9 -> 6.6 us (reduce_final; scan_totals 5.2 -> 8.3), a one-wave one
# 122 -> 134 us (reduce_xor_partials). Part of it is the chain of global
# round trips before a logical block starts: the flag load, then the
# ticket atomic. The variant issues both at once (and parks a ticket taken
# with the flag up in the slot, not started); a second variant also takes
# each physical block's first logical block without the atomic in the
# first instance (-gpreempt-direct-first-wave: af4d3a4 did that without
# parking and put nbody on a ptxas cliff, so nbody is timed too); a third
# adds -gpreempt-lone-block-exit (a one-block grid's tail without the
# arrival atomic).
#
# Session 20 measured direct and lone (docs/results.md): the direct first
# wave is on by default since, so main is that now.
#
# First GPU time per repeat, main vs the variants, two interleaved rounds
# (time-ab.sh); then correctness: every zoo program of each variant under
# GPREEMPT_STRESS=100 with --check against the CPU reference
# (stress-variants.sh). Carry build/bench,
# build-park/bench, build-direct/bench and build-lone/bench
# (docs/experiments/README.md says how to build them).
# $OUT gets stress.txt and time-ab.txt.
set -u
OUT=${OUT:?}
mkdir -p "$OUT"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PROGS="reduction scan bfs nbody" docs/experiments/time-ab.sh 2 \
  main=build/bench/bin/zoo_%p park=build-park/bench/bin/zoo_%p \
  direct=build-direct/bench/bin/zoo_%p lone=build-lone/bench/bin/zoo_%p \
  >/dev/null
docs/experiments/stress-variants.sh park direct lone
