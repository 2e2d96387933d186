"""check_results.py results.json: what test/bench/replay.test expects of
the JSON the sample logs give (Inputs/logs), beyond results.md."""
import json
import sys

r = json.load(open(sys.argv[1]))
verdicts = {t["id"]: t["verdict"] for t in r["targets"]}
want = {"overhead.geomean": "MISS by 1.0 %", "overhead.max": "PASS",
        "drain.p99": "MISS by 185.0 us", "lc.with_hint": "PASS",
        "lc.without_hint": "MISS by 5.0 us", "be_kept.1ms": "MISS by 2.0 %",
        "be_kept.10ms": "PASS"}
assert verdicts == want, verdicts
ov = r["overhead"]
assert ov["counted"] == 2 and abs(ov["geomean_pct"] - 2.9806) < 1e-3, ov["geomean_pct"]
sit = {s["situation"]: s for s in r["lc_latency"]["situations"]}
assert [s["situation"] for s in r["lc_latency"]["situations"]] == [
    "alone", "priority", "preempt-at-launch", "preempt-at-arrival"]
assert len(sit["alone"]["samples_us"]) == 300 and len(sit["priority"]["samples_us"]) == 120
assert sit["priority"]["bounded"] is True
# Rounds: the paired situations have one p99 per round, the baseline one run.
assert r["lc_latency"]["rounds"] == 3
assert [round(v, 1) for v in sit["alone"]["p99_rounds_us"]] == [357.3, 757.3, 357.3]
assert len(sit["preempt-at-arrival"]["p99_rounds_us"]) == 3
assert "p99_rounds_us" not in sit["priority"]
assert sit["alone"]["stalled_rounds"] == [1, 4, 0]
assert sit["preempt-at-launch"]["stalled_rounds"] == [None, None, None]
assert r["lc_latency"]["request"]["iters"] == "1210,12900,3800"
runs = {x["period_us"]: x for x in r["be_throughput"]["runs"]}
assert abs(runs[1000]["kept"] - 0.8799) < 1e-3, runs[1000]
assert r["device"]["name"] == "NVIDIA H100 80GB HBM3"
assert r["build"]["commit"] == "0123456789ab"
drains = {d["program"]: d for d in r["drain"]["programs"]}
assert drains["sgemm_tiled"]["raises_armed"] == 430  # of its 436 preemptions
assert "raises_armed" not in drains["reduction"]  # a log from before arming
steps = {s["step"]: s for s in r["steps"]}
assert steps["drain"]["failed_runs"] == 1 and steps["lc-latency"]["failed_runs"] == 0
assert any(k["kernel"].startswith("be_sgemm") and k["state_bytes_per_thread"] == 28
           for k in r["resume_cost"]["state"])
print("results.json ok")
