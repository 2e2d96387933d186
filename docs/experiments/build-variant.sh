#!/usr/bin/env bash
# build-variant.sh - a second bench build for an A/B, small enough to carry
# beside build/bench (the device takes 64 MiB in all).
#
#     docs/experiments/build-variant.sh DIR [--commit C] [PASS_FLAG...]
#
# Configures DIR with GPREEMPT_PASS_FLAGS set to the PASS_FLAGs (e.g.
# -mllvm -gpreempt-load-latency=1), builds it with bench/run.sh build, from the
# checkout or, with --commit, from a temporary worktree of commit C, and
# keeps in DIR/bench only what an A/B runs: the instrumented zoo programs
# and bench_lc_latency (~11 MB), or with KEEP="prog ..." only those zoo
# programs (~0.8 MB each; no bench_lc_latency). Variants then name it:
# bench/ab.py --variant NAME@DIR/bench:, time-ab.sh NAME=DIR/bench/bin/zoo_%p.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ $# -ge 1 ] || { echo "usage: $0 DIR [--commit C] [PASS_FLAG...]" >&2; exit 2; }
dir=$(realpath -m "$1")
shift
src=$PWD worktree=
if [ "${1:-}" = --commit ]; then
  [ $# -ge 2 ] || { echo "--commit needs a commit" >&2; exit 2; }
  worktree=$(mktemp -d)/src
  git worktree add --detach "$worktree" "$2" >/dev/null
  src=$worktree
  shift 2
fi
trap '[ -z "$worktree" ] || git worktree remove --force "$worktree"' EXIT
flags=$(IFS=';'; echo "$*")
cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DGPREEMPT_PASS_FLAGS=$flags" >/dev/null
(cd "$src" && BUILD_DIR="$dir" bench/run.sh build)
rm -f "$dir"/bench/bin/*_plain "$dir/bench/bin/bench_resume_cost"
if [ -n "${KEEP:-}" ]; then
  for exe in "$dir"/bench/bin/*; do
    name=$(basename "$exe")
    [[ " $KEEP " == *" ${name#zoo_} "* ]] || rm -f "$exe"
  done
fi
echo "build-variant: $dir/bench ($(du -sh "$dir/bench" | cut -f1)), pass flags: ${*:-none}"
