#!/usr/bin/env bash
# exit-bound-ab.sh - session 20's A/B of -gpreempt-exit-bound-polls, on the
# GPU machine from the repository root.
#
# A loop with a poll interval counts its back-edges in a counter of its own
# (an add, an and, a compare and a branch each iteration): reduction's
# grid-stride loop is 12 SASS instructions and a YIELD against 8, and
# reduce_xor_partials 122 -> 134 us under Nsight Compute (session 19).
# The variant lets the loop's exit test count instead (ExitBoundPolls.cpp):
# the iteration is the plain kernel's. The programs timed are those with
# such loops (reduction, histogram, scan's add_offsets, kmeans, spmv_csr, bfs,
# iterative_solver); then each of them, and the rest of the zoo, under
# preemption stress with --check (stress-variants.sh).
#
# On by default since session 20 (reduction -3 to -4 %, histogram -4 %):
# build the variant with -gpreempt-exit-bound-polls=false to measure again.
# Carry build/bench and build-exit/bench (docs/experiments/README.md says
# how to build it). $OUT gets time-ab.txt and stress.txt.
set -u
OUT=${OUT:?}
mkdir -p "$OUT"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PROGS="reduction histogram scan kmeans iterative_solver spmv_csr bfs" \
  docs/experiments/time-ab.sh 2 \
  main=build/bench/bin/zoo_%p exit=build-exit/bench/bin/zoo_%p >/dev/null
docs/experiments/stress-variants.sh exit
