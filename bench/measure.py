#!/usr/bin/env python3
"""measure.py - the measuring half of bench/run.sh: runs the benchmark
programs on a GPU machine and writes results.json, results.md and
lc_latency.png (docs/benchmarks.md says what each number means).

    measure.py --bench-dir build/bench --out OUTDIR [--budget-s 450]
               [--skip STEP,...]
    measure.py --replay LOGS --out OUTDIR

Every program runs in its own process group with a time limit, its output
(stdout and stderr together) kept as a log; a failed or timed-out run is
recorded and the next one starts. The steps share a time budget: each gets
a slice, plus whatever earlier steps left unused, so the whole stays inside
the budget even when programs hang. At the end the logs are packed into
OUTDIR/logs.tar.gz (four files in OUTDIR in all).

--replay LOGS parses the logs of an earlier run (a folder, or a
logs.tar.gz) instead of running anything: the results can be recomputed
without a GPU, and the tests feed sample logs through exactly the code that
parses real ones.

Python's standard library only: the GPU machine has nothing else.
"""

import argparse
import datetime
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

# Steps in order, with their share of the budget in seconds (for 450 s).
# The steps of a few programs whose run time is known come first: what they
# leave unused goes to the two that run every zoo program, whose run time
# grows with the zoo.
SLICES = [
    ("env", 10),
    ("lc-alone", 30),
    ("lc-priority", 45),
    ("lc-preempt-at-launch", 30),
    ("lc-preempt-at-arrival", 30),
    ("throughput", 45),
    ("resume-cost", 40),
    ("overhead", 130),
    ("drain", 90),
]
# Steps --skip may leave out (env always runs: it names the machine).
SKIPPABLE = ["lc-latency", "throughput", "resume-cost", "overhead", "drain"]


def slice_step(name):
    """The step a slice of SLICES belongs to."""
    return "lc-latency" if name.startswith("lc-") else name


SITUATIONS = ["alone", "priority", "preempt-at-launch", "preempt-at-arrival"]
# The situations the targets compare run LC_ROUNDS times, one after another
# in each round, so that what drifts between runs (alone p99 ranged from
# 369 to 771 us across runs on one H100) hits each of them alike; the
# targets take the median of the rounds' differences. The priority
# baseline runs once: it is slow, and only a baseline.
LC_ROUNDS = 3
PAIRED = ["alone", "preempt-at-launch", "preempt-at-arrival"]

OVERHEAD_REPEATS = 11   # --repeat of each zoo program: a warm-up and 10
STRESS_MEAN_US = 1000   # GPREEMPT_STRESS for the drain measurement
STRESS_SEED = 4242
LC_REQUESTS = 1000
LC_MAX_SECONDS = {"alone": 20, "priority": 25, "preempt-at-launch": 20,
                  "preempt-at-arrival": 20}
# Preempting at launch, the LC client waits for the drain before launching:
# kernels launched while BE blocks still hold SMs pack onto the free ones
# and keep that placement (measured: the 200 us kernel at up to 8 blocks an
# SM ran up to 400 us; the wait took the p99 from alone +172 to +70 us,
# docs/bench-results/2026-12-07-08e12c3-placement-interval-ab). At arrival
# the copy-in usually covers the drain, and the wait's host round trip cost
# more than it saved (p99 - alone +32 against +24 us), so it is not used.
LC_FLAGS = {"preempt-at-launch": ["--wait-drained"]}
THROUGHPUT_PERIODS_US = [1000, 10000]
MIN_RUN_S = 8           # a run with less time left than this is skipped


# --------------------------------------------------------------------------
# Running programs, or replaying their logs

class Run:
    """One program run: its command, exit status, time and output."""

    def __init__(self, name, argv, env, rc=None, seconds=0.0, timed_out=False,
                 output="", skipped=None, missing=False):
        self.name, self.argv, self.env = name, argv, env
        self.rc, self.seconds, self.timed_out = rc, seconds, timed_out
        self.output, self.skipped, self.missing = output, skipped, missing

    @property
    def status(self):
        if self.missing:
            return "not run (no log)"
        if self.skipped:
            return "skipped (%s)" % self.skipped
        if self.timed_out:
            return "timed out after %.0f s" % self.seconds
        if self.rc == 0:
            return "ok"
        if self.rc is not None and self.rc < 0:
            return "killed by signal %d" % -self.rc
        return "failed (exit %s%s)" % (self.rc, {1: ": wrong result or a requirement not met",
                                               2: ": a call failed or bad usage",
                                               3: ": watchdog, the program hung"}.get(self.rc, ""))

    @property
    def ok(self):
        return self.rc == 0 and not self.timed_out and not self.skipped and not self.missing

    def tail(self, lines=6):
        return "\n".join(self.output.strip().splitlines()[-lines:])

    def log_text(self):
        env = " ".join("%s=%s" % kv for kv in sorted(self.env.items()))
        head = ["# command: %s" % " ".join(self.argv), "# env: %s" % env,
                "# exit: %s" % self.rc, "# seconds: %.3f" % self.seconds,
                "# timed_out: %s" % ("yes" if self.timed_out else "no")]
        if self.skipped:
            head.append("# skipped: %s" % self.skipped)
        return "\n".join(head) + "\n" + self.output


def parse_log(name, text):
    """A Run back from log_text()."""
    head, rest = {}, []
    lines = text.splitlines(True)
    i = 0
    while i < len(lines) and lines[i].startswith("# ") and ":" in lines[i]:
        key, _, value = lines[i][2:].partition(":")
        head[key.strip()] = value.strip()
        i += 1
    rest = "".join(lines[i:])
    rc = head.get("exit")
    env = dict(kv.split("=", 1) for kv in head.get("env", "").split() if "=" in kv)
    return Run(name, head.get("command", "").split(), env,
               rc=int(rc) if rc not in (None, "None", "") else None,
               seconds=float(head.get("seconds", 0) or 0),
               timed_out=head.get("timed_out") == "yes", output=rest,
               skipped=head.get("skipped"))


class LiveRunner:
    """Runs programs for real and keeps each one's log in `log_dir`."""

    live = True

    def __init__(self, log_dir):
        self.log_dir = log_dir
        os.makedirs(log_dir, exist_ok=True)

    def run(self, name, argv, env=None, timeout=60, skip=None):
        env = dict(env or {})
        if skip:
            r = Run(name, argv, env, skipped=skip)
        else:
            r = self._run(name, argv, env, timeout)
        with open(os.path.join(self.log_dir, name + ".log"), "w", encoding="utf-8") as f:
            f.write(r.log_text())
        print("bench: %-40s %s (%.1f s)" % (name, r.status, r.seconds), flush=True)
        return r

    @staticmethod
    def _run(name, argv, env, timeout):
        # The runtime reads GPREEMPT_*: only what a step asks for may be set.
        full = {k: v for k, v in os.environ.items() if not k.startswith("GPREEMPT_")}
        full.update(env)
        start = time.monotonic()
        try:
            p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=full, start_new_session=True)
        except OSError as e:
            return Run(name, argv, env, rc=127, output="cannot start: %s\n" % e)
        timed_out = False
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            out, _ = p.communicate()
        return Run(name, argv, env, rc=p.returncode, seconds=time.monotonic() - start,
                   timed_out=timed_out, output=out.decode("utf-8", "replace"))


class ReplayRunner:
    """Answers each run from the log an earlier LiveRunner wrote."""

    live = False

    def __init__(self, log_dir):
        self.log_dir = log_dir

    def run(self, name, argv, env=None, timeout=60, skip=None):
        path = os.path.join(self.log_dir, name + ".log")
        if not os.path.isfile(path):
            return Run(name, argv, dict(env or {}), missing=True)
        with open(path, encoding="utf-8", errors="replace") as f:
            return parse_log(name, f.read())


class Budget:
    """Step i may run until start + the sum of the first i+1 slices."""

    def __init__(self, total_s, live, max_run_s=None, skip=()):
        self.live = live
        self.max_run_s = max_run_s
        self.start = time.monotonic()
        # A skipped step's slice goes to the others.
        slices = [(name, 0 if slice_step(name) in skip else s) for name, s in SLICES]
        scale = total_s / float(sum(s for _, s in slices))
        self.deadline, acc = {}, 0.0
        for name, s in slices:
            acc += s * scale
            self.deadline[name] = self.start + acc

    def left(self, step):
        if not self.live:
            return 1e9
        return self.deadline[step] - time.monotonic()

    def timeout(self, step, cap):
        """(timeout for the next run, or None with the reason to skip it)."""
        left = self.left(step)
        if self.max_run_s:
            cap = min(cap, self.max_run_s)
        if left < min(MIN_RUN_S, cap):
            return None, "time budget: %.0f s left for step %s" % (max(left, 0), step)
        return min(cap, left), None


def watchdog(timeout):
    """--timeout for a program: its own watchdog fires a little before the
    harness kills it, so that the log says which program hung."""
    return str(max(1, int((timeout or 1) - 3)))


# --------------------------------------------------------------------------
# Parsing program output

TIME_RE = re.compile(r"^kernel_time_us median (\S+) min (\S+) max (\S+) repeats (\d+)\s*$", re.M)
DRAIN_RE = re.compile(r"^gpreempt: drain_us p50 (\d+) p99 (\d+) max (\d+) \(n=(\d+)\)", re.M)
RAISE_RE = re.compile(r"^gpreempt: raise_us p50 (\d+) p99 (\d+) max (\d+) \(n=(\d+)\)", re.M)
PREEMPTIONS_RE = re.compile(r"^gpreempt: preemptions (\d+)", re.M)
RAISES_ARMED_RE = re.compile(r"^gpreempt: raises armed (\d+)", re.M)
LAUNCHES_RE = re.compile(r"^gpreempt: launches preemptible (\d+) unpreempted (\d+)", re.M)
WIDE_RE = re.compile(r"^gpreempt: launches wide (\d+)", re.M)
RELAY_RE = re.compile(r"^gpreempt: launches with a relay (\d+)", re.M)
REFUSED_RE = re.compile(r"^gpreempt: refused (\S+) (\d+)", re.M)
# The runtime's split of its slow drains (runtime/stats.h: gp__drain_parts).
SLOW_DRAINS_RE = re.compile(
    r"^gpreempt: slow drains (\d+) \(>= (\d+) us\): raised within \d+ us of a clear (\d+), "
    r"last waited for a relaunch (\d+), lock wait >= \d+ us (\d+), last look >= \d+ us (\d+), "
    r"raising call >= \d+ us (\d+)", re.M)
SLOW_PARTS = ("slow_drains", "slow_limit_us", "slow_soon_after_clear", "slow_after_relaunch",
              "slow_lock_wait", "slow_last_look", "slow_raise_call")
# The drains split by how soon after the clear before them they were raised.
DRAIN_SOON_RE = re.compile(r"^gpreempt: drain_us raised within \d+ us of a clear p50 (\d+) p99 (\d+) "
                           r"max (\d+) \(n=(\d+)\)", re.M)
DRAIN_LATER_RE = re.compile(r"^gpreempt: drain_us raised later p50 (\d+) p99 (\d+) max (\d+) "
                            r"\(n=(\d+)\)", re.M)
LOCK_WAIT_RE = re.compile(r"^gpreempt: drain_lock_wait_us p50 (\d+) p99 (\d+) max (\d+)", re.M)
GP_STATS_RE = re.compile(r"^gp stats: preemptions (\d+) .*? drain p50 (\d+) us p99 (\d+) us \((\d+) samples\)", re.M)
BENCH_JSON_RE = re.compile(r"^bench-json (\{.*\})\s*$", re.M)


def parse_kernel_time(output):
    m = TIME_RE.search(output)
    if not m:
        return None
    return {"median_us": float(m.group(1)), "min_us": float(m.group(2)),
            "max_us": float(m.group(3)), "repeats": int(m.group(4))}


def parse_runtime_stats(output):
    """The GPREEMPT_STATS=1 lines (stderr), else the programs' 'gp stats:'."""
    s = {}
    m = LAUNCHES_RE.search(output)
    if m:
        s["launches_preemptible"], s["launches_unpreempted"] = int(m.group(1)), int(m.group(2))
    m = WIDE_RE.search(output)
    if m:
        s["launches_wide"] = int(m.group(1))
    m = RELAY_RE.search(output)
    if m:
        s["launches_relay"] = int(m.group(1))
    m = PREEMPTIONS_RE.search(output)
    if m:
        s["preemptions"] = int(m.group(1))
    m = RAISES_ARMED_RE.search(output)
    if m:
        s["raises_armed"] = int(m.group(1))
    m = DRAIN_RE.search(output)
    if m:
        s.update(p50_us=int(m.group(1)), p99_us=int(m.group(2)), max_us=int(m.group(3)),
                 samples=int(m.group(4)))
    else:
        m = GP_STATS_RE.search(output)
        if m:
            s.setdefault("preemptions", int(m.group(1)))
            s.update(p50_us=int(m.group(2)), p99_us=int(m.group(3)), samples=int(m.group(4)))
    m = RAISE_RE.search(output)
    if m and int(m.group(4)):
        s.update(raise_p50_us=int(m.group(1)), raise_p99_us=int(m.group(2)))
    m = SLOW_DRAINS_RE.search(output)
    if m:
        s.update(zip(SLOW_PARTS, (int(g) for g in m.groups())))
    for key, regex in (("soon", DRAIN_SOON_RE), ("later", DRAIN_LATER_RE)):
        m = regex.search(output)
        if m and int(m.group(4)):
            s.update({"drains_%s" % key: int(m.group(4)), "%s_p50_us" % key: int(m.group(1)),
                      "%s_p99_us" % key: int(m.group(2))})
    m = LOCK_WAIT_RE.search(output)
    if m:
        s["lock_wait_p99_us"] = int(m.group(2))
    refused = {k: int(v) for k, v in REFUSED_RE.findall(output)}
    if refused:
        s["refused"] = refused
    return s


def parse_bench_json(output):
    m = None
    for m in BENCH_JSON_RE.finditer(output):
        pass
    if not m:
        return None
    try:
        return json.loads(m.group(1))
    except ValueError:
        return None


REMARK_OK_RE = re.compile(
    r"remark: kernel '(?P<kernel>.+?)' is preemptible: (?P<yields>\d+) yield point\(s\)"
    r".*? at most (?P<state>\d+) bytes saved per thread \((?P<local>\d+) of local memory\)"
    r"; decisions per (?P<per>block|thread); (?P<shared>\d+) shared bytes saved per block"
    r"(?P<dyn> plus the launch's dynamic shared memory)?")
REMARK_REFUSED_RE = re.compile(r"remark: kernel '(?P<kernel>.+?)' left unpreemptible \[(?P<why>[^\]]+)\]")


def parse_remarks(source, text):
    """One entry per kernel named in gpreempt's remarks (first one wins)."""
    kernels = {}
    for line in text.splitlines():
        m = REMARK_OK_RE.search(line)
        if m and m.group("kernel") not in kernels:
            kernels[m.group("kernel")] = {
                "source": source, "kernel": m.group("kernel"), "preemptible": True,
                "yield_points": int(m.group("yields")),
                "state_bytes_per_thread": int(m.group("state")),
                "local_bytes": int(m.group("local")), "decisions": "per " + m.group("per"),
                "shared_bytes_per_block": int(m.group("shared")),
                "saves_dynamic_shared": bool(m.group("dyn"))}
            continue
        m = REMARK_REFUSED_RE.search(line)
        if m and m.group("kernel") not in kernels:
            kernels[m.group("kernel")] = {"source": source, "kernel": m.group("kernel"),
                                          "preemptible": False, "refusal": m.group("why")}
    return list(kernels.values())


# --------------------------------------------------------------------------
# The steps

def step_env(runner, budget, results):
    t, skip = budget.timeout("env", 20)
    if skip and budget.live:
        # Its slice shrinks below MIN_RUN_S with a budget under ~360 s, and
        # results without the device's name are worth little: 10 s anyway.
        t, skip = 10, None
    q = runner.run("env-nvidia-smi", ["nvidia-smi", "--query-gpu=name,driver_version,clocks.max.sm,memory.total",
                                      "--format=csv,noheader"], timeout=t or 1, skip=skip)
    dev = {"status": q.status}
    if q.ok and q.output.strip():
        parts = [p.strip() for p in q.output.strip().splitlines()[0].split(",")]
        for key, value in zip(["name", "driver", "sm_clock_max", "memory"], parts):
            dev[key] = value
    results["device"] = dev
    return [q]


def zoo_programs(runner, bin_dir):
    """Zoo programs with both builds (live) or with logs (replay)."""
    names = set()
    if runner.live:
        for f in os.listdir(bin_dir) if os.path.isdir(bin_dir) else []:
            m = re.match(r"^zoo_(\w+?)_plain$", f)
            if m:
                names.add(m.group(1))
    else:
        for f in os.listdir(runner.log_dir):
            m = re.match(r"^(?:overhead|drain)-(\w+?)(?:-plain|-gpreempt)?\.log$", f)
            if m:
                names.add(m.group(1))
    return sorted(names)


def step_overhead(runner, budget, results, bin_dir, programs):
    rows, runs = [], []
    for i, name in enumerate(programs):
        variants = [("plain", "zoo_%s_plain" % name), ("gpreempt", "zoo_%s" % name)]
        if i % 2:
            variants.reverse()  # alternate which build runs first
        row = {"program": name}
        for variant, exe in variants:
            t, skip = budget.timeout("overhead", 120)
            path = os.path.join(bin_dir, exe)
            if runner.live and not skip and not os.access(path, os.X_OK):
                skip = "not built: %s" % exe
            argv = [path, "--time", "--repeat", str(OVERHEAD_REPEATS), "--timeout", watchdog(t)]
            r = runner.run("overhead-%s-%s" % (name, variant), argv, {"GPREEMPT_STATS": "1"},
                           timeout=t or 1, skip=skip)
            runs.append(r)
            entry = {"status": r.status}
            timing = parse_kernel_time(r.output)
            if timing and r.ok:
                entry.update(timing)
            elif r.ok:
                entry["status"] = "no kernel_time_us line (does the program take --time?)"
            if not r.ok or not timing:
                entry["output_tail"] = r.tail()
            stats = parse_runtime_stats(r.output)
            for k in ("launches_preemptible", "launches_unpreempted", "launches_wide"):
                if k in stats:
                    entry[k] = stats[k]
            row[variant] = entry
        row["overhead_pct"] = None
        p, g = row["plain"].get("median_us"), row["gpreempt"].get("median_us")
        if p and g:
            row["overhead_pct"] = (g / p - 1.0) * 100.0
        rows.append(row)
    counted = [r for r in rows if r["overhead_pct"] is not None]
    agg = {"repeats": OVERHEAD_REPEATS, "programs": rows, "counted": len(counted),
           "geomean_pct": None, "max_pct": None, "max_program": None}
    if counted:
        logs = [math.log(1.0 + r["overhead_pct"] / 100.0) for r in counted]
        agg["geomean_pct"] = (math.exp(sum(logs) / len(logs)) - 1.0) * 100.0
        worst = max(counted, key=lambda r: r["overhead_pct"])
        agg["max_pct"], agg["max_program"] = worst["overhead_pct"], worst["program"]
    results["overhead"] = agg
    return runs


def step_drain(runner, budget, results, bin_dir, programs):
    rows, runs = [], []
    for name in programs:
        t, skip = budget.timeout("drain", 90)
        path = os.path.join(bin_dir, "zoo_%s" % name)
        if runner.live and not skip and not os.access(path, os.X_OK):
            skip = "not built: zoo_%s" % name
        env = {"GPREEMPT_STRESS": str(STRESS_MEAN_US), "GPREEMPT_STATS": "1",
               "GPREEMPT_SEED": str(STRESS_SEED)}
        r = runner.run("drain-%s" % name, [path, "--repeat", "2", "--timeout", watchdog(t)],
                       env, timeout=t or 1, skip=skip)
        runs.append(r)
        row = {"program": name, "status": r.status}
        row.update(parse_runtime_stats(r.output))
        if not r.ok:
            row["output_tail"] = r.tail()
        rows.append(row)
    results["drain"] = {"stress_mean_us": STRESS_MEAN_US, "seed": STRESS_SEED, "programs": rows}
    return runs


def lc_summary(situation, run, data):
    row = {"situation": situation, "status": run.status}
    if not data:
        if run.ok:
            row["status"] = "no bench-json line"
        row["output_tail"] = run.tail()
        return row
    client = data.get("client", {})
    lat = client.get("latency_us", {})
    row.update({
        "requests": client.get("requests"), "requested": data.get("requested"),
        "bounded": client.get("bounded"), "seconds": client.get("seconds"),
        "p50_us": lat.get("p50"), "p90_us": lat.get("p90"), "p99_us": lat.get("p99"),
        "max_us": lat.get("max"), "mean_us": lat.get("mean"),
        "copy_in_p50_us": client.get("copy_in_us", {}).get("p50"),
        "kernels_p50_us": client.get("kernels_us", {}).get("p50"),
        "kernels_p99_us": client.get("kernels_us", {}).get("p99"),
        # Host time inside gp_preempt / gp_resume_after, per request.
        "preempt_call_p99_us": client.get("preempt_call_us", {}).get("p99"),
        "preempt_call_max_us": client.get("preempt_call_us", {}).get("max"),
        "resume_call_p99_us": client.get("resume_call_us", {}).get("p99"),
        "resume_call_max_us": client.get("resume_call_us", {}).get("max"),
        "wrong_requests": client.get("wrong_requests"),
        # Requests the machine stalled (bench/lc_latency.cu: stalled()).
        "stalled_requests": client.get("stalled_requests"),
        "samples_us": data.get("samples_us") or [],
        # Phase by phase: the slowest requests and the median one.
        "slowest": client.get("slowest") or [],
        "median_request": client.get("median_request"),
    })
    be = data.get("be")
    if be:
        row.update(be_check=be.get("check"), be_setup=be.get("setup"),
                   be_launches=(be.get("sgemm_launches") or 0) + (be.get("stream_launches") or 0),
                   be_preemptible=be.get("preemptible_launches"))
    row["preemptions"] = data.get("gp", {}).get("preemptions")
    if not run.ok:
        row["output_tail"] = run.tail()
    return row


def lc_argv(exe, situation, timeout, iters):
    argv = [exe, "--situation", situation, "--requests", str(LC_REQUESTS),
            "--max-seconds", str(LC_MAX_SECONDS[situation]), "--timeout", watchdog(timeout)]
    argv += LC_FLAGS.get(situation, [])
    if iters:
        argv += ["--lc-iters", iters]
    return argv


def add_round(row, later):
    """Fold a later round of the same situation into its row: its p50/p99,
    and anything wrong it saw (the row's own numbers stay round 1's)."""
    row.setdefault("p50_rounds_us", [row.get("p50_us")]).append(later.get("p50_us"))
    row.setdefault("p99_rounds_us", [row.get("p99_us")]).append(later.get("p99_us"))
    row.setdefault("stalled_rounds", [row.get("stalled_requests")]).append(
        later.get("stalled_requests"))
    if later.get("wrong_requests"):
        row["wrong_requests"] = (row.get("wrong_requests") or 0) + later["wrong_requests"]
    for key in ("be_check", "be_setup"):
        if later.get(key) not in (None, "ok") and row.get(key) in (None, "ok"):
            row[key] = later[key]
    # The slowest requests' phases: the round with the worst p99.
    if (later.get("p99_us") or 0) > max(v or 0 for v in row["p99_rounds_us"][:-1]):
        row["slowest"] = later.get("slowest") or []
        row["median_request"] = later.get("median_request")
        row["slowest_round"] = len(row["p99_rounds_us"])
    # The host time in gpreempt's calls: the worst round, where a tail shows.
    for key in ("preempt_call_p99_us", "preempt_call_max_us", "resume_call_p99_us",
                "resume_call_max_us"):
        values = [v for v in (row.get(key), later.get(key)) if v is not None]
        if values:
            row[key] = max(values)


def step_lc(runner, budget, results, bench_bin):
    exe = os.path.join(bench_bin, "bench_lc_latency")
    rows, runs, shape = {}, [], None
    iters = None
    for rnd in range(1, LC_ROUNDS + 1):
        for situation in SITUATIONS if rnd == 1 else PAIRED:
            # Later rounds share the last LC step's deadline.
            step = "lc-" + (situation if rnd == 1 else PAIRED[-1])
            t, skip = budget.timeout(step, 90)
            if runner.live and not skip and not os.access(exe, os.X_OK):
                skip = "not built: bench_lc_latency"
            name = "lc-%s" % situation + ("" if rnd == 1 else "-round%d" % rnd)
            env = {"GPREEMPT_DISABLE": "1"} if situation == "priority" else {}
            r = runner.run(name, lc_argv(exe, situation, t, iters), env, timeout=t or 1, skip=skip)
            runs.append(r)
            data = parse_bench_json(r.output)
            if data and situation == "alone" and rnd == 1:
                shape = data.get("lc")
                iters = (shape or {}).get("iters")
            row = lc_summary(situation, r, data)
            if rnd == 1:
                rows[situation] = row
            else:
                add_round(rows[situation], row)
    results["lc_latency"] = {"situations": [rows[s] for s in SITUATIONS], "request": shape,
                             "requests_asked": LC_REQUESTS, "max_seconds": LC_MAX_SECONDS,
                             "rounds": LC_ROUNDS, "flags": LC_FLAGS}
    results["_lc_iters"] = iters
    return runs


def step_throughput(runner, budget, results, bench_bin):
    exe = os.path.join(bench_bin, "bench_lc_latency")
    t, skip = budget.timeout("throughput", 120)
    if runner.live and not skip and not os.access(exe, os.X_OK):
        skip = "not built: bench_lc_latency"
    argv = [exe, "--throughput", "--periods-us", ",".join(str(p) for p in THROUGHPUT_PERIODS_US),
            "--be-seconds", "1.5", "--timeout", watchdog(t)]
    if results.get("_lc_iters"):
        argv += ["--lc-iters", results["_lc_iters"]]
    r = runner.run("throughput", argv, {}, timeout=t or 1, skip=skip)
    data = parse_bench_json(r.output)
    out = {"status": r.status}
    if not data:
        if r.ok:
            out["status"] = "no bench-json line"
        out["output_tail"] = r.tail()
        results["be_throughput"] = out
        return [r]
    before, after = data.get("be_alone_seconds_before"), data.get("be_alone_seconds_after")
    alone = [s for s in (before, after) if s]
    alone_s = sum(alone) / len(alone) if alone else None
    busy = data.get("lc_alone", {}).get("kernels_us", {}).get("p50")
    out.update(alone_seconds_before=before, alone_seconds_after=after, lc_busy_us=busy,
               lc_copy_in_us=data.get("lc_alone", {}).get("copy_in_us", {}).get("p50"),
               be_work=data.get("be_work"), be_check=data.get("be", {}).get("check"),
               be_setup=data.get("be", {}).get("setup"), runs=[])
    for run in data.get("runs", []):
        period, seconds = run.get("period_us"), run.get("be_seconds")
        client = run.get("client", {})
        row = {"period_us": period, "be_seconds": seconds, "requests": client.get("requests"),
               "late_arrivals": client.get("late_arrivals"),
               "wrong_requests": client.get("wrong_requests"),
               "lc_p50_us": client.get("latency_us", {}).get("p50"),
               "lc_p99_us": client.get("latency_us", {}).get("p99"),
               "raw_ratio": None, "free_fraction": None, "kept": None}
        if alone_s and seconds and period and busy is not None:
            row["raw_ratio"] = alone_s / seconds
            row["free_fraction"] = max(0.0, 1.0 - busy / period)
            if row["free_fraction"] > 0:
                row["kept"] = row["raw_ratio"] / row["free_fraction"]
        out["runs"].append(row)
    if not r.ok:
        out["output_tail"] = r.tail()
    results["be_throughput"] = out
    return [r]


def step_resume(runner, budget, results, bench_bin, remarks):
    exe = os.path.join(bench_bin, "bench_resume_cost")
    t, skip = budget.timeout("resume-cost", 90)
    if runner.live and not skip and not os.access(exe, os.X_OK):
        skip = "not built: bench_resume_cost"
    r = runner.run("resume-cost", [exe, "--timeout", watchdog(t)], {}, timeout=t or 1, skip=skip)
    data = parse_bench_json(r.output)
    out = {"status": r.status, "state": remarks}
    if data:
        for key in ("drain_vs_blocks", "cost_per_preemption", "relaunch", "gp"):
            out[key] = data.get(key)
    elif r.ok:
        out["status"] = "no bench-json line"
    if not r.ok or not data:
        out["output_tail"] = r.tail()
    results["resume_cost"] = out
    return [r]


# --------------------------------------------------------------------------

def collect_remarks(bench_dir, log_dir, live):
    """gpreempt's remarks on every measured kernel: copied next to the logs
    (live) so that a replay finds them there."""
    rdir = os.path.join(log_dir, "remarks")
    if live:
        os.makedirs(rdir, exist_ok=True)
        for sub, prefix in (("remarks", ""), ("zoo-remarks", "zoo_")):
            src = os.path.join(bench_dir, sub)
            for f in sorted(os.listdir(src)) if os.path.isdir(src) else []:
                if f.endswith(".txt"):
                    shutil.copy(os.path.join(src, f), os.path.join(rdir, prefix + f))
    kernels = []
    for f in sorted(os.listdir(rdir)) if os.path.isdir(rdir) else []:
        with open(os.path.join(rdir, f), encoding="utf-8", errors="replace") as fh:
            kernels += parse_remarks(f[:-len(".txt")], fh.read())
    return kernels


def load_build_info(bench_dir, log_dir, live):
    src = os.path.join(bench_dir, "build-info.json")
    dst = os.path.join(log_dir, "build-info.json")
    if live and os.path.isfile(src):
        shutil.copy(src, dst)
    try:
        with open(dst, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def measure(runner, bench_dir, budget_s, max_run_s=None, skip=()):
    log_dir = runner.log_dir
    bin_dir = os.path.join(bench_dir, "bin")
    budget = Budget(budget_s, runner.live, max_run_s, skip)
    results = {"schema": 1, "harness": "bench/measure.py", "budget_s": budget_s,
               "replayed": not runner.live,
               "measured_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "build": load_build_info(bench_dir, log_dir, runner.live)}
    remarks = collect_remarks(bench_dir, log_dir, runner.live)
    programs = zoo_programs(runner, bin_dir)
    steps = []

    def record(name, fn, *args):
        if name in skip:
            steps.append({"step": name, "runs": 0, "failed_runs": 0, "seconds": 0,
                          "status": "not run (--skip)"})
            return
        t0 = time.monotonic()
        try:
            runs = fn(runner, budget, results, *args)
            note = ""
        except Exception as e:  # a bug here must not lose the other steps
            runs, note = [], "harness error: %s: %s" % (type(e).__name__, e)
            print("bench: step %s: %s" % (name, note), file=sys.stderr, flush=True)
        bad = [r for r in runs if not r.ok]
        steps.append({"step": name, "runs": len(runs), "failed_runs": len(bad),
                      "seconds": round(time.monotonic() - t0, 1) if runner.live
                      else round(sum(r.seconds for r in runs), 1),
                      "status": note or ("ok" if not bad else "; ".join(
                          "%s: %s" % (r.name, r.status) for r in bad[:4])
                          + (" ..." if len(bad) > 4 else ""))})

    record("env", step_env)
    record("lc-latency", step_lc, bin_dir)
    record("throughput", step_throughput, bin_dir)
    record("resume-cost", step_resume, bin_dir, remarks)
    record("overhead", step_overhead, bin_dir, programs)
    record("drain", step_drain, bin_dir, programs)
    results.pop("_lc_iters", None)
    results["steps"] = steps
    results["seconds"] = round(time.monotonic() - budget.start, 1)
    results["targets"] = report.evaluate_targets(results)
    return results


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench-dir", default="build/bench",
                    help="what bench/run.sh build made: bin/, remarks/, zoo-remarks/")
    ap.add_argument("--out", required=True, help="folder for results.json, results.md, "
                    "lc_latency.png and logs.tar.gz")
    ap.add_argument("--budget-s", type=float, default=450, help="time for all steps")
    ap.add_argument("--max-run-s", type=float, help="limit every run to this (default: each "
                    "step's own limit, 90 to 120 s)")
    ap.add_argument("--skip", default="", metavar="STEP,...",
                    help="leave these steps out, their time going to the others: "
                    + ", ".join(SKIPPABLE))
    ap.add_argument("--replay", help="parse these logs (a folder or logs.tar.gz) instead of running")
    ap.add_argument("--keep-logs", action="store_true", help="keep OUTDIR/logs/ as well")
    args = ap.parse_args(argv)
    skip = [x for x in args.skip.split(",") if x]
    unknown = [x for x in skip if x not in SKIPPABLE]
    if unknown:
        ap.error("--skip: unknown step %s (steps: %s)" % (", ".join(unknown), ", ".join(SKIPPABLE)))

    os.makedirs(args.out, exist_ok=True)
    tmp = None
    if args.replay:
        src = args.replay
        if os.path.isfile(src):
            tmp = tempfile.mkdtemp(prefix="bench-replay-")
            with tarfile.open(src) as tar:
                tar.extractall(tmp)
            src = os.path.join(tmp, "logs")
        runner = ReplayRunner(src)
    else:
        runner = LiveRunner(os.path.join(args.out, "logs"))

    results = measure(runner, args.bench_dir, args.budget_s, args.max_run_s, skip)
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")
    report.write_outputs(results, args.out)

    if runner.live:
        with tarfile.open(os.path.join(args.out, "logs.tar.gz"), "w:gz") as tar:
            tar.add(runner.log_dir, arcname="logs")
        if not args.keep_logs:
            shutil.rmtree(runner.log_dir)
    if tmp:
        shutil.rmtree(tmp)
    print(report.summary_lines(results), flush=True)
    failed = sum(s["failed_runs"] for s in results["steps"])
    harness = [s["step"] for s in results["steps"] if s["status"].startswith("harness error")]
    if failed or harness:
        print("bench: %d run(s) failed or were skipped%s; the results above are partial" % (
            failed, "; harness errors in " + ", ".join(harness) if harness else ""), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
