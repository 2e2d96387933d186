#!/usr/bin/env bash
# wait-and-budget-ab.sh - session 28's second device call: two A/Bs that
# share one call's ten minutes, their files kept within the device's eight.
#
#   1. LC latency, the host's wait for the drain against the GPU's
#      (gp_stream_wait_drained): bench/ab.py, variants `host:` (the
#      harness's flags: --wait-drained at launch, no wait at arrival) and
#      `gpu:--stream-wait-drained` (the GPU's wait in both situations).
#   2. The drain against the check budget, relays on (the default): main's
#      256, 64 and 0 (a check at every back-edge: the drain's floor), and
#      main before 3523fc9 (walks of the launch list to its end, "nocensus"),
#      six zoo programs under GPREEMPT_STRESS, with the runtime's split of
#      the slow drains; then the GPU time per repeat of five (time-ab.sh),
#      nbody among them, whose loop the budget hits hardest.
#
# Build machine, before the call:
#   scripts/device-session.sh prepare
#   KEEP="bfs histogram kmeans reduction scan jacobi2d nbody" \
#     docs/experiments/build-variant.sh build-b64 -mllvm -gpreempt-poll-budget=64
#   KEEP=... docs/experiments/build-variant.sh build-b0 -mllvm -gpreempt-poll-budget=0
#   KEEP=... docs/experiments/build-variant.sh build-nocensus --commit 4fe6b0d
#   scripts/pack-carry.sh build/bin build/test build/utils build/bench \
#     build/zoo-remarks build-b64/bench build-b0/bench build-nocensus/bench
# Device call: carry ["build/carry"], timeout_s 600, command:
#   tar xJf build/carry/all.tar.xz && OUT=$OUT docs/experiments/wait-and-budget-ab.sh
#
# $OUT gets lc-ab.md, lc-ab.json, budget-ab.md, budget-ab.json, time-ab.txt,
# logs.tar.gz (both A/Bs' logs) and ab.out (the console).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT=${OUT:?set OUT to the folder that comes back}
mkdir -p "$OUT"
work=$(mktemp -d)
rc=0
{
  python3 bench/ab.py --out "$work/lc" --variant host: \
    --variant gpu:--stream-wait-drained --rounds 3 --drain '' \
    --budget-s 120 || rc=1
  python3 bench/ab.py --out "$work/budget" --variant b256: \
    --variant b64@build-b64/bench: --variant b0@build-b0/bench: \
    --variant nocensus@build-nocensus/bench: --rounds 2 --lc '' \
    --drain bfs,histogram,kmeans,reduction,scan,jacobi2d --budget-s 270 || rc=1
  PROGS="bfs reduction scan histogram nbody" OUT=$work \
    docs/experiments/time-ab.sh 1 plain=build/bench/bin/zoo_%p_plain \
    b256=build/bench/bin/zoo_%p b64=build-b64/bench/bin/zoo_%p \
    b0=build-b0/bench/bin/zoo_%p || rc=1
} >"$OUT/ab.out" 2>&1
for ab in lc budget; do
  for f in ab.md ab.json; do
    [ -f "$work/$ab/$f" ] && cp "$work/$ab/$f" "$OUT/$ab-$f"
  done
done
[ -f "$work/time-ab.txt" ] && cp "$work/time-ab.txt" "$OUT/"
mkdir -p "$work/logs"
for ab in lc budget; do
  [ -f "$work/$ab/logs.tar.gz" ] && cp "$work/$ab/logs.tar.gz" "$work/logs/$ab.tar.gz"
done
tar czf "$OUT/logs.tar.gz" -C "$work" logs
rm -rf "$work"
tail -n 40 "$OUT/ab.out"
exit "$rc"
