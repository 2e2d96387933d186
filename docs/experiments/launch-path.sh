#!/usr/bin/env bash
# launch-path.sh - where a synchronized preemptible launch spends its time
# (docs/experiments/launch-path.cu says what each mode measures).
#
#   docs/experiments/launch-path.sh build     build machine: builds
#       build/exp/launch_path_plain and _gp (carry build/exp)
#   OUT=dir docs/experiments/launch-path.sh    GPU machine: runs every mode
#       for plain, gp, gp with GPREEMPT_DISABLE=1, gp armed
#       (GPREEMPT_ARM_IDLE_MS=0) and gp with events instead of the left word
#       (GPREEMPT_EVENTS=1), two interleaved rounds; $OUT/launch-path.txt
set -u -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [ "${1:-}" = build ]; then
  set -e
  mkdir -p build/exp
  build/bin/gpreempt-cc --gp-no-preempt -O2 -pthread -Wall -Wextra \
    -o build/exp/launch_path_plain docs/experiments/launch-path.cu
  build/bin/gpreempt-cc -O2 -pthread -Wall -Wextra \
    -o build/exp/launch_path_gp docs/experiments/launch-path.cu
  exit 0
fi
OUT=${OUT:?}
mkdir -p "$OUT"
log=$OUT/launch-path.txt
variants=${VARIANTS:-"plain gp disabled armed events"}
runs=${RUNS:-"sync 3000 1|sync 3000 8|sync 2000 1056|batch 2000 1|batch 500 1056|calls 2000"}
for round in 1 2; do
  IFS='|' read -ra list <<<"$runs"
  for run in "${list[@]}"; do
    for v in $variants; do
      exe=build/exp/launch_path_gp env=()
      case $v in
        plain) exe=build/exp/launch_path_plain ;;
        disabled) env=(GPREEMPT_DISABLE=1) ;;
        armed) env=(GPREEMPT_ARM_IDLE_MS=0) ;;
        events) env=(GPREEMPT_EVENTS=1) ;;
      esac
      echo "## round $round, $v: $run" >>"$log"
      # shellcheck disable=SC2086
      timeout 120 env "${env[@]}" "$exe" $run >>"$log" 2>&1 ||
        echo "exit status $?" >>"$log"
    done
  done
done
cat "$log"
