#!/usr/bin/env bash
# uniform-hints-ab.sh - session 21's questions, on the GPU machine from the
# repository root, in the order of their worth (a call cut short still
# brings back the first answers):
#
# 1. nbody_step is 15 % slower preemptible, and Nsight Compute says why:
#    ptxas holds both kernels at 32 registers (its occupancy target), the
#    preemptible loop has three more live values, and keeps one shared load
#    less in flight. Does it go away with room (-maxrregcount=40 for both:
#    build/var/r40) or with the uniform hints (build-uh: ptxas keeps the
#    loop's uniform values in uniform registers again)? The SASS of the
#    uniform-hints nbody shows whether ptxas took the hint.
# 2. bfs and reduction: the checks cost nothing there (budget 10^6, session
#    21); how much of the rest is the armed raise (GPREEMPT_ARM_US=0) and how
#    much the runtime's launch path alone (GPREEMPT_DISABLE=1 runs every
#    launch unpreempted through it)?
# 3. The uniform hints in the other block-collective programs.
# 4. The uniform-hints build under preemption stress, checked.
#
# Builds (carry all three): build/bench (bench/run.sh build),
# build-uh/bench (docs/experiments/build-variant.sh build-uh -mllvm
# -gpreempt-uniform-hints), build/var/r40 (zoo_nbody and zoo_nbody_plain
# from gpreempt-cc [--gp-no-preempt] -O2 -pthread -Xcuda-ptxas
# -maxrregcount=40). $OUT gets time-ab.txt, stress.txt and nbody-uh.sass.
set -u
OUT=${OUT:?}
mkdir -p "$OUT"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ab=docs/experiments/time-ab.sh
cuobjdump=$(command -v cuobjdump || ls /usr/local/cuda/bin/cuobjdump 2>/dev/null)
[ -n "$cuobjdump" ] && "$cuobjdump" -sass build-uh/bench/bin/zoo_nbody \
  >"$OUT/nbody-uh.sass" 2>&1
PROGS=nbody $ab 2 plain=build/bench/bin/zoo_%p_plain main=build/bench/bin/zoo_%p \
  uh=build-uh/bench/bin/zoo_%p plain40=build/var/r40/zoo_%p_plain \
  gp40=build/var/r40/zoo_%p
PROGS="bfs reduction" $ab 2 plain=build/bench/bin/zoo_%p_plain \
  main=build/bench/bin/zoo_%p noarm=build/bench/bin/zoo_%p,GPREEMPT_ARM_US=0 \
  disabled=build/bench/bin/zoo_%p,GPREEMPT_DISABLE=1 \
  uh=build-uh/bench/bin/zoo_%p
PROGS="scan sgemm_tiled jacobi2d tiled_rows_dynamic kmeans histogram" $ab 2 \
  main=build/bench/bin/zoo_%p uh=build-uh/bench/bin/zoo_%p
docs/experiments/stress-variants.sh uh
