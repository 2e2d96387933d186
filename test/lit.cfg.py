# -*- Python -*-
"""lit configuration of gpreempt's test suite.

Run it through the site config that CMake writes into the build folder:
    lit -v build/test                                     (everything)
    python3 build/utils/lit/lit.py build/test -v --filter gpu   (GPU machine)

Two kinds of machine run it. The build machine has LLVM 22, clang and the
CUDA toolkit but no GPU: pass/, ptx/ and driver/ tests run there, GPU tests
are UNSUPPORTED. A GPU machine gets a copy of the build folder and the source
tree and has neither LLVM nor clang: only tests that run programs from %bin
can run there, so a missing LLVM tool is a note here, not an error.

Substitutions: %opt %llc %clang %FileCheck %not (LLVM 22 tools; FileCheck,
`| not` and `| count` also bare), %gpreempt_plugin, %shlibext, %gpreempt_cc,
%bin, %include, %cuda_path, %cuda_flags, %ptxas, %llvm_nm, %llvm_objcopy,
%python.
Features: gpu, cuda-toolkit, llvm-tools.
"""

import os
import shutil
import subprocess
import sys

import lit.formats
import lit.util
from lit.llvm import llvm_config
from lit.llvm.subst import FindTool, ToolSubst

if not hasattr(config, "gpreempt_build_dir"):
    lit_config.fatal(
        "run lit on the build folder's test/ (lit build/test), not on the source tree"
    )

config.name = "gpreempt"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".ll", ".cu", ".test", ".c"]
# test/gpu and test/runtime hold the sources of test programs next to their
# .test files; their lit.local.cfg narrows the suffixes to .test.
config.excludes = [
    "Inputs",
    "CMakeLists.txt",
    "lit.cfg.py",
    "lit.site.cfg.py.in",
    "README.md",
]
config.test_source_root = os.path.dirname(os.path.abspath(__file__))
config.test_exec_root = os.path.join(config.gpreempt_build_dir, "test")

build_dir = config.gpreempt_build_dir
bin_dir = os.path.join(build_dir, "bin")
lib_dir = os.path.join(build_dir, "lib")
include_dir = os.path.join(config.gpreempt_source_dir, "include")
cuda_path = os.environ.get("CUDA_PATH") or config.gpreempt_cuda_path

# --- Environment -------------------------------------------------------------
# lit starts tests with a clean environment: GPREEMPT_* variables of the
# calling shell never leak into a test (a test sets what it needs with `env`).
# What the CUDA driver and device selection need is passed on.
llvm_config.with_system_environment(
    [
        "HOME",
        "CUDA_PATH",
        "CUDA_VISIBLE_DEVICES",
        "CUDA_DEVICE_ORDER",
        "NVIDIA_VISIBLE_DEVICES",
        "NVIDIA_DRIVER_CAPABILITIES",
    ]
)
path_front = [bin_dir]
if os.path.isdir(config.llvm_tools_dir):
    path_front.append(config.llvm_tools_dir)
llvm_config.with_environment("PATH", path_front, append_path=True)

# --- Tools (absent on GPU machines) -------------------------------------------
def find_clang():
    if os.access(config.gpreempt_clang, os.X_OK):
        return config.gpreempt_clang
    return shutil.which("clang++-22")


clang = find_clang()
tool_dirs = [config.llvm_tools_dir]
# Prefixed forms first: bare `FileCheck` would otherwise also match inside
# `%FileCheck`.
tools = [
    ToolSubst("%opt", command=FindTool("opt"), unresolved="ignore"),
    ToolSubst("%llc", command=FindTool("llc"), unresolved="ignore"),
    ToolSubst("%FileCheck", command=FindTool("FileCheck"), unresolved="ignore"),
    ToolSubst("%not", command=FindTool("not"), unresolved="ignore"),
    ToolSubst("FileCheck", unresolved="ignore"),
    ToolSubst(r"\| \bnot\b", command=FindTool("not"), verbatim=True, unresolved="ignore"),
    ToolSubst(r"\| \bcount\b", command=FindTool("count"), verbatim=True, unresolved="ignore"),
]
if clang:
    tools.insert(0, ToolSubst("%clang", command=clang))
llvm_config.add_tool_substitutions(tools, tool_dirs)

missing = [t for t in ("opt", "llc", "FileCheck", "not") if not lit.util.which(t, config.llvm_tools_dir)]
if not clang:
    missing.append("clang++")
if not missing:
    config.available_features.add("llvm-tools")
elif not os.path.isdir(config.llvm_tools_dir):
    # A machine without LLVM (a GPU machine with a copy of the build): only
    # the directories whose lit.local.cfg says so (gpu/, runtime/) run here.
    config.unsupported = True
    lit_config.note(
        "no LLVM at %s: only gpu/ and runtime/ tests run here" % config.llvm_tools_dir
    )
else:
    lit_config.note(
        "not found: %s (looked in %s): tests that use them fail"
        % (", ".join(missing), config.llvm_tools_dir)
    )

# --- gpreempt's own substitutions --------------------------------------------
# Longer names first where one is a prefix of another (%cuda_path, %cuda_flags
# are not, but keep it that way).
cuda_flags = "--cuda-gpu-arch=%s --cuda-path=%s -Wno-unknown-cuda-version" % (
    config.gpreempt_cuda_arch,
    cuda_path,
)
config.substitutions.extend(
    [
        ("%gpreempt_plugin", os.path.join(lib_dir, "GPreemptPass" + config.llvm_shlib_ext)),
        ("%gpreempt_cc", os.path.join(bin_dir, "gpreempt-cc")),
        ("%shlibext", config.llvm_shlib_ext),
        ("%cuda_flags", cuda_flags),
        ("%ptxas", os.path.join(cuda_path, "bin", "ptxas")),
        ("%llvm_nm", os.path.join(config.llvm_tools_dir, "llvm-nm")),
        ("%llvm_objcopy", os.path.join(config.llvm_tools_dir, "llvm-objcopy")),
        ("%cuda_path", cuda_path),
        ("%include", include_dir),
        ("%bin", bin_dir),
        ("%python", '"%s"' % sys.executable),
    ]
)

# --- Features ----------------------------------------------------------------
def have_gpu():
    """GPREEMPT_GPU=1/0 decides; otherwise nvidia-smi must list a GPU."""
    forced = os.environ.get("GPREEMPT_GPU")
    if forced in ("0", "1"):
        return forced == "1"
    smi = shutil.which("nvidia-smi")
    if not smi:
        return False
    try:
        out = subprocess.run(
            [smi, "-L"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


if have_gpu():
    config.available_features.add("gpu")
else:
    lit_config.note("no GPU (nvidia-smi -L lists none): GPU tests are UNSUPPORTED")

if os.path.isfile(os.path.join(cuda_path, "include", "cuda_runtime.h")):
    config.available_features.add("cuda-toolkit")

# --- Scheduling ----------------------------------------------------------------
# GPU tests share one GPU and some of them measure latency: the directories
# that run GPU programs put their tests in this group, run one at a time.
lit_config.parallelism_groups["gpu"] = 1

# A preemption bug shows as a hang: stop any test after gp_timeout seconds
# (default 300; 0 disables) unless --timeout was given. Needs Python's psutil.
if lit_config.maxIndividualTestTime == 0:
    timeout = int(lit_config.params.get("gp_timeout", "300"))
    supported, why = lit_config.maxIndividualTestTimeIsSupported
    if timeout > 0 and supported:
        lit_config.maxIndividualTestTime = timeout
    elif timeout > 0:
        lit_config.note("no per-test timeout: " + why)
