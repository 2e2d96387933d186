#!/usr/bin/env bash
# tail-fence-ab.sh - GPU time per repeat of launch-heavy zoo programs under
# four builds/modes, interleaved, in one GPU call (session 14's experiment):
#   plain   zoo_X_plain (build-cur/bench)
#   events  build-cur/bench, GPREEMPT_EVENTS=1 (the kernel writes no left word)
#   left    build-cur/bench: the left word stored with st.release.sys
#   relaxed build/bench: one system fence, then relaxed stores
# Usage (on the GPU machine, from the repository root): OUT=dir $0 [rounds]
set -u
OUT=${OUT:?}
ROUNDS=${1:-2}
PROGS=${PROGS:-"reduction scan histogram nbody"}
mkdir -p "$OUT"
run() { # name exe env...
  local name=$1 exe=$2; shift 2
  local line
  line=$(env "$@" timeout 120 "$exe" --time --repeat 11 --timeout 100 2>&1 |
         grep -m1 -E '^kernel_time_us' || echo "kernel_time_us FAILED")
  echo "$round $prog $name $line" | tee -a "$OUT/tail-fence.txt"
}
for round in $(seq "$ROUNDS"); do
  for prog in $PROGS; do
    order="plain events left relaxed"
    [ $((round % 2)) -eq 0 ] && order="relaxed left events plain"
    for v in $order; do
      case $v in
        plain) run plain build-cur/bench/bin/zoo_${prog}_plain ;;
        events) run events build-cur/bench/bin/zoo_$prog GPREEMPT_EVENTS=1 ;;
        left) run left build-cur/bench/bin/zoo_$prog ;;
        relaxed) run relaxed build/bench/bin/zoo_$prog ;;
      esac
    done
  done
done
