#!/usr/bin/env bash
# launch-cost-profile.sh - session 19's question, on the GPU machine from
# the repository root: of the ~10 us of GPU time that each preemptible
# launch adds in the launch-heavy zoo programs (reduction 16 %, bfs 17 %,
# histogram 11.5 % at 1216325), how much is inside the kernels (their
# durations grow) and how much between them (the gap from one kernel's end
# to the next one's start: the stream wait, the memset, the front end)?
#
# For each program named (default: reduction scan histogram bfs), plain and
# preemptible: an Nsight Systems trace of two repeats, then
# docs/experiments/launch-cost-report.py splits the second repeat's GPU
# time into kernel time per kernel name, other GPU work (memsets, copies)
# and idle gaps. Without nsys, Nsight Compute's kernel durations for a few
# launches instead (no gaps). Also the SASS of each program's kernels, plain
# and preemptible (cuobjdump), to compare their loops. Carry build/bench.
# $OUT gets report.md and raw.tar.gz (the stats CSVs, logs and SASS; the
# traces themselves are too large to bring back).
set -u
OUT=${OUT:?}
mkdir -p "$OUT"
raw=$(mktemp -d)
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
programs=${*:-reduction scan histogram bfs}
nsys=$(command -v nsys || ls /usr/local/cuda/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys \
  /usr/local/cuda/nsight-systems-*/bin/nsys 2>/dev/null | head -n 1)
ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu \
  /usr/local/cuda/nsight-compute-*/ncu 2>/dev/null | head -n 1)
cuobjdump=$(command -v cuobjdump || ls /usr/local/cuda/bin/cuobjdump 2>/dev/null)
echo "# nsys: ${nsys:-none}; ncu: ${ncu:-none}; cuobjdump: ${cuobjdump:-none}"
tmp=$(mktemp -d)
for name in $programs; do
  for build in plain gp; do
    exe=build/bench/bin/zoo_$name
    [ "$build" = plain ] && exe=${exe}_plain
    tag=$name-$build
    [ -n "$cuobjdump" ] && "$cuobjdump" -sass "$exe" >"$raw/$tag.sass" 2>&1
    if [ -n "$nsys" ]; then
      timeout 180 "$nsys" profile --trace=cuda --sample=none --cpuctxsw=none \
        --force-overwrite=true -o "$tmp/$tag" "$exe" --repeat 2 --time \
        >"$raw/$tag.log" 2>&1 || echo "# $tag: nsys profile failed (rc $?)"
      timeout 180 "$nsys" stats --force-export=true --report cuda_gpu_trace \
        --format csv --output "$raw/$tag" "$tmp/$tag.nsys-rep" \
        >>"$raw/$tag.log" 2>&1 || echo "# $tag: nsys stats failed (rc $?)"
    elif [ -n "$ncu" ]; then
      timeout 180 "$ncu" --clock-control none --launch-skip 40 --launch-count 12 \
        --csv --metrics gpu__time_duration.sum "$exe" >"$raw/$tag-ncu.csv" 2>&1 ||
        echo "# $tag: ncu failed (rc $?)"
    fi
  done
done
rm -rf "$tmp"
python3 docs/experiments/launch-cost-report.py "$raw" $programs | tee "$OUT/report.md"
tar czf "$OUT/raw.tar.gz" -C "$raw" .
rm -rf "$raw"
