#!/usr/bin/env bash
# Installs what gpreempt needs to build and builds it into build/.
#
#   scripts/setup.sh
#
# Idempotent: installs Debian packages only when one is missing (running
# apt-get update only then), configures build/ only when it is not yet
# configured, and the build itself is incremental. Needs root or sudo only
# when something must be installed.
#
# The CUDA 13 toolkit is the one thing it cannot install (Debian does not
# package it): it must already be at $CUDA_PATH or /usr/local/cuda.
#
# Environment: CUDA_PATH (toolkit root), BUILD_DIR (default build),
# CMAKE_BUILD_TYPE (default RelWithDebInfo), JOBS (default: all cores).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }

# What the build and the tests use: clang/LLVM 22 (the pass is an LLVM 22
# plugin; clang compiles CUDA; lit, FileCheck, opt and llc run the tests),
# CMake and Ninja, a host C/C++ toolchain for the runtime and gpreempt-cc,
# and Python with psutil for lit (psutil enables lit's per-test timeouts).
# clang-tools-22 holds clang-linker-wrapper, which clang 22 runs to link
# every CUDA program (its default, the new offloading driver): without it
# the link fails with "posix_spawn failed: No such file or directory".
PACKAGES=(
  clang-22 clang-tools-22 llvm-22-dev llvm-22-tools lld-22 libclang-rt-22-dev
  cmake ninja-build gcc g++ make python3 python3-psutil
)

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      echo "$p"
    fi
  done
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  if [ "${#missing[@]}" -eq 0 ]; then
    log "packages: all present"
    return
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
    sudo=(sudo)
  fi
  log "installing: ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# The toolkit's version lives in include/cuda.h as CUDA_VERSION (13000 = 13.0).
check_cuda() {
  local cuda="${CUDA_PATH:-/usr/local/cuda}"
  local header="$cuda/include/cuda.h"
  if [ ! -f "$cuda/include/cuda_runtime.h" ] || [ ! -f "$header" ] ||
     [ ! -f "$cuda/lib64/libcudart_static.a" ]; then
    die "CUDA 13 toolkit not found at $cuda (need include/cuda_runtime.h and lib64/libcudart_static.a).
It is not available from Debian's packages: install NVIDIA's CUDA 13 toolkit
there, or set CUDA_PATH to where it is. A GPU is not needed to build."
  fi
  local version
  version=$(sed -n 's/^#define CUDA_VERSION \([0-9]*\).*/\1/p' "$header" | head -n1)
  if [ -z "$version" ] || [ "$version" -lt 13000 ]; then
    die "the CUDA toolkit at $cuda is version ${version:-unknown}; gpreempt needs CUDA 13"
  fi
  log "CUDA toolkit: $cuda (CUDA_VERSION $version)"
}

build() {
  local dir="${BUILD_DIR:-build}"
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    log "configuring $dir/"
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}"
  else
    # Already configured (maybe with another generator): re-run in place.
    cmake -S . -B "$dir" >/dev/null
  fi
  log "building $dir/"
  cmake --build "$dir" -j"${JOBS:-$(nproc)}"
}

install_packages
check_cuda
build
log "done: build/bin/gpreempt-cc, build/lib/GPreemptPass.so, build/lib/libgpreempt.a"
