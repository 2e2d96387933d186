#!/usr/bin/env bash
# wait-and-budget-ab.sh - session 28's A/Bs, for one device call (or one a
# part: lc, drain, time), their files kept within the device's eight.
#
#   lc     LC latency at launch and at arrival: the host's wait for the
#          drain (`host`: the harness's flags, --wait-drained at launch, no
#          wait at arrival) against the GPU's (gp_stream_wait_drained,
#          `gpu`), each also with the memory-weighted poll interval
#          (`memhost`, `memgpu`: be_stream checks every 8 iterations, not
#          32). 3 rounds.
#   drain  the drain of six zoo programs under GPREEMPT_STRESS, relays on
#          (the default), with the runtime's split of its slow drains:
#          main (check budget 256), budgets 64 and 0 (a check at every
#          back-edge: the drain's floor), -gpreempt-memory-weight=16
#          (`mem16`), and main before 3523fc9 (`nocensus`: walks of the
#          launch list to its end). 2 rounds.
#   time   GPU time per repeat (time-ab.sh) of six programs under the
#          plain build and the four pass variants. 1 round.
#
# Build machine, before the call (every variant from the current tree:
# build-variant.sh folders left from an earlier session hold its code;
# nocensus, from 4fe6b0d, lacks the drain's split by distance from a clear,
# b5d2f56, so its rows show "-" there):
#   scripts/device-session.sh prepare
#   K="bfs histogram kmeans reduction scan jacobi2d nbody"
#   KEEP="$K" docs/experiments/build-variant.sh build-b64 -mllvm -gpreempt-poll-budget=64
#   KEEP="$K" docs/experiments/build-variant.sh build-b0 -mllvm -gpreempt-poll-budget=0
#   KEEP="$K bench_lc_latency" docs/experiments/build-variant.sh build-mem16 \
#     -mllvm -gpreempt-memory-weight=16
#   KEEP="$K" docs/experiments/build-variant.sh build-nocensus --commit 4fe6b0d
#   scripts/pack-carry.sh build/bin build/test build/utils build/bench \
#     build/zoo-remarks build-b64/bench build-b0/bench build-mem16/bench \
#     build-nocensus/bench
# Device call: carry ["build/carry"], timeout_s 600, command:
#   tar xJf build/carry/all.tar.xz && OUT=$OUT docs/experiments/wait-and-budget-ab.sh
#
# $OUT gets lc/ and drain/ (ab.md, ab.json, logs.tar.gz each), time-ab.txt
# and ab.out (the console), each written as its part ends.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT=${OUT:?set OUT to the folder that comes back}
parts=${1:-all}
mkdir -p "$OUT"
rc=0
want() { [ "$parts" = all ] || [ "$parts" = "$1" ]; }
{
  if want lc; then
    python3 bench/ab.py --out "$OUT/lc" --variant host: \
      --variant gpu:--stream-wait-drained --variant memhost@build-mem16/bench: \
      --variant memgpu@build-mem16/bench:--stream-wait-drained --rounds 3 \
      --drain '' --budget-s 130 || rc=1
  fi
  if want drain; then
    python3 bench/ab.py --out "$OUT/drain" --variant b256: \
      --variant b64@build-b64/bench: --variant b0@build-b0/bench: \
      --variant mem16@build-mem16/bench: --variant nocensus@build-nocensus/bench: \
      --rounds 2 --lc '' --drain bfs,histogram,kmeans,reduction,scan,jacobi2d \
      --budget-s 230 || rc=1
  fi
  if want time; then
    PROGS="bfs reduction scan histogram nbody kmeans" OUT=$OUT \
      docs/experiments/time-ab.sh 1 plain=build/bench/bin/zoo_%p_plain \
      b256=build/bench/bin/zoo_%p b64=build-b64/bench/bin/zoo_%p \
      b0=build-b0/bench/bin/zoo_%p mem16=build-mem16/bench/bin/zoo_%p || rc=1
  fi
} >"$OUT/ab.out" 2>&1
tail -n 40 "$OUT/ab.out"
exit "$rc"
