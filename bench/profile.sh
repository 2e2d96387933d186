#!/usr/bin/env bash
# bench/profile.sh - Nsight Compute profiles of zoo programs' kernels, the
# plain build beside the preemptible one, on the GPU machine.
#
#   bench/profile.sh OUTDIR NAME...    e.g. bench/profile.sh /tmp/ncu jacobi2d
#
# Profiles a few launches (after a warm-up) of build/bench/bin/zoo_NAME and
# zoo_NAME_plain (bench/run.sh build makes them) with the sections that say
# where time goes: speed of light, occupancy, launch statistics, warp stall
# reasons, scheduler. One text report per program and build in OUTDIR:
# ncu-NAME-plain.txt, ncu-NAME-gp.txt. Clocks are left alone
# (--clock-control none), as the benchmark runs them.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -ge 2 ] || { echo "usage: bench/profile.sh OUTDIR NAME..." >&2; exit 2; }
out=$1
shift
mkdir -p "$out"
ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -n 1)
[ -n "$ncu" ] || { echo "bench: profile: ncu not found" >&2; exit 77; }

status=0
for name in "$@"; do
  for build in plain gp; do
    exe=build/bench/bin/zoo_$name
    [ "$build" = plain ] && exe=${exe}_plain
    log=$out/ncu-$name-$build.txt
    if ! timeout "${PROFILE_TIMEOUT_S:-60}" "$ncu" --clock-control none \
        --launch-skip 20 --launch-count 3 \
        --section SpeedOfLight --section Occupancy --section LaunchStats \
        --section WarpStateStats --section SchedulerStats \
        "$exe" >"$log" 2>&1; then
      echo "bench: profile: $exe failed or timed out (see $log)" >&2
      status=1
    fi
  done
done
exit $status
