#!/usr/bin/env python3
"""libauraguard against the Python package aura-guard 0.7.1, same workloads,
same run (`make bench-compare`).

Installs aura-guard==0.7.1 from PyPI into a throwaway virtualenv, times the
workloads of workloads.py through it, times the same workloads through the C
API (the bench-c binary with --json; ctypes over libauraguard.so when that
binary is missing), and prints ns per pair and the ratio for each workload.
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE, VERSION = "aura-guard", "0.7.1"
TARGET_RATIO = 100


def fail(message):
    print(f"bench-compare: {message}", file=sys.stderr)
    sys.exit(1)


def venv_python(venv):
    """The virtualenv's interpreter with aura-guard 0.7.1 installed in it."""
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        r = subprocess.run([sys.executable, "-m", "venv", venv], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"cannot create a virtualenv in {venv}: {r.stderr.strip().splitlines()[-1:]}")
    have = subprocess.run(
        [py, "-c", f"import importlib.metadata as m; print(m.version('{PACKAGE}'))"],
        capture_output=True, text=True)
    if have.returncode == 0 and have.stdout.strip() == VERSION:
        return py
    try:
        r = subprocess.run(
            [py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--retries", "1", "--timeout", "20", f"{PACKAGE}=={VERSION}"],
            capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        fail(f"PyPI did not answer within 300 s: cannot install {PACKAGE}=={VERSION}")
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["pip failed without a message"])[-1]
        fail(f"cannot install {PACKAGE}=={VERSION} from PyPI (is it reachable?): {last}")
    return py


def run_json(cmd, what):
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE)
    if r.returncode != 0:
        tail = (r.stderr.strip().splitlines() or ["no message"])[-1]
        fail(f"{what} failed: {tail}")
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        fail(f"{what} printed no JSON object: {r.stdout[:200]!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--venv", required=True, help="where the throwaway virtualenv goes")
    p.add_argument("--lib", required=True, help="path of libauraguard.so (ctypes fallback)")
    p.add_argument("--bench-c", required=True, help="path of the bench-c binary")
    p.add_argument("--batches", type=int, default=3)
    p.add_argument("--iterations", type=int, default=2000,
                   help="operations per batch, on a fresh guard (both sides)")
    a = p.parse_args()
    sizes = ["--batches", str(a.batches), "--iterations", str(a.iterations)]

    py = venv_python(os.path.abspath(a.venv))
    python_ns = run_json([py, "run_aura_guard.py", *sizes], f"{PACKAGE} {VERSION}")

    c_ns, why_not_binary = None, f"{a.bench_c} is missing"
    if os.access(a.bench_c, os.X_OK):
        r = subprocess.run([os.path.abspath(a.bench_c), "--json", *sizes], capture_output=True,
                           text=True, cwd=HERE)
        if r.returncode == 0:
            source = f"{a.bench_c} --json (C benchmark binary)"
            c_ns = json.loads(r.stdout.strip().splitlines()[-1])
        else:
            why_not_binary = f"{a.bench_c} failed: " + \
                (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[-1]
    if c_ns is None:
        source = (f"ctypes over {a.lib} ({why_not_binary}); includes ctypes call "
                  "and JSON encoding overhead")
        if not os.path.exists(a.lib):
            fail(f"neither {a.bench_c} nor {a.lib} exists: run `make build` first")
        c_ns = run_json([sys.executable, "run_ctypes.py", "--lib", os.path.abspath(a.lib), *sizes],
                        "the ctypes run")

    print(f"Python: {PACKAGE} {VERSION} (AgentGuard), {sys.version.split()[0]} in {a.venv}")
    print(f"C API:  {source}")
    print(f"Median of {a.batches} batches of {a.iterations} operations, a fresh guard per batch;"
          " an operation is check + record when allowed (the check alone on the cache path).")
    print()
    header = f"{'workload':<18}{PACKAGE + ' ns':>16}{'libauraguard ns':>18}{'ratio':>10}  target >= {TARGET_RATIO}x"
    print(header)
    print("-" * len(header))
    missed = []
    for name, py_value in python_ns.items():
        c_value = c_ns.get(name)
        if c_value is None:
            print(f"{name:<18}{py_value:>16.0f}{'(not measured)':>18}")
            missed.append(name)
            continue
        ratio = py_value / c_value
        verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
        if ratio < TARGET_RATIO:
            missed.append(name)
        print(f"{name:<18}{py_value:>16.0f}{c_value:>18.0f}{ratio:>9.1f}x  {verdict}")
    print()
    print("all workloads meet the target" if not missed else
          f"below the {TARGET_RATIO}x target: {', '.join(missed)}")


if __name__ == "__main__":
    main()
