#!/usr/bin/env bash
# device-gpu-tests.sh - everything that runs on the GPU machine, in one call.
#
# Run from the repository root, with build/ built on the build machine and
# copied along, and OUT naming a folder for the logs:
#     OUT=/tmp/gpu-logs scripts/device-gpu-tests.sh
#
#   1. the GPU and its driver;
#   2. the GPU lit tests (test/gpu, test/runtime), with lit from .device/lit (copied there
#      by the caller) or build/utils/lit; if lit cannot run them at all, the
#      RUN: lines of test/gpu/*.test run through a small fallback runner;
#   3. each sample under random preemption (GPREEMPT_STRESS=200) with stats;
#   4. the LC+BE demo as a user would run it.
# Logs land in $OUT (seven files at most). Exits 1 if anything failed. Takes
# well under a minute on an H100 when all is well; every step has a timeout.
set -u -o pipefail

OUT=${OUT:?set OUT to a folder for the logs}
mkdir -p "$OUT"
ROOT=$(pwd)
BIN=$ROOT/build/bin
SAMPLES="saxpy_accumulate iterative_nested lc_be_demo"
PROGRAMS="$SAMPLES stream_order lc_other_thread api_errors"
failures=()

section() { printf '\n===== %s =====\n' "$*"; }

# The tests set the GPREEMPT_* variables they want; none may leak in.
for v in $(env | sed -n 's/^\(GPREEMPT_[A-Za-z0-9_]*\)=.*/\1/p'); do
  unset "$v"
done

section "GPU"
nvidia-smi -L || failures+=("nvidia-smi -L")
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader ||
  true
for p in $PROGRAMS; do
  if [ ! -x "$BIN/$p" ]; then
    echo "missing $BIN/$p: build first (cmake --build build)"
    failures+=("missing build/bin/$p")
  fi
done

# --- 2. lit --------------------------------------------------------------------
# The fallback: each test/gpu/*.test's RUN: lines in order, in bash with
# pipefail, %bin/%t/%s/%S substituted, stopping a test at its first failure.
run_without_lit() {
  python3 - "$ROOT" <<'PY'
import glob, os, re, subprocess, sys

root = sys.argv[1]
tmp = "/tmp/gpreempt-gpu-tests"
os.makedirs(tmp, exist_ok=True)
failed = []
for test in sorted(glob.glob(os.path.join(root, "test", "gpu", "*.test"))):
    name = os.path.basename(test)
    commands, pending = [], ""
    with open(test) as f:
        for line in f:
            m = re.search(r"\bRUN:(.*)$", line)
            if not m:
                continue
            part = m.group(1).rstrip()
            if part.endswith("\\"):
                pending += part[:-1] + " "
                continue
            commands.append((pending + part).strip())
            pending = ""
    subst = [("%bin", os.path.join(root, "build", "bin")),
             ("%t", os.path.join(tmp, name + ".tmp")),
             ("%S", os.path.dirname(test)), ("%s", test)]
    ok = True
    print("----- " + name, flush=True)
    for cmd in commands:
        for key, value in subst:
            cmd = cmd.replace(key, value)
        print("$ " + cmd, flush=True)
        try:
            rc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd],
                                timeout=300).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        if rc != 0:
            print("exit status %s" % rc, flush=True)
            ok = False
            break
    print(("PASS: " if ok else "FAIL: ") + name, flush=True)
    if not ok:
        failed.append(name)
print("fallback runner: %d failed: %s" % (len(failed), " ".join(failed)))
sys.exit(1 if failed else 0)
PY
}

section "lit: test/gpu test/runtime"
lit_py=
for candidate in .device/lit/lit.py build/utils/lit/lit.py; do
  if [ -f "$candidate" ]; then
    lit_py=$candidate
    break
  fi
done
lit_ran=no
if [ -n "$lit_py" ]; then
  echo "lit: $lit_py"
  suites=
  for d in gpu runtime zoo; do
    [ -d build/test/$d ] && suites="$suites build/test/$d"
  done
  timeout 450 python3 "$lit_py" -v -a $suites 2>&1 | tee "$OUT/lit.log"
  rc=${PIPESTATUS[0]}
  # lit exits 0 or 1 once it has run tests; anything else, or no test that
  # passed or failed (all unsupported, none found), means it could not.
  if { [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]; } &&
    grep -qE '^ *(Passed|Failed|Timed Out) *:' "$OUT/lit.log"; then
    lit_ran=yes
    [ "$rc" -eq 0 ] || failures+=("lit test/gpu test/runtime (exit $rc)")
  else
    echo "lit could not run the GPU tests (exit $rc)"
  fi
else
  echo "no lit found (.device/lit/lit.py, build/utils/lit/lit.py)"
fi
if [ "$lit_ran" = no ]; then
  section "fallback: RUN lines of test/gpu/*.test"
  run_without_lit 2>&1 | tee "$OUT/fallback.log" ||
    failures+=("GPU tests (fallback runner)")
fi

# --- 3. samples under random preemption ------------------------------------------
for s in $SAMPLES; do
  section "$s, GPREEMPT_STRESS=200"
  env GPREEMPT_STATS=1 GPREEMPT_STRESS=200 timeout 180 "$BIN/$s" --check \
    --min-preemptions 100 --require-preemptible 2>&1 | tee "$OUT/$s.stress.log"
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || failures+=("$s under stress (exit $rc)")
done

# --- 4. the demo, as configured by default --------------------------------------------
section "lc_be_demo"
env GPREEMPT_STATS=1 timeout 180 "$BIN/lc_be_demo" --check \
  2>&1 | tee "$OUT/lc_be_demo.log"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || failures+=("lc_be_demo (exit $rc)")

section "summary"
{
  if [ ${#failures[@]} -eq 0 ]; then
    echo "all GPU tests and samples passed"
  else
    echo "FAILED: ${#failures[@]}"
    printf '  %s\n' "${failures[@]}"
  fi
} | tee "$OUT/summary.txt"
[ ${#failures[@]} -eq 0 ]
