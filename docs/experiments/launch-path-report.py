#!/usr/bin/env python3
"""launch-path-report.py - launch-path.txt as tables (launch-path.sh).

For each run ("sync 3000 1", ...) one table: a row per measured line, a
column per variant, each cell the p50 in microseconds of every round
(comma-separated), and beside each variant its difference from plain in
the mean of rounds. A variant that failed shows its exit status.

    launch-path-report.py launch-path.txt > launch-path.md
"""
import re
import sys
from collections import OrderedDict, defaultdict

HEADER = re.compile(r"^## round (\d+), (\S+): (.*)$")
STAT = re.compile(r"^(\S+)\s+(-?[0-9.]+)\s+(-?[0-9.]+)\s+(-?[0-9.]+)$")


def parse(path):
    # p50[run][line][variant] = [round values]
    p50 = OrderedDict()
    failed = defaultdict(list)
    variants = []
    run = variant = None
    with open(path) as f:
        for text in f:
            text = text.rstrip("\n")
            m = HEADER.match(text)
            if m:
                variant, run = m.group(2), m.group(3)
                if variant not in variants:
                    variants.append(variant)
                p50.setdefault(run, OrderedDict())
                continue
            if run is None:
                continue
            m = STAT.match(text)
            if m:
                p50[run].setdefault(m.group(1), defaultdict(list))[
                    variant].append(float(m.group(2)))
            elif text.startswith("exit status"):
                failed[(run, variant)].append(text)
    return p50, failed, variants


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    p50, failed, variants = parse(sys.argv[1])
    for run, lines in p50.items():
        print("### %s\n" % run)
        print("| p50 us | " + " | ".join(variants) + " |")
        print("| --- |" + " --- |" * len(variants))
        for line, by_variant in lines.items():
            base = by_variant.get("plain")
            base_mean = sum(base) / len(base) if base else None
            cells = []
            for v in variants:
                values = by_variant.get(v)
                if not values:
                    cells.append("; ".join(failed.get((run, v), ["-"])))
                    continue
                cell = ", ".join("%.2f" % x for x in values)
                if base_mean is not None and v != "plain":
                    cell += " (%+.2f)" % (sum(values) / len(values) - base_mean)
                cells.append(cell)
            print("| %s | %s |" % (line, " | ".join(cells)))
        print()


if __name__ == "__main__":
    main()
