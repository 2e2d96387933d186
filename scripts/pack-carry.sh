#!/usr/bin/env bash
# pack-carry.sh - pack build outputs for the device tool's carry.
#
#     scripts/pack-carry.sh PATH...
#
# The device takes at most 64 MiB with the sources; the stripped test
# programs and the bench builds pass that (59 MiB in session 27), and
# compress twentyfold (xz: most of each program is the same static cudart).
# Writes build/carry/all.tar.xz (ignored by git) and prints what the call
# needs: carry ["build/carry"], and the command starting with
#     tar xJf build/carry/all.tar.xz &&
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -ge 1 ] || { echo "usage: $0 PATH..." >&2; exit 2; }
mkdir -p build/carry
tar cJf build/carry/all.tar.xz "$@"
echo "pack-carry: build/carry/all.tar.xz ($(du -sh build/carry/all.tar.xz | cut -f1)) of $*"
