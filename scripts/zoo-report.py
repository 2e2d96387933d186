#!/usr/bin/env python3
"""zoo-report.py - the kernel zoo's results as markdown tables.

    scripts/zoo-report.py LOG_DIR REMARKS_DIR

LOG_DIR is what scripts/device-gpu-tests.sh writes under $OUT: lit.log (lit
-v -a) or fallback.log (its fallback runner), and sanitizer-<tool>.log.
REMARKS_DIR is build/zoo-remarks: the build keeps each zoo program's
gpreempt remarks (-Rpass=gpreempt -Rpass-missed=gpreempt) in <name>.txt.

Prints, for every zoo program: the test's result; from the `gp stats:` line
of its run under random preemption (report_gp_stats in
samples/sample_util.h) the preemptions, relaunches, drain p50/p99 and
launches; and from the remarks, for each kernel, whether it is preemptible,
its yield points, the bytes a yield saves per thread (and how many of them
are local memory) and the shared bytes per block. Preemptions and drain
times are per program (the runtime counts per process), state bytes per
kernel. Then one row per compute-sanitizer run.

Standard library only: it runs on the GPU machine and the build machine.
"""

import glob
import os
import re
import sys

RESULT_LINE = re.compile(
    r"^(PASS|FAIL|XFAIL|XPASS|UNSUPPORTED|UNRESOLVED|TIMEOUT|FLAKYPASS): "
    r"\S+ :: (\S+\.test)\b"
)
FALLBACK_START = re.compile(r"^----- (\S+\.test)$")
SECTION_END = "*" * 20
# Lit's internal shell prefixes command output with "# | ".
OUTPUT_PREFIX = re.compile(r"^# \| ?")

STATS_FIELDS = {
    "preemptions": re.compile(r"\bpreemptions (\d+)"),
    "resumes": re.compile(r"\bresumes (\d+)"),
    "relaunches": re.compile(r"\brelaunches (\d+)"),
    "preemptible": re.compile(r"\blaunches preemptible (\d+)"),
    "unpreempted": re.compile(r"\bunpreempted (\d+)"),
    "drain_p50": re.compile(r"\bdrain p50 (\d+)"),
    "drain_p99": re.compile(r"\bp99 (\d+)"),
    "samples": re.compile(r"\((\d+) samples\)"),
}
# Lines worth showing when a test failed: the programs' own FAIL, TIMEOUT,
# mismatch and WRONG lines, failed CUDA calls, lit's and the fallback's exit
# statuses, and diff's lines for checksums that differ.
FAILURE_HINT = re.compile(
    r"^(FAIL|TIMEOUT|mismatch|exit status|Exit Code: [1-9]|error:|# error:"
    r"|Reached timeout|[<>!] checksum )"
    r"|: WRONG|failed:"
)

REMARK = re.compile(r"^(?P<loc>\S+:\d+:\d+): remark: (?P<text>.*?)(?: \[-R\S+\])?$")
PREEMPTIBLE = re.compile(r"^kernel '(?P<name>.+?)' is preemptible: (?P<rest>.*)$")
REFUSED = re.compile(
    r"^kernel '(?P<name>.+?)' left unpreemptible \[(?P<code>[^\]]+)\]: (?P<why>.*)$"
)
LOOP_YIELDS = re.compile(
    r"^kernel '(?P<name>.+?)': loop (?P<loop>\d+) yields on (?P<edges>\d+) back-edge"
)
LOOP_NO_YIELD = re.compile(r"^kernel '(?P<name>.+?)': loop gets no yield point")
KERNEL_FIELDS = {
    "yield_points": re.compile(r"(\d+) yield point"),
    "state_bytes": re.compile(r"at most (\d+) bytes saved per thread"),
    "local_bytes": re.compile(r"\((\d+) of local memory\)"),
    "decisions": re.compile(r"decisions per (\w+)"),
    "shared_bytes": re.compile(r"(\d+) shared bytes saved per block"),
}
DYNAMIC_SHARED = "dynamic shared memory"

SANITIZER_RESULT = re.compile(
    r"^sanitizer-result tool=(\S+) program=(\S+) exit=(\S+) errors=(\S+) seconds=(\S+)"
)


def clean(line):
    return OUTPUT_PREFIX.sub("", line.rstrip("\n"))


def parse_stats(line):
    stats = {}
    for key, pattern in STATS_FIELDS.items():
        m = pattern.search(line)
        if m:
            stats[key] = int(m.group(1))
    return stats


class TestRun:
    def __init__(self, name):
        self.name = name  # e.g. zoo/scan.test
        self.result = None
        self.lines = []

    def stress_stats(self):
        """The gp stats of the run under stress: of the test's runs (one
        with GPREEMPT_DISABLE=1, one under stress), the one with the most
        preemptible launches, then the most preemptions."""
        best = None
        for line in self.lines:
            if line.startswith("gp stats:"):
                stats = parse_stats(line)
                key = (stats.get("preemptible", 0), stats.get("preemptions", 0))
                if best is None or key >= best[0]:
                    best = (key, stats)
        return best[1] if best else None

    def failure_lines(self, limit=4):
        found = []
        for line in self.lines:
            if FAILURE_HINT.search(line) and line not in found:
                found.append(line.strip())
            if len(found) == limit:
                break
        return found


def parse_test_log(path):
    """Test runs by name from lit -v -a output (result line, then output up
    to a line of 20 stars) or the fallback runner's (----- name, output,
    then the result line)."""
    runs = {}
    current = None
    with open(path, errors="replace") as f:
        for raw in f:
            line = clean(raw)
            start = FALLBACK_START.match(line)
            result = RESULT_LINE.match(line)
            if start:
                current = runs.setdefault(start.group(1), TestRun(start.group(1)))
                current.lines = []
                current.fallback = True
            elif result:
                code, name = result.groups()
                if current is not None and getattr(current, "fallback", False) \
                        and current.name == name:
                    current.result = code  # the fallback's closing line
                    current = None
                else:
                    current = runs.setdefault(name, TestRun(name))
                    current.result = code
                    current.lines = []
            elif line == SECTION_END:
                current = None
            elif current is not None:
                current.lines.append(line)
    return runs


class Kernel:
    def __init__(self, name):
        self.name = name
        self.preemptible = None  # True, False, or None if no remark
        self.fields = {}
        self.dynamic_shared = False
        self.refusal = ""
        self.loops_yielding = set()
        self.loops_without_yield = set()

    @property
    def short_name(self):
        return self.name.split("(", 1)[0]


def parse_remarks(path):
    """Kernels in source order, from one program's remarks file."""
    kernels = {}

    def kernel(name):
        return kernels.setdefault(name, Kernel(name))

    with open(path, errors="replace") as f:
        for raw in f:
            m = REMARK.match(raw.rstrip("\n"))
            if not m:
                continue
            loc, text = m.group("loc"), m.group("text")
            p = PREEMPTIBLE.match(text)
            if p:
                k = kernel(p.group("name"))
                k.preemptible = True
                rest = p.group("rest")
                for key, pattern in KERNEL_FIELDS.items():
                    f_m = pattern.search(rest)
                    if f_m:
                        value = f_m.group(1)
                        k.fields[key] = value if key == "decisions" else int(value)
                k.dynamic_shared = DYNAMIC_SHARED in rest
                continue
            r = REFUSED.match(text)
            if r:
                k = kernel(r.group("name"))
                k.preemptible = False
                k.refusal = "%s: %s" % (r.group("code"), r.group("why"))
                continue
            y = LOOP_YIELDS.match(text)
            if y:
                kernel(y.group("name")).loops_yielding.add(y.group("loop"))
                continue
            n = LOOP_NO_YIELD.match(text)
            if n:
                kernel(n.group("name")).loops_without_yield.add(loc)
    return list(kernels.values())


def parse_sanitizer_logs(log_dir):
    rows = []
    for path in sorted(glob.glob(os.path.join(log_dir, "sanitizer-*.log"))):
        stats = None
        with open(path, errors="replace") as f:
            for raw in f:
                line = raw.rstrip("\n")
                if line.startswith("===== "):
                    stats = None  # a new run starts
                elif line.startswith("gp stats:"):
                    stats = parse_stats(line)
                m = SANITIZER_RESULT.match(line)
                if m:
                    tool, program, rc, errors, seconds = m.groups()
                    rows.append((tool, program, rc, errors, seconds, stats or {}))
    return rows


def cell(value, missing="-"):
    return missing if value is None else str(value)


def shared_text(k):
    if not k.preemptible:
        return "-"
    text = cell(k.fields.get("shared_bytes"))
    if k.dynamic_shared:
        text += " + dynamic"
    return text


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: %s LOG_DIR REMARKS_DIR\n%s" % (argv[0], __doc__))
        return 2
    log_dir, remarks_dir = argv[1], argv[2]

    runs, sources = {}, []
    for log in ("lit.log", "fallback.log"):
        path = os.path.join(log_dir, log)
        if os.path.isfile(path):
            runs.update(parse_test_log(path))
            sources.append(log)
    remarks = {
        os.path.basename(p)[: -len(".txt")]: parse_remarks(p)
        for p in sorted(glob.glob(os.path.join(remarks_dir, "*.txt")))
    }
    programs = sorted(
        set(remarks)
        | {n.split("/", 1)[1][: -len(".test")] for n in runs if n.startswith("zoo/")}
    )

    print("# Kernel zoo: results under random preemption\n")
    print(
        "Test logs: %s in `%s`; remarks: `%s`. Preemptions, relaunches and "
        "drain times are those of the run under `GPREEMPT_STRESS` (per "
        "program); bytes are per kernel, from the pass's remarks (the most "
        "of the program's kernels here, each kernel below).\n"
        % (", ".join(sources) or "no test log", log_dir, remarks_dir)
    )
    print(
        "| program | test | preemptions | relaunches | drain p50 / p99 (us) "
        "| BE launches preemptible / unpreempted | kernels preemptible "
        "| state B/thread | shared B/block |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for program in programs:
        run = runs.get("zoo/%s.test" % program)
        stats = run.stress_stats() if run else None
        kernels = remarks.get(program, [])
        preemptible = [k for k in kernels if k.preemptible]
        state = max((k.fields.get("state_bytes", 0) for k in preemptible), default=None)
        shared = max((k.fields.get("shared_bytes", 0) for k in preemptible), default=None)
        dynamic = any(k.dynamic_shared for k in preemptible)
        s = stats or {}
        print(
            "| %s | %s | %s | %s | %s | %s | %s | %s | %s |"
            % (
                program,
                run.result if run and run.result else "not run",
                cell(s.get("preemptions")),
                cell(s.get("relaunches")),
                "%s / %s" % (cell(s.get("drain_p50")), cell(s.get("drain_p99")))
                if stats else "-",
                "%s / %s" % (cell(s.get("preemptible")), cell(s.get("unpreempted")))
                if stats else "-",
                "%d of %d" % (len(preemptible), len(kernels)) if kernels else "no remarks",
                cell(state),
                cell(shared) + (" + dynamic" if dynamic else "") if shared is not None else "-",
            )
        )

    for program in programs:
        print("\n## %s\n" % program)
        run = runs.get("zoo/%s.test" % program)
        if run and run.result and run.result not in ("PASS", "XFAIL", "FLAKYPASS"):
            for line in run.failure_lines():
                print("    " + line)
            print()
        kernels = remarks.get(program)
        if not kernels:
            print("No remarks (build/zoo-remarks/%s.txt missing or empty).\n" % program)
            continue
        print(
            "| kernel | preemptible | yield points | loops without one "
            "| saved B/thread | of it local | shared B/block | decisions per |"
        )
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for k in kernels:
            if k.preemptible is False:
                print("| %s | no: %s | - | - | - | - | - | - |"
                      % (k.short_name, k.refusal.replace("|", "/")))
                continue
            print(
                "| %s | %s | %s | %d | %s | %s | %s | %s |"
                % (
                    k.short_name,
                    "yes" if k.preemptible else "?",
                    cell(k.fields.get("yield_points")),
                    len(k.loops_without_yield),
                    cell(k.fields.get("state_bytes")),
                    cell(k.fields.get("local_bytes")),
                    shared_text(k),
                    cell(k.fields.get("decisions")),
                )
            )

    rows = parse_sanitizer_logs(log_dir)
    print("\n## compute-sanitizer\n")
    if not rows:
        print("No sanitizer runs in %s.\n" % log_dir)
    else:
        print("| tool | program | exit | errors | preemptions | relaunches | seconds |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for tool, program, rc, errors, seconds, stats in rows:
            print("| %s | %s | %s | %s | %s | %s | %s |"
                  % (tool, program, rc, errors, cell(stats.get("preemptions")),
                     cell(stats.get("relaunches")), seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
