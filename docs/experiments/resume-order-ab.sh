#!/usr/bin/env bash
# resume-order-ab.sh - session 18's question for the next device call, on
# the GPU machine, from the repository root: what does the LC request pay
# for resuming BE work before its copy-out, and what would BE pay for
# waiting for it?
#
# bench_lc_latency calls gp_resume_after() between the LC kernels and the
# copy-out, so the resumed BE kernels run beside the copy: at 1216325 the
# copy-out took 30.9 us at p50 with the hint against 21.0 alone
# (docs/bench-results/2026-12-07-1216325, the phase table). With
# --resume-after-copy it is called once the copy-out is enqueued: the copy
# runs alone, and BE waits ~20 us more per request. Session 19's answer
# (docs/bench-results/2026-12-07-7197bb1-resume-order-ab): the copy is no
# faster alone, BE loses 3 points; the README now resumes first. Carry build/bench. $OUT gets ab/ (ab.json, ab.md, logs.tar.gz)
# and throughput.txt (each run's bench-json line; BE kept is
# (alone seconds / seconds) / (1 - LC kernels' p50 / period), as
# bench/measure.py computes it).
set -u
OUT=${OUT:?}
mkdir -p "$OUT"
python3 bench/ab.py --out "$OUT/ab" --bench-dir build/bench \
  --variant now: --variant rac:--resume-after-copy \
  --drain '' --lc preempt-at-launch,preempt-at-arrival --rounds 2 --budget-s 120
for round in 1 2; do
  for flags in "" --resume-after-copy; do
    echo "# round $round: --throughput $flags"
    timeout 120 build/bench/bin/bench_lc_latency --throughput \
      --periods-us 1000,10000 --be-seconds 1.5 --timeout 100 $flags |
      grep '^bench-json'
  done
done >"$OUT/throughput.txt" 2>&1
cat "$OUT/throughput.txt" | cut -c1-200
