#!/usr/bin/env python3
"""Compare ptxas resource usage of each kernel K and its preemptible clone
K__gp, from the output of `ptxas -v`.

    ptxas_resources.py PTXAS_LOG --max-extra-registers N

Prints one line per pair: `K: registers A -> B, spill bytes C -> D, stack
E -> F`, and fails (exit 1) when the clone spills or uses a stack frame the
kernel does not, or needs more than N registers beyond the kernel's. Exit 2
when the log holds no pair at all (nothing was compared).
"""
import argparse
import re
import sys

ENTRY = re.compile(r"Compiling entry function '([^']+)'")
FRAME = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, "
                   r"(\d+) bytes spill loads")
USED = re.compile(r"Used (\d+) registers")


def parse(log):
    kernels, current = {}, None
    for line in log.splitlines():
        m = ENTRY.search(line)
        if m:
            current = kernels.setdefault(m.group(1), {})
            continue
        if current is None:
            continue
        m = FRAME.search(line)
        if m:
            current["stack"] = int(m.group(1))
            current["spill"] = int(m.group(2)) + int(m.group(3))
        m = USED.search(line)
        if m:
            current["registers"] = int(m.group(1))
    return kernels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--max-extra-registers", type=int, required=True)
    args = ap.parse_args()
    with open(args.log) as f:
        kernels = parse(f.read())
    failures, pairs = 0, 0
    for name in sorted(kernels):
        clone = kernels.get(name + "__gp")
        if name.endswith("__gp") or clone is None:
            continue
        pairs += 1
        k = kernels[name]
        print("%s: registers %d -> %d, spill bytes %d -> %d, stack %d -> %d"
              % (name, k["registers"], clone["registers"], k["spill"],
                 clone["spill"], k["stack"], clone["stack"]))
        if clone["spill"] > k["spill"] or clone["stack"] > k["stack"]:
            print("FAIL: %s__gp spills or uses a stack frame" % name)
            failures += 1
        if clone["registers"] > k["registers"] + args.max_extra_registers:
            print("FAIL: %s__gp needs %d registers more than %s (limit %d)"
                  % (name, clone["registers"] - k["registers"], name,
                     args.max_extra_registers))
            failures += 1
    if pairs == 0:
        print("no kernel with a preemptible clone in the log")
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
