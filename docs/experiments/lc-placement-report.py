#!/usr/bin/env python3
"""lc-placement-report.py - where the LC kernels' time went, per request,
from the traced runs of docs/experiments/lc-placement-ab.sh.

    lc-placement-report.py LOGS.tar.gz

For each traced run (bench_lc_latency --trace-placement): its median
requests (by the kernels' GPU time) beside its slowest 2 %, kernel by
kernel: GPU time, SMs used, most blocks on one SM, the spread of the
blocks' starts, and the gap after the kernel before; then each kernel's
GPU time by how many blocks its busiest SM held, over all the run's
requests. Standard library only.
"""

import json
import statistics
import sys
import tarfile

KERNELS = 3


def traced_runs(path):
    with tarfile.open(path) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if not member.isfile():
                continue
            text = tar.extractfile(member).read().decode("utf-8", "replace")
            for line in text.splitlines():
                if line.startswith("bench-json "):
                    data = json.loads(line[len("bench-json "):])
                    rows = (data.get("client") or {}).get("trace")
                    if rows:
                        yield member.name, rows


def mean(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.mean(vals) if vals else float("nan")


def report(name, rows):
    rows = sorted(rows, key=lambda r: r["kernels_us"])
    n = len(rows)
    groups = [("median 20 %", rows[int(n * 0.4):int(n * 0.6)]),
              ("slowest 2 %", rows[-max(1, n // 50):])]
    print("## %s (%d requests)" % (name, n))
    print()
    print("| requests | kernels us | drain wait us | " + " | ".join(
        "k%d us, SMs, max/SM, start spread, gap" % k for k in range(KERNELS)) + " |")
    print("| --- " * (3 + KERNELS) + "|")
    for label, group in groups:
        cells = ["%.1f, %.0f, %.1f, %.1f, %.1f" % tuple(
            mean(group, "k%d_%s" % (k, key))
            for key in ("us", "sms", "max_per_sm", "start_spread_us", "gap_us"))
            for k in range(KERNELS)]
        print("| %s | %.1f | %.1f | %s |" % (label, mean(group, "kernels_us"),
                                           mean(group, "drain_wait_us"), " | ".join(cells)))
    print()
    for k in range(KERNELS):
        by = {}
        for r in rows:
            by.setdefault(r["k%d_max_per_sm" % k], []).append(r["k%d_us" % k])
        print("k%d GPU time by blocks on its busiest SM: %s" % (k, "; ".join(
            "%d: %.1f us (n=%d)" % (m, statistics.median(v), len(v))
            for m, v in sorted(by.items()))))
    print()


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    found = False
    for name, rows in traced_runs(argv[1]):
        found = True
        report(name, rows)
    if not found:
        print("no traced run in %s" % argv[1], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
