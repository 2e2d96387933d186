#!/usr/bin/env python3
"""report.py - issue 4's targets, the readable table and the figure, from
results.json (bench/measure.py writes all three; this regenerates them).

    report.py results.json OUTDIR     # OUTDIR/results.md, OUTDIR/lc_latency.png

A target is PASS, MISS (with how far off), INVALID (the measurement came
with a wrong result or the wrong setup, so it counts for nothing) or NO
DATA (with why). Never PASS without a number behind it.
"""

import json
import math
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_png  # noqa: E402

# Issue 4's targets (H100, every zoo kernel unless said).
OVERHEAD_GEOMEAN_PCT = 2.0
OVERHEAD_MAX_PCT = 10.0
DRAIN_P99_US = 15.0
LC_HINT_SLACK_US = 10.0
LC_NO_HINT_SLACK_US = 20.0
BE_KEPT_MIN = 0.90


def _fmt(v, unit="", digits=1):
    if v is None:
        return "-"
    if isinstance(v, float) and not math.isfinite(v):
        return "-"
    if isinstance(v, (int,)) and not isinstance(v, bool):
        return "%d%s" % (v, unit)
    return ("%." + str(digits) + "f%s") % (v, unit)


def _target(tid, what, goal, value, unit, verdict, note=""):
    return {"id": tid, "what": what, "goal": goal, "value": value, "unit": unit,
            "verdict": verdict, "note": note}


def _upper(tid, what, value, limit, unit, note="", invalid=None, missing=None):
    """value must be <= limit."""
    goal = "<= %s %s" % (_fmt(float(limit)), unit)
    if invalid:
        return _target(tid, what, goal, value, unit, "INVALID", invalid)
    if value is None:
        return _target(tid, what, goal, None, unit, "NO DATA", missing or "not measured")
    if value <= limit:
        return _target(tid, what, goal, value, unit, "PASS", note)
    return _target(tid, what, goal, value, unit,
                   "MISS by %s %s" % (_fmt(value - limit), unit), note)


def _lower(tid, what, value, limit, unit, note="", invalid=None, missing=None):
    """value must be >= limit."""
    goal = ">= %s %s" % (_fmt(float(limit)), unit)
    if invalid:
        return _target(tid, what, goal, value, unit, "INVALID", invalid)
    if value is None:
        return _target(tid, what, goal, None, unit, "NO DATA", missing or "not measured")
    if value >= limit:
        return _target(tid, what, goal, value, unit, "PASS", note)
    return _target(tid, what, goal, value, unit,
                   "MISS by %s %s" % (_fmt(limit - value), unit), note)


def _situation(results, name):
    for s in results.get("lc_latency", {}).get("situations", []):
        if s.get("situation") == name:
            return s
    return {}


def lc_round_diffs(alone, s):
    """p99 of `s` minus alone p99, round by round (runs of one round ran
    one after the other), where both rounds have one."""
    a = alone.get("p99_rounds_us") or [alone.get("p99_us")]
    b = s.get("p99_rounds_us") or [s.get("p99_us")]
    return [y - x for x, y in zip(a, b) if x is not None and y is not None]


def _stall_counts(s):
    """Requests the machine stalled, round by round, or None where the logs
    do not count them (before session 25)."""
    counts = s.get("stalled_rounds") or [s.get("stalled_requests")]
    return None if any(c is None for c in counts) else counts


def _stalls(s):
    """'N, N, N of R requests' stalled by the machine, or None."""
    counts = _stall_counts(s)
    return counts and "%s of %s requests" % (", ".join(str(c) for c in counts), s.get("requests"))


def _stalls_set_p99(s):
    """Whether the machine stalled at least 1 % of a round's requests: then
    that round's p99 is the stalls', not the situation's."""
    counts = _stall_counts(s)
    return bool(counts and s.get("requests")) and max(counts) * 100 >= s["requests"]


def _lc_problem(s):
    """Why an LC situation's numbers cannot count, or None."""
    if not s:
        return None
    if s.get("wrong_requests"):
        return "%s: %d LC results wrong" % (s["situation"], s["wrong_requests"])
    if s.get("be_check") not in (None, "ok"):
        return "%s: BE results %s" % (s["situation"], s["be_check"])
    if s.get("be_setup") not in (None, "ok"):
        return "%s: %s" % (s["situation"], s["be_setup"])
    return None


def evaluate_targets(results):
    targets = []

    ov = results.get("overhead", {})
    rows = ov.get("programs", [])
    missing = [r["program"] for r in rows if r.get("overhead_pct") is None]
    note = ("%d of %d programs measured" % (ov.get("counted", 0), len(rows))
            + ("; missing: %s" % ", ".join(missing) if missing else ""))
    targets.append(_upper("overhead.geomean", "Overhead, geometric mean over the zoo",
                          ov.get("geomean_pct"), OVERHEAD_GEOMEAN_PCT, "%", note,
                          missing="no program measured both ways"))
    over = sorted((r["program"] for r in rows
                   if (r.get("overhead_pct") or 0) > OVERHEAD_MAX_PCT))
    targets.append(_upper("overhead.max", "Overhead, worst zoo program",
                          ov.get("max_pct"), OVERHEAD_MAX_PCT, "%",
                          ("worst: %s" % ov.get("max_program") if ov.get("max_program") else "")
                          + ("; above 10%%: %s" % ", ".join(over) if over else ""),
                          missing="no program measured both ways"))

    dr = results.get("drain", {}).get("programs", [])
    measured = [r for r in dr if r.get("p99_us") is not None and r.get("samples")]
    unmeasured = [r["program"] for r in dr if r not in measured]
    worst = max(measured, key=lambda r: r["p99_us"]) if measured else None
    above = sorted(r["program"] for r in measured if r["p99_us"] > DRAIN_P99_US)
    # The drains raised 100 us or more after a clear found the resume's
    # relaunches running: the GPU full of BE blocks, as the target has it.
    # The verdict stays on all drains; the note gives these beside it.
    later = [r for r in measured if r.get("later_p99_us") is not None]
    worst_later = max(later, key=lambda r: r["later_p99_us"]) if later else None
    note = ("%d of %d programs measured" % (len(measured), len(dr))
            + ("; worst: %s" % worst["program"] if worst else "")
            + ("; above 15 us: %s" % ", ".join(above) if above else "")
            + ("; no drain samples: %s" % ", ".join(unmeasured) if unmeasured else "")
            + ("; raised 100 us or more after a clear only: worst p99 %d us (%s)"
               % (worst_later["later_p99_us"], worst_later["program"])
               if worst_later else ""))
    targets.append(_upper("drain.p99", "Drain latency p99, worst zoo program",
                          worst["p99_us"] if worst else None, DRAIN_P99_US, "us", note,
                          missing="no drain samples"))

    alone = _situation(results, "alone")
    for sid, name, slack, what in (
            ("lc.with_hint", "preempt-at-arrival", LC_HINT_SLACK_US,
             "LC p99 with the hint (preempt at arrival), minus alone p99"),
            ("lc.without_hint", "preempt-at-launch", LC_NO_HINT_SLACK_US,
             "LC p99 preempting at kernel launch, minus alone p99")):
        s = _situation(results, name)
        diffs = lc_round_diffs(alone, s)
        value = statistics.median(diffs) if diffs else None
        problem = _lc_problem(s) or _lc_problem(alone)
        note = ""
        if value is not None:
            note = "median over %d round(s) of p99 minus alone p99 (%s us); round 1: p99 %s us vs alone %s us over %s requests" % (
                len(diffs), ", ".join("%+.1f" % d for d in diffs), _fmt(s.get("p99_us")),
                _fmt(alone.get("p99_us")), s.get("requests"))
            noisy = [x for x in (alone, s) if _stalls_set_p99(x)]
            if noisy:
                note += "; the machine stalled %s (at least 1 %% of a round: its p99 is the stalls')" % (
                    " and ".join("%s %s" % (x["situation"], _stalls(x)) for x in noisy))
        targets.append(_upper(sid, what, value, slack, "us", note, invalid=problem,
                              missing="%s: %s; alone: %s" % (name, s.get("status", "not run"),
                                                             alone.get("status", "not run"))))

    tp = results.get("be_throughput", {})
    problem = None
    if tp.get("be_check") not in (None, "ok"):
        problem = "BE results %s" % tp["be_check"]
    elif tp.get("be_setup") not in (None, "ok"):
        problem = tp["be_setup"]
    for period in (1000, 10000):
        run = next((r for r in tp.get("runs", []) if r.get("period_us") == period), {})
        kept = run.get("kept")
        invalid = problem or ("%d LC results wrong" % run["wrong_requests"]
                              if run.get("wrong_requests") else None)
        note = ""
        if kept is not None:
            note = "BE alone/with LC %.3f, free fraction %.3f (LC kernels %s us per request)" % (
                run["raw_ratio"], run["free_fraction"], _fmt(tp.get("lc_busy_us")))
        targets.append(_lower("be_kept.%dms" % (period // 1000),
                              "BE throughput kept, an LC request every %d ms" % (period // 1000),
                              kept * 100 if kept is not None else None, BE_KEPT_MIN * 100, "%",
                              note, invalid=invalid, missing=tp.get("status", "not run")))
    return targets


# --------------------------------------------------------------------------
# results.md

def _table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "/").replace("\n", " ") for c in r) + " |")
    return out


def _short_kernel(name):
    """'void spin_words<1>(unsigned int, ...)' -> 'spin_words<1>'."""
    name = name.split("(")[0]
    return name[5:] if name.startswith("void ") else name


def _tail(text):
    return " ".join((text or "").split())[-160:]


# A request's phases (lc_latency.cu, RequestTiming): host calls, then GPU spans.
LC_PHASES = [("preempt_call_us", "gp_preempt"), ("copy_wait_us", "copy-in wait"),
             ("drain_wait_us", "drain wait"),
             ("launch_calls_us", "launch calls"), ("resume_call_us", "gp_resume_after"),
             ("finish_us", "copy-out wait"), ("copy_in_us", "GPU copy-in"),
             ("kernels_us", "GPU kernels"), ("copy_out_us", "GPU copy-out"),
             ("gpu_span_us", "GPU span")]


def _lc_phases(situations):
    """Where the slowest requests' time went, beside the median request."""
    rows = []
    for s in situations:
        slow, med = s.get("slowest") or [], s.get("median_request")
        if not slow or not med:
            continue
        worst = slow[:max(1, len(slow) // 2)]
        # A phase no request reports (an older program's log) stays "-".
        mean = {k: statistics.mean(r.get(k) or 0 for r in worst)
                if any(k in r for r in worst) else None
                for k in [k for k, _ in LC_PHASES] + ["latency_us"]}
        label = "%s, round %s" % (s["situation"], s.get("slowest_round", 1))
        rows.append([label + ": median request", _fmt(med.get("latency_us"))] +
                    [_fmt(med.get(k)) for k, _ in LC_PHASES] + ["-"])
        rows.append([label + ": slowest %d (mean)" % len(worst), _fmt(mean["latency_us"])] +
                    [_fmt(mean[k]) for k, _ in LC_PHASES] +
                    [", ".join(str(r.get("index")) for r in slow)])
    if not rows:
        return []
    return ["", "Where the time of the slowest requests went (the round with the worst p99; "
            "host phases, then GPU spans from CUDA events; 'latency - GPU span' is time the GPU "
            "did not see: host calls and the wait before the copy-in started):", ""] + \
        _table(["requests", "latency us"] + [name + " us" for _, name in LC_PHASES] +
               ["slowest requests' indices"], rows)


def markdown(results):
    dev = results.get("device", {})
    build = results.get("build", {})
    lines = ["# gpreempt benchmark results", ""]
    lines.append("Device: %s (driver %s, max SM clock %s). Build: commit %s%s, built %s. "
                 "Measured %s in %s s of a %s s budget%s." % (
                     dev.get("name", "unknown"), dev.get("driver", "?"), dev.get("sm_clock_max", "?"),
                     build.get("commit", "unknown"), " (uncommitted changes)" if build.get("dirty") else "",
                     build.get("built_at", "?"), results.get("measured_at", "?"), results.get("seconds", "?"),
                     _fmt(results.get("budget_s"), "", 0),
                     "; recomputed from logs (--replay)" if results.get("replayed") else ""))
    lines += ["", "How each number is measured: docs/benchmarks.md. Raw output of every run: logs.tar.gz.", ""]

    lines += ["## Targets (issue 4)", ""]
    lines += _table(["target", "goal", "measured", "verdict", "note"],
                    [[t["what"], t["goal"], _fmt(t["value"], " " + t["unit"]), t["verdict"], t["note"]]
                     for t in results.get("targets", [])])

    ov = results.get("overhead", {})
    lines += ["", "## 1. Overhead: instrumented vs plain, no preemption", "",
              "GPU time of each program's kernels per repeat (CUDA events), median of %s repeats "
              "(the median is insensitive to the first, warm-up repeat). Plain = the same source built with `gpreempt-cc "
              "--gp-no-preempt`. Target: geometric mean <= 2 %%, none above 10 %%." % ov.get("repeats", "?"), ""]
    rows = []
    for r in ov.get("programs", []):
        p, g = r.get("plain", {}), r.get("gpreempt", {})
        pct = r.get("overhead_pct")
        verdict = "-" if pct is None else ("PASS" if pct <= OVERHEAD_MAX_PCT else
                                           "MISS by %.1f %%" % (pct - OVERHEAD_MAX_PCT))
        notes = []
        for label, e in (("plain", p), ("gpreempt", g)):
            if e.get("status") != "ok":
                notes.append("%s: %s %s" % (label, e.get("status"), _tail(e.get("output_tail"))))
        if "launches_preemptible" in g:
            notes.append("launches preemptible %s, unpreempted %s" % (
                g["launches_preemptible"], g.get("launches_unpreempted")))
        if g.get("launches_wide"):
            # The wide form's register budget, not preemption, is what can
            # make a program faster than plain (docs/design.md).
            notes.append("%s of them wide" % g["launches_wide"])
        rows.append([r["program"], _fmt(p.get("median_us")), _fmt(g.get("median_us")),
                     "%s..%s" % (_fmt(g.get("min_us")), _fmt(g.get("max_us"))),
                     _fmt(pct, " %", 2), verdict, "; ".join(notes)])
    lines += _table(["program", "plain us", "gpreempt us", "gpreempt min..max", "overhead",
                     "<= 10 %", "note"], rows)
    lines += ["", "Geometric mean: %s over %s programs; worst: %s (%s)." % (
        _fmt(ov.get("geomean_pct"), " %", 2), ov.get("counted", 0), _fmt(ov.get("max_pct"), " %", 2),
        ov.get("max_program") or "-")]

    dr = results.get("drain", {})
    lines += ["", "## 2. Drain latency under random preemption", "",
              "Each instrumented zoo program alone under `GPREEMPT_STRESS=%s` (a preemption about every "
              "%s us, seed %s): from `gp_preempt()` until `gp_wait_drained()` sees every BE launch off "
              "the GPU, host clock, 1 us resolution, as the runtime reports it (`GPREEMPT_STATS=1`). "
              "Target: p99 <= 15 us." % (dr.get("stress_mean_us"), dr.get("stress_mean_us"), dr.get("seed")), ""]
    rows = []
    for r in dr.get("programs", []):
        p99 = r.get("p99_us")
        verdict = "-" if p99 is None or not r.get("samples") else (
            "PASS" if p99 <= DRAIN_P99_US else "MISS by %d us" % (p99 - DRAIN_P99_US))
        notes = []
        if r.get("status") != "ok":
            notes.append("%s %s" % (r.get("status"), _tail(r.get("output_tail"))))
        if r.get("refused"):
            notes.append("refused: " + ", ".join("%s %s" % kv for kv in sorted(r["refused"].items())))
        if r.get("launches_unpreempted"):
            notes.append("%s launches unpreempted" % r["launches_unpreempted"])
        if r.get("samples") is not None and r["samples"] < 100:
            notes.append("few samples: p99 is rough")
        armed, raised = r.get("raises_armed"), r.get("preemptions")
        if armed is not None and raised and armed < raised:
            notes.append("%d of %d raises armed" % (armed, raised))
        if r.get("slow_drains"):
            notes.append("of %d drains >= %d us, %d raised soon after a clear, %d last waited "
                         "for a relaunch; >= 10 us of lock wait in %d, of last look in %d, of "
                         "raising call in %d" % tuple(r.get(k, 0) for k in (
                             "slow_drains", "slow_limit_us", "slow_soon_after_clear",
                             "slow_after_relaunch", "slow_lock_wait", "slow_last_look",
                             "slow_raise_call")))
        if r.get("drains_soon") and r.get("drains_later"):
            notes.append("p99 of the %d drains raised within 100 us of a clear %d us, of the "
                         "other %d %d us" % (r["drains_soon"], r["soon_p99_us"],
                                            r["drains_later"], r["later_p99_us"]))
        rows.append([r["program"], _fmt(r.get("preemptions")), _fmt(r.get("samples")),
                     _fmt(r.get("p50_us")), _fmt(p99), _fmt(r.get("max_us")),
                     "%s / %s" % (_fmt(r.get("raise_p50_us")), _fmt(r.get("raise_p99_us"))),
                     verdict, "; ".join(notes)])
    lines += _table(["program", "preemptions", "samples", "p50 us", "p99 us", "max us",
                     "raise seen p50 / p99 us", "p99 <= 15 us", "note"], rows)
    lines += ["", "'Raise seen': from `gp_preempt()` until `gp_wait_drained()` first saw the flag's "
              "raise complete on the GPU (an upper bound: it looks between its checks). The rest "
              "of a drain is the kernels' way out. A raise is usually armed in advance and fired "
              "by one host store (docs/design.md, \"The armed raise\"); the note says when some "
              "were enqueued at the call instead. The note also splits the slow drains where "
              "their tail may be the host's (runtime/stats.h): a raise soon after the clear "
              "before it, a relaunch as the last launch waited for, and the drain's wait for the "
              "device lock, its last look at the launches or the raising call."]

    lc = results.get("lc_latency", {})
    shape = lc.get("request") or {}
    kernels = shape.get("kernel") or []
    lines += ["", "## 3. LC latency beside BE work", "",
              "One request = copy in %s elements (pinned), wait for the copy, %d kernels "
              "(alone: %s us), copy out; from its arrival to its result on the host, requests from "
              "their own thread with random gaps. BE: be_sgemm and be_stream keep the GPU full on two "
              "streams. Alone and the two preempting situations run %s round(s), one after another "
              "in each; 'p99 vs alone' is the median of the rounds' differences (p50, p90, p99, max "
              "and the plot: round 1). Targets: p99 with the hint <= alone + 10 us, without <= "
              "alone + 20 us." % (
                  shape.get("elements", "?"), len(kernels),
                  ", ".join(_fmt(k.get("alone_us")) for k in kernels) or "?",
                  lc.get("rounds", 1))]
    for situation, flags in sorted((lc.get("flags") or {}).items()):
        lines[-1] += " %s runs with `%s` (docs/benchmarks.md)." % (situation, " ".join(flags))
    lines += [""]
    alone = _situation(results, "alone")
    rows = []
    for s in lc.get("situations", []):
        diffs = lc_round_diffs(alone, s)
        vs = "%+.1f us" % statistics.median(diffs) if diffs else "-"
        notes = []
        if s.get("status") != "ok":
            notes.append("%s %s" % (s.get("status"), _tail(s.get("output_tail"))))
        if s.get("bounded"):
            notes.append("stopped at the time bound after %s of %s requests" % (
                s.get("requests"), s.get("requested")))
        problem = _lc_problem(s)
        if problem:
            notes.append(problem)
        if s.get("preempt_call_max_us"):
            notes.append("host time in gp_preempt p99 %s / max %s us, in gp_resume_after p99 %s / "
                         "max %s us (worst round)" % (_fmt(s.get("preempt_call_p99_us")), _fmt(s.get("preempt_call_max_us")),
                                        _fmt(s.get("resume_call_p99_us")), _fmt(s.get("resume_call_max_us"))))
        if _stalls(s):
            notes.append("stalled by the machine: %s" % _stalls(s))
        rounds = ", ".join(_fmt(v) for v in s.get("p99_rounds_us") or [])
        rows.append([s["situation"], _fmt(s.get("requests")), _fmt(s.get("p50_us")), _fmt(s.get("p90_us")),
                     _fmt(s.get("p99_us")), _fmt(s.get("max_us")), rounds or "-", vs,
                     _fmt(s.get("kernels_p50_us")), _fmt(s.get("preemptions")), s.get("be_check") or "-",
                     "; ".join(notes)])
    lines += _table(["situation", "requests", "p50 us", "p90 us", "p99 us", "max us", "p99 by round us",
                     "p99 vs alone (median of rounds)", "LC kernels p50 us", "preemptions", "BE check",
                     "note"], rows)
    lines += ["", "'Stalled by the machine': requests with more than 200 us of host time outside "
              "their GPU span and gpreempt's calls, or copies slower than 200 us on the GPU (25 us is "
              "usual), per round. Where they are at least 1 % of a round's requests, that round's "
              "p99 is theirs: alone makes no gpreempt call, so its stalls are the host's or the bus's.",
              "", "![LC latency](lc_latency.png)"]
    lines += _lc_phases(lc.get("situations", []))

    tp = results.get("be_throughput", {})
    lines += ["", "## 4. BE throughput kept", "",
              "A fixed amount of BE work (%s) timed alone (before: %s s, after: %s s) and with an LC "
              "request (preempting at arrival) every period. Kept = (time alone / time with LC) / "
              "(1 - LC kernels' GPU time alone (%s us) / period). Target: >= 90 %%. %s" % (
                  ", ".join("%s %s" % (v, k) for k, v in sorted((tp.get("be_work") or {}).items())) or "?",
                  _fmt(tp.get("alone_seconds_before"), "", 3), _fmt(tp.get("alone_seconds_after"), "", 3),
                  _fmt(tp.get("lc_busy_us")),
                  "" if tp.get("status") == "ok" else "Status: %s %s" % (tp.get("status"),
                                                                        _tail(tp.get("output_tail")))), ""]
    rows = []
    for r in tp.get("runs", []):
        kept = r.get("kept")
        verdict = "-" if kept is None else ("PASS" if kept >= BE_KEPT_MIN else
                                            "MISS by %.1f %%" % ((BE_KEPT_MIN - kept) * 100))
        rows.append(["%g ms" % (r["period_us"] / 1000.0), _fmt(r.get("be_seconds"), "", 3),
                     _fmt(r.get("raw_ratio"), "", 3), _fmt(r.get("free_fraction"), "", 3),
                     _fmt(kept * 100 if kept is not None else None, " %"), verdict,
                     _fmt(r.get("requests")), _fmt(r.get("late_arrivals")), _fmt(r.get("lc_p99_us"))])
    lines += _table(["LC every", "BE s", "alone/with", "free", "kept", ">= 90 %", "LC requests",
                     "late arrivals", "LC p99 us"], rows)

    rc = results.get("resume_cost", {})
    lines += ["", "## 5. Resume cost", "", "Status: %s %s" % (
        rc.get("status", "not run"), "" if rc.get("status") == "ok" else _tail(rc.get("output_tail"))), "",
        "State a yield saves, from gpreempt's remarks at build time (bytes per thread include the "
        "resume point; shared bytes are per block):", ""]
    rows = []
    for k in rc.get("state") or []:
        if k.get("preemptible"):
            rows.append([k["source"], _short_kernel(k["kernel"]), k["decisions"], _fmt(k["yield_points"]),
                         _fmt(k["state_bytes_per_thread"]), _fmt(k["local_bytes"]),
                         _fmt(k["shared_bytes_per_block"]) + (" + dynamic" if k.get("saves_dynamic_shared") else "")])
        else:
            rows.append([k["source"], _short_kernel(k["kernel"]), "refused: " + k.get("refusal", "?"), "-", "-", "-", "-"])
    lines += _table(["source", "kernel", "decisions", "yield points", "bytes/thread", "local bytes",
                     "shared bytes/block"], rows)
    lines += ["", "Drain time against resident blocks (256 threads each) and state, each kernel alone, "
              "preempted at random moments:", ""]
    rows = []
    for d in rc.get("drain_vs_blocks") or []:
        s = d.get("drain_us", {})
        rows.append([d.get("kernel"), d.get("blocks_per_sm"), d.get("occupancy_limit"), _fmt(s.get("n")),
                     _fmt(s.get("p50")), _fmt(s.get("p99")), _fmt(s.get("max")),
                     _fmt(d.get("drain_timeouts")), d.get("check")])
    lines += _table(["kernel", "blocks/SM", "occupancy limit", "drained", "drain p50 us", "p99 us",
                     "max us", "not drained in 2 s", "check"], rows)
    lines += ["", "Net cost per preemption: (time with preemptions - time alone - time held "
              "preempted) / preemptions, CUDA events:", ""]
    rows = []
    for c in rc.get("cost_per_preemption") or []:
        s, dn = c.get("lost_us_per_preemption", {}), c.get("drain_us", {})
        rows.append([c.get("kernel"), _fmt(c.get("alone_ms"), "", 2), _fmt(c.get("preemptions")),
                     _fmt(s.get("p50")), "%s..%s" % (_fmt(s.get("min")), _fmt(s.get("max"))),
                     _fmt(dn.get("p50")), _fmt(c.get("drain_timeouts")), c.get("be_check") or c.get("check")])
    lines += _table(["workload", "alone ms", "preemptions", "cost us (median of runs)", "min..max",
                     "drain p50 us", "not drained in 2 s", "check"], rows)
    rl = rc.get("relaunch") or {}
    if rl:
        lines += ["", "Relaunch delay on the GPU's clock (%s, %s blocks; host clock mapped onto "
                  "%%globaltimer within +-%s us, %%globaltimer step %s ns; %s of %s gaps matched to "
                  "preemptions), medians over %s preemptions:" % (
                      rl.get("kernel"), rl.get("blocks"), _fmt(rl.get("clock_uncertainty_us"), "", 2),
                      rl.get("globaltimer_step_ns"), rl.get("gaps_matched"), rl.get("gaps"),
                      rl.get("preemptions")), ""]
        rows = []
        for key, what in (("drain_us", "drain (host, gp_wait_drained)"),
                          ("preempt_to_median_block_left_us", "gp_preempt -> median block left"),
                          ("preempt_to_last_block_left_us", "gp_preempt -> last block left"),
                          ("resume_to_first_block_back_us", "gp_resume -> first block running"),
                          ("resume_to_last_block_back_us", "gp_resume -> last block running")):
            s = rl.get(key) or {}
            rows.append([what, _fmt(s.get("p50")), _fmt(s.get("p99")), _fmt(s.get("max"))])
        lines += _table(["interval", "p50 us", "p99 us", "max us"], rows)
        lines += ["", "Check: %s." % rl.get("check")]

    lines += ["", "## Steps", ""]
    lines += _table(["step", "runs", "failed", "seconds", "status"],
                    [[s["step"], s["runs"], s["failed_runs"], s["seconds"], s["status"]]
                     for s in results.get("steps", [])])
    return "\n".join(lines) + "\n"


def write_plot(results, path):
    series = [(s.get("situation", "?"), s.get("samples_us") or [])
              for s in results.get("lc_latency", {}).get("situations", [])]
    if not series:
        series = [("no LC data", [])]
    plot_png.lc_latency_figure(series, path, reference="alone",
                               marks=(LC_HINT_SLACK_US, LC_NO_HINT_SLACK_US))


def write_outputs(results, out_dir):
    with open(os.path.join(out_dir, "results.md"), "w", encoding="utf-8") as f:
        f.write(markdown(results))
    write_plot(results, os.path.join(out_dir, "lc_latency.png"))


def summary_lines(results):
    """A few lines for the terminal: each target's verdict."""
    out = ["bench: targets (details in results.md):"]
    for t in results.get("targets", []):
        out.append("  %-18s %-10s %-12s %s" % (t["id"], t["goal"], _fmt(t["value"], " " + t["unit"]),
                                               t["verdict"]))
    return "\n".join(out)


def main(argv):
    if len(argv) != 3:
        print("usage: report.py results.json OUTDIR", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        results = json.load(f)
    results["targets"] = evaluate_targets(results)
    os.makedirs(argv[2], exist_ok=True)
    write_outputs(results, argv[2])
    print(summary_lines(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
