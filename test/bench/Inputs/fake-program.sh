#!/bin/sh
# Stands in for a benchmark program (or nvidia-smi) on a machine without a
# GPU: prints the output that the sample log of the same run in
# $BENCH_FAKE_LOGS holds, and exits with that run's status. A run whose log
# is missing or says it was skipped hangs instead, so the harness's time
# limit must stop it. Which log: the name it was called by, its arguments
# and GPREEMPT_STRESS, as bench/measure.py names its logs.
name=$(basename "$0")
case "$name" in
  nvidia-smi) log=env-nvidia-smi ;;
  bench_resume_cost) log=resume-cost ;;
  bench_lc_latency)
    log=throughput
    while [ $# -gt 0 ]; do
      [ "$1" = --situation ] && log=lc-$2
      shift
    done ;;
  zoo_*_plain) log=overhead-${name#zoo_}; log=${log%_plain}-plain ;;
  zoo_*)
    if [ -n "${GPREEMPT_STRESS:-}" ]; then
      log=drain-${name#zoo_}
    else
      log=overhead-${name#zoo_}-gpreempt
    fi ;;
  *) echo "fake-program: unknown program $name" >&2; exit 2 ;;
esac
file=$BENCH_FAKE_LOGS/$log.log
if [ ! -f "$file" ] || grep -q '^# skipped:' "$file"; then
  exec sleep 600
fi
sed '/^# [a-z_]*: /d' "$file"
status=$(sed -n 's/^# exit: \([0-9]*\)$/\1/p' "$file")
exit "${status:-0}"
