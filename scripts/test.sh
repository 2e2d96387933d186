#!/usr/bin/env bash
# Sets up and builds gpreempt (scripts/setup.sh), then runs the whole lit
# suite in build/test; it also compiles the benchmark programs (bench/).
#
#   scripts/test.sh [lit options...]      e.g. scripts/test.sh --filter driver
#
# Its last line is always
#   N passed, N failed, N skipped
# where passed = PASS + XFAIL, failed = FAIL + XPASS + UNRESOLVED + TIMEOUT
# (a failed build, benchmark programs that do not compile, or a lit error
# count as one failure each), skipped = UNSUPPORTED
# (each is listed with its reason, e.g. "SKIPPED (no GPU): gpu/x.test").
# Tests left out by --filter are not counted. Exits 0 only if nothing failed
# and something passed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR="${BUILD_DIR:-build}"
export BUILD_DIR

summary() { echo "$1 passed, $2 failed, $3 skipped"; }

if ! scripts/setup.sh; then
  echo "test: error: setup or build failed: no test was run" >&2
  summary 0 1 0
  exit 1
fi

# lit from LLVM 22; the copy the build makes in build/utils/lit otherwise.
lit_cmd=()
if [ -n "${LIT:-}" ]; then
  lit_cmd=("$LIT")
elif [ -x /usr/lib/llvm-22/bin/lit ]; then
  lit_cmd=(/usr/lib/llvm-22/bin/lit)
elif [ -f "$BUILD_DIR/utils/lit/lit.py" ]; then
  lit_cmd=(python3 "$BUILD_DIR/utils/lit/lit.py")
else
  echo "test: error: lit not found (install llvm-22-tools or set LIT)" >&2
  summary 0 1 0
  exit 1
fi

# The benchmark programs are not part of `all` (they double the zoo's build
# for users who only run it); the tests still compile them, so that a break
# in bench/ shows here and not on the GPU machine. One failure if they don't.
bench_build=0
if ! cmake --build "$BUILD_DIR" --target bench; then
  echo "test: error: the benchmark programs (target bench) do not build" >&2
  bench_build=1
fi

results="$BUILD_DIR/test/results.json"
rm -f "$results"
"${lit_cmd[@]}" -v --output "$results" "$@" "$BUILD_DIR/test"
lit_status=$?

# Count from lit's JSON report, not from its human-readable summary: it has
# one entry per test that ran, with its result code and, for a skip, the
# reason. lit's exit status is not enough either: Debian's lit does not count
# XPASS as a failure.
python3 - "$results" "$lit_status" "$bench_build" <<'PYTHON'
import json
import sys

path, lit_status, bench_build = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

PASSED = {"PASS", "FLAKYPASS", "XFAIL"}
FAILED = {"FAIL", "XPASS", "UNRESOLVED", "TIMEOUT"}

# Features that tests REQUIRE, as the reason to show when one is missing.
FEATURE_REASONS = {
    "gpu": "no GPU",
    "cuda-toolkit": "no CUDA toolkit",
    "llvm-tools": "no LLVM 22 tools",
}


def skip_reason(output):
    missing = "Test requires the following unavailable features: "
    excluded = "Test does not support the following features and/or targets: "
    output = (output or "").strip()
    if output.startswith(missing):
        features = [f.strip() for f in output[len(missing):].split(",")]
        return ", ".join(FEATURE_REASONS.get(f, "needs " + f) for f in features)
    if output.startswith(excluded):
        return "unsupported with " + output[len(excluded):]
    # config.unsupported: a directory whose lit.local.cfg rules this machine out.
    return "not for this machine"


passed = failed = 0
skipped = []
try:
    with open(path, encoding="utf-8") as f:
        tests = json.load(f).get("tests", [])
except (OSError, ValueError) as e:
    print("test: error: lit wrote no usable report (%s)" % e, file=sys.stderr)
    tests = []

for t in tests:
    code = t.get("code", "")
    name = t.get("name", "?").split(" :: ", 1)[-1]
    if code in PASSED:
        passed += 1
    elif code == "UNSUPPORTED":
        skipped.append((skip_reason(t.get("output")), name))
    elif code in FAILED:
        failed += 1
    else:
        print("test: error: %s: unexpected result %s" % (name, code), file=sys.stderr)
        failed += 1

# lit exits non-zero with no failing test when it could not run at all
# (configuration error, no test found): that is a failure too.
if lit_status != 0 and failed == 0:
    print("test: error: lit exited with status %d" % lit_status, file=sys.stderr)
    failed = 1

failed += bench_build  # the benchmark programs did not build

for why, name in sorted(skipped):
    print("SKIPPED (%s): %s" % (why, name))
print("%d passed, %d failed, %d skipped" % (passed, failed, len(skipped)))
sys.exit(0 if failed == 0 and passed > 0 else 1)
PYTHON
