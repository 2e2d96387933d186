#!/usr/bin/env bash
# time-ab.sh - GPU time per repeat of zoo programs under several builds or
# runtime settings, interleaved in one GPU call, for changes bench/ab.py
# cannot compare (it runs one build under several environments).
#
# Usage (on the GPU machine, from the repository root):
#     OUT=dir docs/experiments/time-ab.sh ROUNDS VARIANT...
# A VARIANT is NAME=PROGRAM[,VAR=VALUE...], with %p in PROGRAM standing for
# the zoo program's name; PROGS (default "reduction scan histogram nbody")
# names the programs. Session 14's tail-store A/B was
#     OUT=$OUT docs/experiments/time-ab.sh 2 \
#       plain=build-cur/bench/bin/zoo_%p_plain \
#       events=build-cur/bench/bin/zoo_%p,GPREEMPT_EVENTS=1 \
#       left=build-cur/bench/bin/zoo_%p relaxed=build/bench/bin/zoo_%p
# (build-cur a full bench build then; trees from build-variant.sh have no
# plain programs: take those from build/bench).
# Each run is `PROGRAM --time --repeat 11`; $OUT/time-ab.txt gets one line
# per run: round, program, variant, and the program's kernel_time_us line
# (median, min, max over the repeats). Odd rounds run the variants in the
# order given, even rounds in reverse.
set -u
OUT=${OUT:?}
ROUNDS=${1:?rounds}
shift
[ $# -ge 2 ] || { echo "give two variants or more" >&2; exit 2; }
PROGS=${PROGS:-"reduction scan histogram nbody"}
mkdir -p "$OUT"

run() { # round prog variant
  local name=${3%%=*} spec=${3#*=}
  local exe=${spec%%,*} envs=()
  [ "$exe" != "$spec" ] && IFS=, read -r -a envs <<<"${spec#*,}"
  exe=${exe//%p/$2}
  local line
  line=$(env ${envs[@]+"${envs[@]}"} timeout 120 "$exe" --time --repeat 11 \
           --timeout 100 2>&1 |
         grep -m1 -E '^kernel_time_us' || echo "kernel_time_us FAILED")
  echo "$1 $2 $name $line" | tee -a "$OUT/time-ab.txt"
}

for round in $(seq "$ROUNDS"); do
  order=("$@")
  if [ $((round % 2)) -eq 0 ]; then
    order=()
    for ((i = $#; i >= 1; i--)); do order+=("${!i}"); done
  fi
  for prog in $PROGS; do
    for v in "${order[@]}"; do
      run "$round" "$prog" "$v"
    done
  done
done
