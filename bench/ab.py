#!/usr/bin/env python3
"""ab.py - compare runtime variants in one GPU call, interleaved.

    ab.py --out OUTDIR --variant NAME[@BENCH_DIR]:SETTING[,SETTING...]
          --variant ... [--bench-dir build/bench] [--rounds 2]
          [--drain PROG,PROG...] [--lc SITUATION,SITUATION...]
          [--budget-s 300] [--max-run-s 60]

A variant is a set of settings: environment variables for the programs
(VAR=VALUE: a runtime switch, GPREEMPT_ARM_US=0, ...) and flags of the LC
program (--FLAG: how the request calls gpreempt, --no-wait-drained; they
follow the harness's own flags, bench/measure.py's LC_FLAGS, so the last
one wins; drain runs ignore them); `NAME:` alone is the build as it is. Optionally a build of
its own: `NAME@DIR:` runs DIR/bin's programs (a
second tree's `bench/run.sh build`, e.g. one configured with
GPREEMPT_PASS_FLAGS) instead of --bench-dir's. Each
round runs every drain program and every LC situation once per variant, the
variants' order turned around every other round, so that what drifts on
the machine during a call (the host's hiccups, the GPU's clocks) hits each
variant alike. Nothing else differs between the runs of a program: same
binary, same seed.

- drain: `zoo_<prog> --repeat 2 --check` under GPREEMPT_STRESS=1000 with a
  fixed seed and GPREEMPT_STATS=1 (as bench/measure.py's drain step, plus
  the CPU check): drain and raise-seen p50 / p99 per run, preemptions, armed
  raises, and the checksum, which must be the same in every run.
- LC: `bench_lc_latency --situation S`, 1000 requests, after one `alone` run
  per round (its calibration is reused by every later run): latency p50,
  p90, p99 per run, and the p99 minus that round's alone p99.

OUTDIR gets ab.json (each run's numbers), ab.md (the tables) and logs.tar.gz.
Exit status: 0 all runs passed, 1 a run failed, timed out or was skipped
for time (the tables say which), 2 usage, 77 no GPU (nothing was run).

Python's standard library only, as bench/measure.py, whose runner and
parsers this uses.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure  # noqa: E402

DRAIN_DEFAULT = "histogram,kmeans,reduction,jacobi2d,scan,spmv_csr"
LC_DEFAULT = "preempt-at-arrival,preempt-at-launch"
RUN_CAP_S = 60  # a zoo run with --repeat 2 takes 2-7 s on an H100, an LC run 2-5
CHECKSUM_RE = re.compile(r"^checksum (\S+)", re.M)


def parse_variant(text):
    """'name@dir:A=1,B=2,--flag' -> ('name', {'A': '1', 'B': '2'}, 'dir',
    ['--flag']); without '@dir', the bench dir is None (--bench-dir's)."""
    name, sep, settings = text.partition(":")
    name, at, bench_dir = name.partition("@")
    if not sep or not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or (at and not bench_dir):
        raise ValueError("a variant is NAME[@BENCH_DIR]:SETTING[,SETTING...], a setting "
                         "VAR=VALUE or --LC-FLAG (NAME: alone for none)")
    env, lc_flags = {}, []
    for a in filter(None, settings.split(",")):
        if re.fullmatch(r"--[a-z0-9-]+", a):
            lc_flags.append(a)
            continue
        var, eq, value = a.partition("=")
        if not eq or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var):
            raise ValueError("not VAR=VALUE or --FLAG: %r" % a)
        env[var] = value
    return name, env, bench_dir or None, lc_flags


def have_gpu():
    forced = os.environ.get("GPREEMPT_GPU")
    if forced in ("0", "1"):
        return forced == "1"
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"GPU" in out


class Clock:
    """The call's time budget: a run starts only with enough of it left."""

    def __init__(self, budget_s, max_run_s):
        self.deadline = time.monotonic() + budget_s
        self.max_run_s = max_run_s

    def timeout(self):
        left = self.deadline - time.monotonic()
        if left < min(measure.MIN_RUN_S, self.max_run_s):
            return None, "time budget: %.0f s left" % max(left, 0)
        return min(self.max_run_s, left), None


def drain_row(run):
    row = {"status": run.status}
    row.update(measure.parse_runtime_stats(run.output))  # the slow drains' split too
    sums = sorted(set(CHECKSUM_RE.findall(run.output)))
    row["checksum"] = sums[0] if len(sums) == 1 else (sums or None)
    return row


def lc_row(situation, run):
    """measure.py's row of an LC run, less the per-request detail (the logs
    keep it), plus gp_preempt's median host time."""
    data = measure.parse_bench_json(run.output) or {}
    row = measure.lc_summary(situation, run, data)
    for detail in ("samples_us", "slowest", "median_request"):
        row.pop(detail, None)
    client = data.get("client") or {}
    row["preempt_call_p50_us"] = (client.get("preempt_call_us") or {}).get("p50")
    # --wait-drained: the host's wait for the drain before the launches;
    # --stream-wait-drained: the call that has the GPU wait for it.
    row["drain_wait_p50_us"] = (client.get("drain_wait_us") or {}).get("p50")
    row["drain_wait_p99_us"] = (client.get("drain_wait_us") or {}).get("p99")
    return row, (data.get("lc") or {}).get("iters")


def compare(runner, clock, bench_dir, variants, rounds, drains, situations):
    """Every run, round by round; returns the results and the runs."""
    res = {"variants": [{"name": n, "env": e, "bench_dir": d or bench_dir, "lc_flags": f}
                        for n, e, d, f in variants], "rounds": rounds,
           "stress_mean_us": measure.STRESS_MEAN_US, "seed": measure.STRESS_SEED,
           "drain": {p: {v[0]: [] for v in variants} for p in drains},
           "lc": {s: {v[0]: [] for v in variants} for s in situations},
           "lc_alone": []}
    bin_of = {n: os.path.join(d or bench_dir, "bin") for n, _, d, _ in variants}
    lc_flags = {n: f for n, _, _, f in variants}
    lc_flags["alone"] = []
    bin_of["alone"] = os.path.join(bench_dir, "bin")  # LC work is never instrumented
    runs, iters = [], None
    for rnd in range(1, rounds + 1):
        order = variants if rnd % 2 else variants[::-1]
        for prog in drains:
            for name, env, _, _ in order:
                t, skip = clock.timeout()
                full = dict(env, GPREEMPT_STRESS=str(measure.STRESS_MEAN_US),
                            GPREEMPT_SEED=str(measure.STRESS_SEED), GPREEMPT_STATS="1")
                argv = [os.path.join(bin_of[name], "zoo_" + prog), "--repeat", "2", "--check",
                        "--timeout", measure.watchdog(t)]
                r = runner.run("drain-%s-%s-r%d" % (prog, name, rnd), argv, full,
                               timeout=t or 1, skip=skip)
                runs.append(r)
                res["drain"][prog][name].append(drain_row(r))
        if not situations:
            continue
        for name, env, situation in [("alone", {}, "alone")] + [
                (n, e, s) for s in situations for n, e, _, _ in order]:
            t, skip = clock.timeout()
            lc = os.path.join(bin_of[name], "bench_lc_latency")
            argv = measure.lc_argv(lc, situation, t, iters) + lc_flags[name]
            label = "alone" if situation == "alone" else "%s-%s" % (situation, name)
            r = runner.run("lc-%s-r%d" % (label, rnd), argv, env,
                           timeout=t or 1, skip=skip)
            runs.append(r)
            row, got = lc_row(situation, r)
            if situation == "alone":
                iters = iters or got
                res["lc_alone"].append(row)
            else:
                alone = res["lc_alone"][-1].get("p99_us")
                if alone is not None and row.get("p99_us") is not None:
                    row["p99_minus_alone_us"] = row["p99_us"] - alone
                res["lc"][situation][name].append(row)
    return res, runs


def fmt(v):
    if v is None:
        return "-"
    return "%.1f" % v if isinstance(v, float) else str(v)


def rounds_of(rows, key):
    return ", ".join(fmt(r.get(key)) for r in rows)


def p99_with_count(rows, part):
    """One part of the drains' split, per round: "p99 (drains)"."""
    return ", ".join("%s (%s)" % (fmt(r.get(part + "_p99_us")), fmt(r.get("drains_" + part)))
                     for r in rows)


def median_of(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def checksums_agree(rows):
    """The checksum column: one program's runs, every variant's."""
    seen = [r.get("checksum") for r in rows]
    distinct = {json.dumps(c) for c in seen if c is not None}
    if not distinct:
        return "-"
    if len(distinct) > 1:
        return "DIFFERS"
    return "same in every run" if None not in seen else "same where printed"


def statuses(rows):
    return "; ".join(r["status"] for r in rows if r["status"] != "ok") or "ok"


def write_md(res, path, device):
    out = ["# A/B of runtime variants (bench/ab.py)", ""]
    out.append("Device: %s. Variants: %s. %d round(s), the order turned every other round." % (
        device or "unknown", "; ".join("`%s` (%s%s)" % (v["name"], " ".join(
            ["%s=%s" % kv for kv in sorted(v["env"].items())] + v["lc_flags"]) or "as built",
            "" if v["bench_dir"] == res["bench_dir"] else ", built in " + v["bench_dir"])
            for v in res["variants"]), res["rounds"]))
    if res["drain"]:
        out += ["", "## Drain, us (GPREEMPT_STRESS=%d, seed %d; per round)" % (
            res["stress_mean_us"], res["seed"]), "",
            "| program | variant | drain p50 | drain p99 | raise seen p50 | raise seen p99 "
            "| preemptions | armed | launches with a relay | checksum | status |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for prog, by_variant in res["drain"].items():
            agree = checksums_agree([r for rows in by_variant.values() for r in rows])
            for name, rows in by_variant.items():
                out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    prog, name, rounds_of(rows, "p50_us"), rounds_of(rows, "p99_us"),
                    rounds_of(rows, "raise_p50_us"), rounds_of(rows, "raise_p99_us"),
                    rounds_of(rows, "preemptions"), rounds_of(rows, "raises_armed"),
                    rounds_of(rows, "launches_relay"), agree, statuses(rows)))
        rows_all = [r for by_variant in res["drain"].values() for rows in by_variant.values()
                    for r in rows]
        limit = next((r["slow_limit_us"] for r in rows_all if "slow_limit_us" in r), None)
        if limit is not None:
            out += ["", "Slow drains (%d us or more), per round, and how many of them had each "
                    "part (runtime/stats.h; a drain may have several or none): raised soon after "
                    "a clear, the last launch waited for a relaunch, the drain's wait for the "
                    "device lock, its last look (the walk), the raising call; then the lock "
                    "wait's p99 over all drains, and the drain's p99 (drains) of those raised "
                    "within 100 us of a clear and of the rest." % limit, "",
                    "| program | variant | slow drains | soon after a clear | relaunch | lock "
                    "wait | last look | raising call | lock wait p99 us | p99 soon (n) "
                    "| p99 later (n) |",
                    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
            for prog, by_variant in res["drain"].items():
                for name, rows in by_variant.items():
                    out.append("| %s | %s | %s |" % (prog, name, " | ".join(
                        [rounds_of(rows, k) for k in measure.SLOW_PARTS
                         if k != "slow_limit_us"] +
                        [rounds_of(rows, "lock_wait_p99_us"),
                         p99_with_count(rows, "soon"), p99_with_count(rows, "later")])))
    if res["lc"]:
        out += ["", "## LC latency, us (per round; alone p99 by round: %s)" % rounds_of(
            res["lc_alone"], "p99_us"), "",
            "| situation | variant | p50 | p90 | p99 | p99 - alone | median p99 - alone "
            "| gp_preempt p50 | drain call p50 | wrong | BE check | status |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for situation, by_variant in res["lc"].items():
            for name, rows in by_variant.items():
                out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    situation, name, rounds_of(rows, "p50_us"), rounds_of(rows, "p90_us"),
                    rounds_of(rows, "p99_us"), rounds_of(rows, "p99_minus_alone_us"),
                    fmt(median_of(rows, "p99_minus_alone_us")),
                    rounds_of(rows, "preempt_call_p50_us"), rounds_of(rows, "drain_wait_p50_us"),
                    rounds_of(rows, "wrong_requests"),
                    rounds_of(rows, "be_check"), statuses(rows)))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--variant", action="append", default=[], required=True,
                    help="NAME:VAR=VALUE[,VAR=VALUE...]; two or more")
    ap.add_argument("--bench-dir", default="build/bench")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--drain", default=DRAIN_DEFAULT, help="zoo programs ('' for none)")
    ap.add_argument("--lc", default=LC_DEFAULT, help="LC situations ('' for none)")
    ap.add_argument("--budget-s", type=float, default=300, help="time for all runs")
    ap.add_argument("--max-run-s", type=float, default=RUN_CAP_S, help="time for one run")
    args = ap.parse_args(argv)
    try:
        variants = [parse_variant(v) for v in args.variant]
    except ValueError as e:
        ap.error(str(e))
    names = [v[0] for v in variants]
    if len(variants) < 2 or len(set(names)) != len(variants) or "alone" in names:
        ap.error("give two or more variants, each with its own name (not 'alone')")
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    situations = [s for s in args.lc.split(",") if s]
    for s in situations:
        if s not in measure.LC_MAX_SECONDS or s in ("alone", "priority"):
            ap.error("--lc takes preempt-at-arrival and preempt-at-launch, not %r" % s)
    if not have_gpu():
        print("ab: no GPU present (nvidia-smi -L lists none): nothing was run")
        return 77

    os.makedirs(args.out, exist_ok=True)
    log_dir = os.path.join(args.out, "logs")
    runner = measure.LiveRunner(log_dir)
    env_run = runner.run("env-nvidia-smi", ["nvidia-smi", "--query-gpu=name,driver_version",
                                            "--format=csv,noheader"], timeout=30)
    device = env_run.output.strip().splitlines()[0] if env_run.ok and env_run.output.strip() \
        else None
    res, runs = compare(runner, Clock(args.budget_s, args.max_run_s),
                        args.bench_dir, variants, args.rounds,
                        [p for p in args.drain.split(",") if p], situations)
    res["bench_dir"] = args.bench_dir
    res["device"] = device
    res["build"] = measure.load_build_info(args.bench_dir, log_dir, True)
    for v in res["variants"]:  # the builds of variants with their own
        if v["bench_dir"] != args.bench_dir:
            try:
                with open(os.path.join(v["bench_dir"], "build-info.json"),
                          encoding="utf-8") as f:
                    v["build"] = json.load(f)
            except (OSError, ValueError):
                v["build"] = {}
    with open(os.path.join(args.out, "ab.json"), "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1, sort_keys=True)
        f.write("\n")
    write_md(res, os.path.join(args.out, "ab.md"), device)
    with tarfile.open(os.path.join(args.out, "logs.tar.gz"), "w:gz") as tar:
        tar.add(log_dir, arcname="logs")
    shutil.rmtree(log_dir)
    with open(os.path.join(args.out, "ab.md"), encoding="utf-8") as f:
        print(f.read(), end="", flush=True)
    bad = [r for r in runs if not r.ok]
    if bad:
        print("ab: %d run(s) failed, timed out or were skipped: %s" % (
            len(bad), ", ".join(r.name for r in bad[:8])), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
