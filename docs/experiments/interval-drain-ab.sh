#!/usr/bin/env bash
# interval-drain-ab.sh - session 17's second device call (run in session 18), on the GPU machine,
# from the repository root: is what is left of the drain the wait for each
# block's next check (then checking at every back-edge shortens it), or
# something a check cannot shorten (the raise's arrival, the save, the
# persistent grid's tail)?
# Carry build/bench (the checkout: session 17's change, a loop counts an
# inner loop that yields as its check interval's iterations, since it may
# pass that many without a check, so iterative_solver's outer loop checks
# every iteration, 4 systems, not every 4th) and three build-variant.sh
# trees (KEEP="iterative_solver scan bfs reduction") of main before it:
#   build-main --commit 0f104e8                    main as it was
#   build-b0   -mllvm -gpreempt-poll-budget=0    a check at every back-edge
#   build-b64  -mllvm -gpreempt-poll-budget=64   intervals a quarter of main's
# $OUT gets time-ab.txt and ab/ (3 files).
set -u
OUT=${OUT:?}
mkdir -p "$OUT"
here=docs/experiments
python3 bench/ab.py --out "$OUT/ab" --bench-dir build/bench \
  --variant main@build-main/bench: --variant b64@build-b64/bench: \
  --variant b0@build-b0/bench: --variant nest: \
  --drain iterative_solver,scan,bfs,reduction --lc '' --rounds 2 --budget-s 150
PROGS="iterative_solver scan reduction" OUT=$OUT "$here/time-ab.sh" 1 \
  main=build-main/bench/bin/zoo_%p b64=build-b64/bench/bin/zoo_%p \
  b0=build-b0/bench/bin/zoo_%p nest=build/bench/bin/zoo_%p
