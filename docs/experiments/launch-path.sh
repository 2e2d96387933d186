#!/usr/bin/env bash
# launch-path.sh - where a synchronized preemptible launch spends its time
# (docs/experiments/launch-path.cu says what each mode measures).
#
#   docs/experiments/launch-path.sh build     build machine, after
#       bench/run.sh build: every variant into build/exp (~6 MB; carry it)
#   OUT=dir docs/experiments/launch-path.sh raise   GPU machine: only
#       raise-path.cu's paths, $OUT/raise-path.txt
#   OUT=dir docs/experiments/launch-path.sh    GPU machine: runs every mode
#       for plain, gp, gp with GPREEMPT_DISABLE=1, gp armed
#       (GPREEMPT_ARM_IDLE_MS=0) and gp with events instead of the left word
#       (GPREEMPT_EVENTS=1), nowait, evwait, scache (runtime patches), lone
#       (a pass flag), all below; two rounds, the second in reverse order,
#       then bfs in the same builds (time-ab.sh, 2 rounds): $OUT/
#       launch-path.txt (raw), launch-path.md (launch-path-report.py's
#       tables), time-ab.txt. Before them raise-path.cu's paths of a raise:
#       $OUT/raise-path.txt. About 6 minutes.
set -u -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [ "${1:-}" = build ]; then
  set -e
  mkdir -p build/exp
  build/bin/gpreempt-cc --gp-no-preempt -O2 -pthread -Wall -Wextra \
    -o build/exp/launch_path_plain docs/experiments/launch-path.cu
  build/bin/gpreempt-cc -O2 -pthread -Wall -Wextra \
    -o build/exp/launch_path_gp docs/experiments/launch-path.cu
  build/bin/gpreempt-cc --gp-no-preempt -O2 -pthread -Wall -Wextra \
    -o build/exp/raise_path docs/experiments/raise-path.cu
  # Runtime variants, each the runtime with one diagnostic patch, linked
  # into this program and into bfs: nowait (docs/experiments/no-wait.patch:
  # no stream wait after a launch, wrong once preempted, so never preempted
  # here), evwait (event-before-wait.patch: an event recorded between
  # the kernel and its wait) and scache (stream-cache.patch: each thread
  # keeps a stream's priority and flags by its id, two CUDA calls less per
  # launch).
  # A pass variant: lone (-gpreempt-lone-block-exit: a one-block grid
  # leaves without the device-scope release and the arrival atomic).
  build/bin/gpreempt-cc -mllvm -gpreempt-lone-block-exit -O2 -pthread \
    -o build/exp/launch_path_lone docs/experiments/launch-path.cu
  build/bin/gpreempt-cc -mllvm -gpreempt-lone-block-exit -O2 -pthread \
    -o build/exp/zoo_bfs_lone test/zoo/bfs.cu
  for variant in nowait:no-wait evwait:event-before-wait \
                 scache:stream-cache; do
    name=${variant%%:*} patch=docs/experiments/${variant#*:}.patch
    wt=$(mktemp -d)/src
    git worktree add --detach "$wt" HEAD >/dev/null
    (cd "$wt" && git apply "$OLDPWD/$patch")
    rm -rf "build-$name"
    cmake -S "$wt" -B "build-$name" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "build-$name" --target gpreempt >/dev/null
    git worktree remove --force "$wt"
    for out in "launch_path_$name:docs/experiments/launch-path.cu" \
               "zoo_bfs_$name:test/zoo/bfs.cu"; do
      cmd=$(build/bin/gpreempt-cc --gp-dry-run -O2 -pthread \
              -o "build/exp/${out%%:*}" "${out#*:}")
      eval "${cmd//$PWD\/build\/lib\/libgpreempt.a/$PWD/build-$name/lib/libgpreempt.a}"
    done
  done
  cp build/bench/bin/zoo_bfs build/bench/bin/zoo_bfs_plain build/exp/
  strip build/exp/*
  exit 0
fi
OUT=${OUT:?}
mkdir -p "$OUT"
log=$OUT/launch-path.txt
# First (its files come back even if the call runs out of time later):
# raise-path.cu's question, for the drain: how soon a kernel sees a raise.
for every in 8 64; do
  echo "## raise_path --host-every $every" >>"$OUT/raise-path.txt"
  timeout 150 build/exp/raise_path --host-every "$every" \
    >>"$OUT/raise-path.txt" 2>&1 || echo "exit status $?" >>"$OUT/raise-path.txt"
done
# `launch-path.sh raise`: raise-path.cu alone (well under a minute).
if [ "${1:-}" = raise ]; then
  cat "$OUT/raise-path.txt"
  exit 0
fi
variants=${VARIANTS:-"plain gp disabled armed events nowait evwait scache lone"}
runs=${RUNS:-"sync 3000 1|sync 3000 8|sync 2000 1056|batch 2000 1|batch 500 1056|calls 2000"}
for round in 1 2; do
  IFS='|' read -ra list <<<"$runs"
  order=$variants # the second round in reverse order
  [ "$round" = 2 ] && order=$(printf '%s\n' $variants | tac | tr '\n' ' ')
  for run in "${list[@]}"; do
    for v in $order; do
      exe=build/exp/launch_path_gp env=()
      case $v in
        plain) exe=build/exp/launch_path_plain ;;
        disabled) env=(GPREEMPT_DISABLE=1) ;;
        armed) env=(GPREEMPT_ARM_IDLE_MS=0) ;;
        events) env=(GPREEMPT_EVENTS=1) ;;
        nowait | evwait | scache | lone) exe=build/exp/launch_path_$v ;;
      esac
      echo "## round $round, $v: $run" >>"$log"
      # shellcheck disable=SC2086
      timeout 120 env "${env[@]}" "$exe" $run >>"$log" 2>&1 ||
        echo "exit status $?" >>"$log"
    done
  done
done
PROGS=bfs docs/experiments/time-ab.sh 2 plain=build/exp/zoo_%p_plain \
  gp=build/exp/zoo_%p nowait=build/exp/zoo_%p_nowait \
  evwait=build/exp/zoo_%p_evwait scache=build/exp/zoo_%p_scache \
  lone=build/exp/zoo_%p_lone >/dev/null
python3 docs/experiments/launch-path-report.py "$log" >"$OUT/launch-path.md"
cat "$OUT/launch-path.md" "$OUT/time-ab.txt" "$OUT/raise-path.txt"
