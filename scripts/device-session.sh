#!/usr/bin/env bash
# device-session.sh - a session's one device call: the GPU tests, then the
# benchmark harness, keeping what comes back within the device's limits.
#
#   scripts/device-session.sh prepare    build machine: build everything,
#                                        strip the test programs, pack them
#                                        into build/carry, print the call
#   OUT=dir scripts/device-session.sh    GPU machine: run both
#
# The device returns at most 8 files from $OUT (/work/.library/device
# README); the GPU tests alone write up to 7 and the harness 4, so the
# tests' logs come back as one archive. $OUT gets:
#   gpu-tests.out     the GPU tests' console output (summary at its end)
#   gpu-logs.tar.gz   their log folder (scripts/device-gpu-tests.sh)
#   harness.out       the harness's console output (targets at its end)
#   harness/          results.md, results.json, lc_latency.png, logs.tar.gz
# Budgets: GPU_TESTS_BUDGET_S (default 260) and BENCH_BUDGET_S (default 300),
# so the call ends inside the device's 10 minutes per command.
# Exits 1 if either part failed; both always run.
set -u -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "${1:-}" = prepare ]; then
  set -e
  cmake --build build
  bench/run.sh build
  # Debug info is most of the test programs' size, and a local lit run's
  # Output folders add 5 MiB; the carry limit is 64 MiB with the sources.
  strip build/bin/* 2>/dev/null || true
  find build/test -type d -name Output -prune -exec rm -rf {} +
  rm -f build/test/results.json
  scripts/pack-carry.sh build/bin build/test build/utils build/bench \
    build/zoo-remarks
  cat <<'CALL'
device call: carry ["build/carry"], timeout_s 600,
  command: tar xJf build/carry/all.tar.xz && OUT=$OUT scripts/device-session.sh
CALL
  exit 0
fi

OUT=${OUT:?set OUT to the folder that comes back}
mkdir -p "$OUT"
logs=$(mktemp -d)
rc=0
GPU_TESTS_BUDGET_S=${GPU_TESTS_BUDGET_S:-260} OUT=$logs/gpu \
  scripts/device-gpu-tests.sh >"$OUT/gpu-tests.out" 2>&1 || rc=1
tail -n 12 "$OUT/gpu-tests.out"
tar czf "$OUT/gpu-logs.tar.gz" -C "$logs" gpu || rc=1
BENCH_BUDGET_S=${BENCH_BUDGET_S:-300} bench/run.sh measure "$OUT/harness" \
  >"$OUT/harness.out" 2>&1 || rc=1
tail -n 12 "$OUT/harness.out"
rm -rf "$logs"
exit "$rc"
