#!/usr/bin/env python3
"""launch-cost-report.py - read launch-cost-profile.sh's outputs and print,
per program, where the preemptible build's extra GPU time goes.

    launch-cost-report.py DIR NAME...

From NAME-{plain,gp}_cuda_gpu_trace.csv (nsys stats): per kernel name, its
launches and mean duration; the time in memsets and copies; and the idle
gaps on the program's streams (from one operation's end to the next one's
start, counting only gaps under 1 ms, so that the host's synchronizations
between repeats are left out). From NAME-{plain,gp}-ncu.csv (Nsight
Compute, when nsys was missing): per kernel name, the mean duration.
"""
import csv
import os
import sys
from collections import defaultdict

GAP_LIMIT_NS = 1_000_000


def short(name):
    name = name.split("(")[0]
    return name if len(name) <= 60 else name[:57] + "..."


def read_rows(path):
    """The CSV's dict rows, after any lines before its header."""
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        if line.lstrip('"').startswith("Start"):
            return list(csv.DictReader(lines[i:]))
    return []


def trace_summary(path):
    rows = read_rows(path)
    ops = []
    for r in rows:
        try:
            start = int(float(r["Start (ns)"]))
            dur = int(float(r["Duration (ns)"]))
        except (KeyError, ValueError):
            continue
        ops.append((start, dur, r.get("Strm", ""), r.get("Name", "")))
    ops.sort()
    kernels = defaultdict(lambda: [0, 0])
    other = defaultdict(lambda: [0, 0])
    gaps = []
    end_by_stream = {}
    for start, dur, stream, name in ops:
        table = other if name.startswith("[") else kernels
        table[short(name)][0] += 1
        table[short(name)][1] += dur
        prev = end_by_stream.get(stream)
        if prev is not None and 0 <= start - prev < GAP_LIMIT_NS:
            gaps.append(start - prev)
        end_by_stream[stream] = max(prev or 0, start + dur)
    return kernels, other, gaps, len(ops)


def ncu_summary(path):
    kernels = defaultdict(lambda: [0, 0])
    with open(path, newline="") as f:
        lines = [l for l in f.read().splitlines() if l.startswith('"')]
    for r in csv.DictReader(lines):
        if r.get("Metric Name") != "gpu__time_duration.sum":
            continue
        value = float(r["Metric Value"].replace(",", ""))
        scale = {"nsecond": 1, "usecond": 1e3, "msecond": 1e6}.get(r.get("Metric Unit"), 1)
        k = kernels[short(r["Kernel Name"])]
        k[0] += 1
        k[1] += value * scale
    return kernels


def us(ns):
    return f"{ns / 1e3:.2f}"


def report(directory, name):
    print(f"## {name}\n")
    traces = {b: os.path.join(directory, f"{name}-{b}_cuda_gpu_trace.csv") for b in ("plain", "gp")}
    if all(os.path.exists(p) for p in traces.values()):
        print("| build | kernel or operation | count | mean us | total ms |")
        print("| --- | --- | --- | --- | --- |")
        totals = {}
        for build, path in traces.items():
            kernels, other, gaps, n = trace_summary(path)
            for table in (kernels, other):
                for k, (count, total) in sorted(table.items(), key=lambda kv: -kv[1][1]):
                    print(f"| {build} | {k} | {count} | {us(total / count)} | {total / 1e6:.2f} |")
            g = sum(gaps)
            print(f"| {build} | idle gaps < 1 ms | {len(gaps)} | {us(g / max(1, len(gaps)))} | {g / 1e6:.2f} |")
            totals[build] = (sum(t for _, t in kernels.values()), sum(t for _, t in other.values()), g,
                             sum(c for c, _ in kernels.values()))
        (kp, op, gp_, np_), (kg, og, gg, ng) = totals["plain"], totals["gp"]
        print(f"\nkernels {kp / 1e6:.2f} -> {kg / 1e6:.2f} ms ({np_} -> {ng} launches), "
              f"other operations {op / 1e6:.2f} -> {og / 1e6:.2f} ms, "
              f"gaps {gp_ / 1e6:.2f} -> {gg / 1e6:.2f} ms; "
              f"per kernel launch: kernel time +{us((kg - kp) / max(1, ng))} us, "
              f"other +{us((og - op) / max(1, ng))} us, gaps +{us((gg - gp_) / max(1, ng))} us\n")
        return
    ncu = {b: os.path.join(directory, f"{name}-{b}-ncu.csv") for b in ("plain", "gp")}
    if all(os.path.exists(p) for p in ncu.values()):
        print("| build | kernel | count | mean us |")
        print("| --- | --- | --- | --- |")
        for build, path in ncu.items():
            for k, (count, total) in sorted(ncu_summary(path).items()):
                print(f"| {build} | {k} | {count} | {us(total / count)} |")
        print()
        return
    print("no trace or profile found\n")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    print("# Where the preemptible build's GPU time goes (launch-cost-profile.sh)\n")
    for name in argv[2:]:
        report(argv[1], name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
