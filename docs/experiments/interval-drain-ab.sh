#!/usr/bin/env bash
# interval-drain-ab.sh - session 16's second device call, on the GPU machine,
# from the repository root: is what is left of the drain the wait for each
# block's next check (then checking at every back-edge shortens it), or
# something a check cannot shorten (the raise's arrival, the save, the
# persistent grid's tail)?
# Carry build/bench and two build-variant.sh trees (KEEP="iterative_solver
# scan bfs reduction"):
#   build-b0   -mllvm -gpreempt-poll-budget=0    a check at every back-edge
#   build-b64  -mllvm -gpreempt-poll-budget=64   intervals a quarter of main's
#   build-nest the checkout with session 17's change: a loop counts an inner
#              loop that yields as its check interval's iterations (it may
#              pass that many without a check), so iterative_solver's outer
#              loop checks every iteration (4 systems), not every 4th
# $OUT gets time-ab.txt and ab/ (3 files).
set -u
OUT=${OUT:?}
mkdir -p "$OUT"
here=docs/experiments
python3 bench/ab.py --out "$OUT/ab" --bench-dir build/bench --variant main: \
  --variant b64@build-b64/bench: --variant b0@build-b0/bench: \
  --variant nest@build-nest/bench: \
  --drain iterative_solver,scan,bfs,reduction --lc '' --rounds 2 --budget-s 150
PROGS="iterative_solver scan reduction" OUT=$OUT "$here/time-ab.sh" 1 \
  main=build/bench/bin/zoo_%p b64=build-b64/bench/bin/zoo_%p \
  b0=build-b0/bench/bin/zoo_%p nest=build-nest/bench/bin/zoo_%p
