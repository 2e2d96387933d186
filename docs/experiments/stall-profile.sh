#!/usr/bin/env bash
# stall-profile.sh - where a zoo kernel's warps wait, instruction by
# instruction, plain beside preemptible, on the GPU machine from the
# repository root. Session 21's question: nbody_step is 15 % slower
# preemptible with the same registers and a vote every other tile, and
# bfs_expand's one-block levels issue an instruction every 238-374 cycles
# instead of 72-80 (session 19): which instructions do the extra cycles
# sit on?
#
#   OUT=dir docs/experiments/stall-profile.sh PROG:KERNEL...
#   e.g. docs/experiments/stall-profile.sh nbody:nbody_step bfs:bfs_expand
#
# For each program, plain (build/bench/bin/zoo_PROG_plain) and preemptible
# (zoo_PROG): the SASS (cuobjdump), and one Nsight Compute report of the
# 21st launch of KERNEL (the preemptible variant's name ends in __gp, so a
# regex matches both) with the full set, printed as the details page and
# as the source page (SASS with each instruction's sampled warp stalls,
# CSV). Clocks are left alone (--clock-control none), as the benchmark
# runs them. $OUT gets stall-profile.tar.gz (PROG-BUILD.sass,
# PROG-BUILD-details.txt, PROG-BUILD-source.csv) and summary.txt (each
# report's duration and warp cycles per issued instruction).
set -u
OUT=${OUT:?}
mkdir -p "$OUT"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu \
  /usr/local/cuda/nsight-compute-*/ncu 2>/dev/null | head -n 1)
cuobjdump=$(command -v cuobjdump || ls /usr/local/cuda/bin/cuobjdump 2>/dev/null)
echo "# ncu: ${ncu:-none}; cuobjdump: ${cuobjdump:-none}" | tee "$OUT/summary.txt"
raw=$(mktemp -d)
for spec in "$@"; do
  name=${spec%%:*}
  kernel=${spec#*:}
  for build in plain gp; do
    exe=build/bench/bin/zoo_$name
    [ "$build" = plain ] && exe=${exe}_plain
    tag=$name-$build
    [ -n "$cuobjdump" ] && "$cuobjdump" -sass "$exe" >"$raw/$tag.sass" 2>&1
    [ -n "$ncu" ] || continue
    timeout 240 "$ncu" --clock-control none --set full --import-source no \
      --kernel-name "regex:${kernel}" --launch-skip 20 --launch-count 1 \
      --force-overwrite -o "$raw/$tag" "$exe" >"$raw/$tag-run.log" 2>&1 ||
      echo "# $tag: ncu failed (rc $?)" | tee -a "$OUT/summary.txt"
    [ -f "$raw/$tag.ncu-rep" ] || continue
    "$ncu" -i "$raw/$tag.ncu-rep" --page details >"$raw/$tag-details.txt" 2>&1
    "$ncu" -i "$raw/$tag.ncu-rep" --page source --print-source sass --csv \
      >"$raw/$tag-source.csv" 2>&1
    {
      echo "## $tag"
      grep -E "^  [^ ].*\(|Duration|Warp Cycles Per Issued|Registers Per|Block Limit|Achieved Occupancy|Executed Ipc Active" \
        "$raw/$tag-details.txt" | head -n 20
    } >>"$OUT/summary.txt"
    rm -f "$raw/$tag.ncu-rep"
  done
done
tar czf "$OUT/stall-profile.tar.gz" -C "$raw" .
rm -rf "$raw"
cat "$OUT/summary.txt"
