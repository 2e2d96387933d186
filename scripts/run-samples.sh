#!/usr/bin/env bash
# The main job: set up and build gpreempt, compile the samples with it, and
# run the LC+BE demo (a latency-critical kernel preempting a best-effort one)
# when this machine has a GPU.
#
#   scripts/run-samples.sh [demo arguments...]
#
# Without a GPU it stops after the build and lists the sample programs, which
# can be copied to a GPU machine and run there unchanged.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR="${BUILD_DIR:-build}"
export BUILD_DIR

scripts/setup.sh

# setup.sh built everything in ALL; build the samples target explicitly in
# case it is not part of ALL.
if cmake --build "$BUILD_DIR" --target help 2>/dev/null | grep -qE '^(\.\.\. )?samples([: ]|$)'; then
  echo "run-samples: building target samples"
  cmake --build "$BUILD_DIR" --target samples -j"${JOBS:-$(nproc)}"
else
  echo "run-samples: no 'samples' target in $BUILD_DIR: nothing more to build"
fi

demo="$BUILD_DIR/bin/lc_be_demo"

list_samples() {
  echo "run-samples: programs in $BUILD_DIR/bin:"
  local f found=0
  for f in "$BUILD_DIR"/bin/*; do
    [ -f "$f" ] && [ -x "$f" ] || continue
    [ "$(basename "$f")" = gpreempt-cc ] && continue
    echo "  $f"
    found=1
  done
  [ "$found" -eq 1 ] || echo "  (none)"
}

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L 2>/dev/null | grep -q GPU; then
  echo "run-samples: no GPU here (nvidia-smi -L lists none): the LC+BE demo needs one."
  list_samples
  echo "run-samples: copy $BUILD_DIR/bin to a machine with an NVIDIA GPU (sm_90) and run $demo there."
  exit 0
fi

if [ ! -x "$demo" ]; then
  echo "run-samples: error: $demo was not built" >&2
  list_samples
  exit 1
fi

nvidia-smi -L
echo "run-samples: running $demo $*"
exec "$demo" "$@"
