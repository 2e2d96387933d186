#!/usr/bin/env bash
# bench/run.sh - issue 4's benchmark harness (docs/benchmarks.md).
#
#   bench/run.sh build            on the build machine (clang, no GPU needed):
#                                 build everything, then gather what the GPU
#                                 machine needs into build/bench/ (bin/,
#                                 remarks/, zoo-remarks/, build-info.json)
#   bench/run.sh measure [OUTDIR] on the GPU machine (CUDA driver, python3; no
#                                 clang): measure, and write OUTDIR/results.json,
#                                 results.md, lc_latency.png and logs.tar.gz
#                                 (OUTDIR defaults to build/bench-results)
#   bench/run.sh [OUTDIR]         both, where a GPU is present
#
# Between the two halves only build/bench/ and the source tree travel. The
# measure half keeps to a time budget (BENCH_BUDGET_S, default 450 s) and
# gives every program a time limit, so it ends in under 8 minutes even when
# programs hang.
#
# Environment: BUILD_DIR (default build), BENCH_BUDGET_S, BENCH_SKIP (steps
# to leave out, e.g. "overhead": measure.py --skip), GPREEMPT_GPU=0/1 (skip
# the GPU check, as lit does).
#
# Exit status: 0 every run completed (targets may still be missed: see
# results.md), 1 some run failed or timed out (results are still written),
# 2 usage or missing build, 77 no GPU here: nothing was measured.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${BUILD_DIR:-build}
BENCH_DIR=$BUILD_DIR/bench
export BUILD_DIR

die() { echo "bench: error: $*" >&2; exit 2; }

have_gpu() {
  case "${GPREEMPT_GPU:-}" in
    1) return 0 ;;
    0) return 1 ;;
  esac
  command -v nvidia-smi >/dev/null 2>&1 &&
    timeout 30 nvidia-smi -L 2>/dev/null | grep -q GPU
}

# Every zoo program's name: test/zoo/<name>.cu.
zoo_names() {
  local f
  for f in test/zoo/*.cu; do
    basename "$f" .cu
  done
}

build() {
  scripts/setup.sh || die "scripts/setup.sh failed"
  cmake --build "$BUILD_DIR" --target bench || die "building the bench target failed"

  # Only what the measure half runs, stripped: the copy to the GPU machine
  # is limited in size. Rebuilt from scratch, so nothing stale is measured.
  rm -rf "$BENCH_DIR/bin" "$BENCH_DIR/zoo-remarks"
  mkdir -p "$BENCH_DIR/bin" "$BENCH_DIR/zoo-remarks"
  local name exe missing=()
  for name in $(zoo_names); do
    for exe in "zoo_$name" "zoo_${name}_plain"; do
      if [ -x "$BUILD_DIR/bin/$exe" ]; then
        strip -o "$BENCH_DIR/bin/$exe" "$BUILD_DIR/bin/$exe" 2>/dev/null ||
          cp "$BUILD_DIR/bin/$exe" "$BENCH_DIR/bin/$exe"
      else
        missing+=("$exe")
      fi
    done
    if [ -f "$BUILD_DIR/zoo-remarks/$name.txt" ]; then
      cp "$BUILD_DIR/zoo-remarks/$name.txt" "$BENCH_DIR/zoo-remarks/"
    fi
  done
  for exe in bench_lc_latency bench_resume_cost; do
    strip -o "$BENCH_DIR/bin/$exe" "$BUILD_DIR/bin/$exe" 2>/dev/null ||
      cp "$BUILD_DIR/bin/$exe" "$BENCH_DIR/bin/$exe" || missing+=("$exe")
  done
  [ ${#missing[@]} -eq 0 ] || echo "bench: warning: not built: ${missing[*]}" >&2

  # The GPU machine may get no .git: record what was built here.
  local commit dirty=false
  commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  if [ -n "$(git status --porcelain 2>/dev/null)" ]; then
    dirty=true
  fi
  cat >"$BENCH_DIR/build-info.json" <<EOF
{"commit": "$commit", "dirty": $dirty, "built_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "clang": "$("${GPREEMPT_CLANG:-clang++-22}" --version 2>/dev/null | head -n1)",
 "cuda_version": "$(sed -n 's/^#define CUDA_VERSION \([0-9]*\).*/\1/p' "${CUDA_PATH:-/usr/local/cuda}/include/cuda.h" 2>/dev/null | head -n1)",
 "pass_flags": "$(sed -n 's/^GPREEMPT_PASS_FLAGS:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null | head -n1)"}
EOF
  echo "bench: ready in $BENCH_DIR ($(du -sh "$BENCH_DIR" | cut -f1)): carry it to the GPU machine and run"
  echo "bench:   bench/run.sh measure OUTDIR"
}

measure() {
  local out=${1:-$BUILD_DIR/bench-results}
  if ! have_gpu; then
    echo "bench: no GPU present (nvidia-smi -L lists none): nothing was measured"
    exit 77
  fi
  [ -x "$BENCH_DIR/bin/bench_lc_latency" ] ||
    die "$BENCH_DIR/bin/bench_lc_latency is missing: run bench/run.sh build on the build machine first"
  command -v python3 >/dev/null || die "python3 is needed to run the measurements"
  PYTHONUNBUFFERED=1 python3 bench/measure.py --bench-dir "$BENCH_DIR" --out "$out" \
    --budget-s "${BENCH_BUDGET_S:-450}" --skip "${BENCH_SKIP:-}"
}

case "${1:-}" in
  build)
    [ $# -eq 1 ] || die "usage: bench/run.sh build"
    build
    ;;
  measure)
    [ $# -le 2 ] || die "usage: bench/run.sh measure [OUTDIR]"
    measure "${2:-}"
    ;;
  -h|--help)
    sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
    ;;
  *)
    [ $# -le 1 ] || die "usage: bench/run.sh [build | measure [OUTDIR] | OUTDIR]"
    build
    measure "${1:-}"
    ;;
esac
