#!/usr/bin/env python3
"""stall-summary.py - warp stall reasons of whole kernels, from the source
pages that stall-profile.sh brings back (PROG-BUILD-source.csv: Nsight
Compute's SASS view with each instruction's sampled stalls).

    docs/experiments/stall-summary.py FILE.csv...

For each file: the warp instructions executed, the stall samples, and the
eight most sampled reasons with their share. Session 21: nbody_step's
short-scoreboard share 13 % plain, 26 % preemptible."""
import collections
import csv
import sys


def summarize(path):
    rows = list(csv.reader(open(path)))
    header, data = rows[1], rows[2:]
    col = {h: i for i, h in enumerate(header)}
    reasons = [h for h in header if h.startswith("stall_") and "Not Issued" not in h]
    totals = collections.Counter()
    executed = samples = 0
    for row in data:
        if len(row) < len(header):
            continue
        try:
            executed += int(row[col["Instructions Executed"]])
            samples += int(row[col["Warp Stall Sampling (All Samples)"]])
        except ValueError:
            continue
        for r in reasons:
            totals[r] += int(row[col[r]] or 0)
    print(f"{path} warp-instructions {executed} samples {samples}")
    for reason, n in totals.most_common(8):
        print(f"   {reason:<28} {n:7d} {100 * n / max(samples, 1):5.1f}%")


for path in sys.argv[1:]:
    summarize(path)
