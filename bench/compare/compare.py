#!/usr/bin/env python3
"""libauraguard from C, Go, C# and Ruby against the Python package aura-guard
0.7.1: same workloads, same run, one table (`make bench-compare`).

Installs aura-guard==0.7.1 from PyPI into a throwaway virtualenv, times the
workloads of workloads.py through it, times the same workloads through the C
API (the bench-c binary with --json; ctypes over libauraguard.so when that
binary is missing) and through each binding that is given, and prints ns per
operation and the ratio to the package for each workload and language.
"""

import argparse
import glob
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE, VERSION = "aura-guard", "0.7.1"


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


def library_env(a, **extra):
    """The environment of a side: the loader finds the library under test
    (its folder holds the soname link) before the one a program was linked
    against."""
    return dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(os.path.abspath(a.lib)), **extra)


def describe_library(path):
    """The library under test and how it was built (the PROFILE note that
    `make release-lib` leaves beside it)."""
    shown = os.path.relpath(path)
    try:
        with open(os.path.join(os.path.dirname(path), "PROFILE")) as f:
            return f"{shown}, {f.read().strip()}"
    except OSError:
        return f"{shown} (no PROFILE note beside it: not made by make release-lib)"


def run_go(go_dir, go, iterations, env):
    """ns/op and allocs/op of the Go binding's Workload benchmarks, their
    guard reset every `iterations` operations (the other sides' batch)."""
    r = subprocess.run([go, "test", "-run", "^$", "-bench", "^BenchmarkWorkload", "-benchmem", "-count=1", ".",
                        "-args", f"-workload.batch={iterations}"],
                       capture_output=True, text=True, cwd=go_dir, env=env)
    if r.returncode != 0:
        return None, (r.stdout + r.stderr).strip().splitlines()[-1:] or ["go test failed"]
    names = {"DistinctReads": "distinct_reads", "JitteryQueries": "jittery_queries",
             "CachedRepeat": "cached_repeat", "CheckOutput": "check_output", "DistinctResults": "distinct_results"}
    ns, allocs = {}, {}
    for line in r.stdout.splitlines():
        m = re.match(r"BenchmarkWorkload(\w+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op(?:.*?(\d+) allocs/op)?", line)
        if m and m.group(1) in names:
            ns[names[m.group(1)]] = float(m.group(3))
            if m.group(4) is not None:
                allocs[names[m.group(1)]] = int(m.group(4))
    return (ns, allocs), None


def optional_json(cmd, what, cwd=HERE, env=None):
    """A language's {workload: ns}, or None and why not."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"{what}: {e}"
    if r.returncode != 0:
        return None, f"{what}: " + ((r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[-1])
    try:
        return json.loads(r.stdout.strip().splitlines()[-1]), None
    except (ValueError, IndexError):
        return None, f"{what} printed no JSON object"


# Ratios to the Python package that each column must reach (README, issue
# targets): every language 20x; C 100x on reads and cache hits, 50x on jitter.
MIN_RATIO = {"C": {"distinct_reads": 100, "cached_repeat": 100, "jittery_queries": 50, "check_output": 20}}
DEFAULT_RATIO = 20
# Columns shown for information, with no target: the same binding run in
# another configuration.
INFORMATIONAL = {"Ruby+YJIT"}
# Rows shown for information, with no target: workloads the targets do not
# name (a read whose result is a real order, not a two-byte payload).
UNTARGETED = {"distinct_results"}


def median_of(runs):
    """{workload: ns}: each workload's median over the runs that measured it."""
    values = {}
    for run in runs:
        for workload, ns in run.items():
            values.setdefault(workload, []).append(ns)
    return {workload: statistics.median(v) for workload, v in values.items()}


def measure_round(a, py, sizes):
    """One round: the package, then C and each binding given. Returns the
    package's {workload: ns}, where the C figures come from, [(language,
    {workload: ns})], Go's allocations and notes on what was not measured."""
    python_ns = run_json([py, "run_aura_guard.py", *sizes], f"{PACKAGE} {VERSION}")

    c_ns, why_not_binary = None, f"{a.bench_c} is missing"
    if os.access(a.bench_c, os.X_OK):
        r = subprocess.run([os.path.abspath(a.bench_c), "--json", *sizes], capture_output=True,
                           text=True, cwd=HERE, env=library_env(a))
        if r.returncode == 0:
            source = f"{a.bench_c} --json, the hot-path API (auraguard_check_tool_fast)"
            raw = json.loads(r.stdout.strip().splitlines()[-1])
            # The hot path where the benchmark has it: what the wrappers use.
            c_ns = {name: raw.get(name + "_fast", raw.get(name)) for name in python_ns}
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

    columns = [("C", c_ns)]
    notes, go_allocs = [], {}
    if a.go_dir:
        go, why = run_go(os.path.abspath(a.go_dir), a.go, a.iterations, library_env(a))
        if go:
            columns.append(("Go", go[0]))
            go_allocs = go[1]
        else:
            notes.append(f"Go not measured: {why}")
    if a.csharp:
        env = library_env(a)
        cs, why = optional_json([a.mono, "-O=all", os.path.abspath(a.csharp), *sizes], "C#", env=env)
        columns.append(("C#", cs)) if cs else notes.append(f"C# not measured: {why}")
    if a.ruby_dir:
        rb_dir = os.path.abspath(a.ruby_dir)
        env = library_env(a, AURAGUARD_LIB=os.path.abspath(a.lib))
        load_path = ["-I" + os.path.join(rb_dir, "lib")]
        if a.ruby_ext_lib:
            # The gem's C extension, required to load: a run that silently
            # fell back to ffi would measure another binding.
            env["AURAGUARD_HOT_PATH"] = "c"
            load_path.insert(0, "-I" + os.path.abspath(a.ruby_ext_lib))
        rb, why = optional_json([a.ruby, *load_path,
                                 os.path.join(rb_dir, "bench", "workloads.rb"), *sizes], "Ruby", env=env)
        columns.append(("Ruby", rb)) if rb else notes.append(f"Ruby not measured: {why}")
        if a.ruby_yjit:
            # The same run with Ruby's JIT on, as Rails runs Ruby 3.3 and later;
            # the Ruby column (the interpreter) is the one the targets speak of.
            rb, why = optional_json([a.ruby, "--yjit", *load_path,
                                     os.path.join(rb_dir, "bench", "workloads.rb"), *sizes], "Ruby --yjit", env=env)
            columns.append(("Ruby+YJIT", rb)) if rb else notes.append(f"Ruby --yjit not measured: {why}")
    return python_ns, source, columns, go_allocs, notes


def has_yjit(ruby):
    """Whether this Ruby was built with YJIT (3.1 and later, when its build had Rust)."""
    try:
        r = subprocess.run([ruby, "--yjit", "-e", "exit(RubyVM::YJIT.enabled? ? 0 : 1)"],
                           capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--venv", required=True, help="where the throwaway virtualenv goes")
    p.add_argument("--lib", required=True,
                   help="the libauraguard.so every side loads (C, Go and C# through LD_LIBRARY_PATH, its folder "
                        "holding the soname link; Ruby through AURAGUARD_LIB; ctypes when bench-c is missing)")
    p.add_argument("--bench-c", required=True, help="path of the bench-c binary")
    p.add_argument("--go-dir", help="the Go binding's folder (its Workload benchmarks)")
    p.add_argument("--go", default="go", help="the go command")
    p.add_argument("--csharp", help="the C# Workloads.exe")
    p.add_argument("--mono", default="mono")
    p.add_argument("--ruby-dir", help="the Ruby binding's folder (bench/workloads.rb)")
    p.add_argument("--ruby", default="ruby")
    p.add_argument("--ruby-ext-lib", help="the folder holding auraguard/hot_path.so, the Ruby gem's C extension "
                                          "(without it, the Ruby binding runs through ffi alone)")
    p.add_argument("--batches", type=int, default=3,
                   help="batches per side in all, spread over the rounds")
    p.add_argument("--rounds", type=int, default=3,
                   help="times every side is measured, one after the other; the table holds the medians")
    p.add_argument("--iterations", type=int, default=2000,
                   help="operations per batch, on a fresh guard (every side)")
    p.add_argument("--cpu", type=int,
                   help="the one CPU every side runs on (default: the last this process may use)")
    p.add_argument("--readme", help="rewrite this file's section between the bench-compare markers "
                                    "with the table and the machine it ran on")
    a = p.parse_args()
    if a.rounds < 1 or a.batches < 1:
        fail("--rounds and --batches must be at least 1")
    a.ruby_yjit = bool(a.ruby_dir) and has_yjit(a.ruby)
    # Programs linked in the tree load the library by its soname: without the
    # link beside --lib they would measure the build they were linked with.
    if not glob.glob(os.path.join(os.path.dirname(os.path.abspath(a.lib)), "libauraguard.so.[0-9]*")):
        fail(f"no libauraguard.so.<major> link beside {a.lib}: the C, Go and C# sides would load another library")
    load_before = os.getloadavg()[0]
    # Every side on one CPU: on a shared VM one CPU can run at half speed for
    # minutes while the other does not, and a side that the scheduler put on
    # the slow one would look twice as slow as the side before it.
    cpus = sorted(os.sched_getaffinity(0))
    cpu = cpus[-1] if a.cpu is None else a.cpu
    if cpu not in cpus:
        fail(f"--cpu {cpu} is not one of the CPUs this process may use ({cpus})")
    os.sched_setaffinity(0, {cpu})
    # The machine's speed drifts (by up to 2x on a shared VM): every side is
    # measured once per round, so each sees the same mix of fast and slow
    # spells, and a figure is the median over the rounds.
    per_round = max(1, -(-a.batches // a.rounds))
    sizes = ["--batches", str(per_round), "--iterations", str(a.iterations)]
    py = venv_python(os.path.abspath(a.venv))
    rounds = [measure_round(a, py, sizes) for _ in range(a.rounds)]
    python_ns = median_of([r[0] for r in rounds])
    source = rounds[-1][1]
    names = [name for name, _ in rounds[-1][2]]
    columns = [(name, median_of([dict(r[2]).get(name, {}) for r in rounds])) for name in names]
    go_allocs, notes = rounds[-1][3], rounds[-1][4]

    out = []
    out.append(f"Python: {PACKAGE} {VERSION} (AgentGuard), {sys.version.split()[0]} in {a.venv}")
    out.append(f"C:      {source}")
    out.append("Go, C#, Ruby: each binding's public API (bindings/go workloads_bench_test.go,")
    out.append("        bindings/csharp/bench/Workloads.cs, bindings/ruby/bench/workloads.rb)")
    if a.ruby_dir:
        out.append("Ruby: " + ("through the gem's C extension (AuraGuard.hot_path :c)" if a.ruby_ext_lib
                               else "through ffi alone (AuraGuard.hot_path :ffi)"))
    if a.ruby_yjit:
        out.append("Ruby+YJIT: the Ruby run again with `ruby --yjit` (how Rails runs Ruby 3.3 and later);")
        out.append("        the Ruby column, the interpreter, is the one the targets are judged on.")
    out.append(f"Every side on CPU {cpu} alone.")
    out.append(f"{a.rounds} rounds, each measuring every side in turn; in a round, the median of {per_round} batches of"
               f" {a.iterations} operations, a fresh guard per batch (Go: its own b.N loop, its guard reset every"
               f" {a.iterations}, a yield to its scheduler every 256 as a caller waiting on tools makes);"
               " each figure is the median of its rounds. An operation is check + record when"
               " allowed (the check alone on the cache path).")
    out.append("Every configuration has a cost budget (out of reach). ns per operation, and how many times")
    out.append(f"faster than {PACKAGE}; MISSED marks a ratio under its target (C: 100x reads and cache hits,")
    out.append("50x jitter; every language: 20x; distinct_results, a read whose result is a 1.3 KB order,")
    out.append("has none).")
    out.append("")
    table = []
    header = f"{'workload':<16}{'aura-guard':>11}" + "".join(f"{name:>18}" for name, _ in columns)
    table.append(header)
    table.append("-" * len(header))
    missed = []
    for workload, py_value in python_ns.items():
        row = f"{workload:<16}{py_value:>11.0f}"
        for name, values in columns:
            value = values.get(workload)
            if value is None:
                row += f"{'-':>18}"
                continue
            ratio = py_value / value
            if name in INFORMATIONAL or workload in UNTARGETED:
                row += f"{value:>9.0f} {ratio:>6.1f}x "
                continue
            target = MIN_RATIO.get(name, {}).get(workload, DEFAULT_RATIO)
            mark = " " if ratio >= target else "!"
            if ratio < target:
                missed.append(f"{name} {workload} ({ratio:.1f}x < {target}x)")
            row += f"{value:>9.0f} {ratio:>6.1f}x{mark}"
        table.append(row)
    out += table
    out.append("")
    tail = [f"Library: {describe_library(a.lib)}."]
    if go_allocs:
        tail.append("Go allocations per operation: " + ", ".join(f"{k} {v}" for k, v in go_allocs.items()))
    tail += notes
    tail.append("every ratio meets its target" if not missed else "MISSED (marked !): " + "; ".join(missed))
    out += tail
    print("\n".join(out))
    if a.readme:
        machine = describe_machine(load_before, os.getloadavg()[0])
        print(f"\nMachine: {machine}")
        write_readme(a.readme, f"--batches {a.batches} --rounds {a.rounds}", table, tail, machine)


BEGIN, END = "<!-- bench-compare:begin -->", "<!-- bench-compare:end -->"


def first_line(cmd):
    """The first line a version command prints, or None when it cannot run."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (r.stdout or r.stderr).strip().splitlines()
    return lines[0].strip() if r.returncode == 0 and lines else None


def describe_machine(load_before, load_after):
    """Cores, CPU, load and toolchains: what the figures depend on."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
        m = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
        cpu = m.group(1).strip() if m else cpu
        flags = re.search(r"^flags\s*:\s*(.+)$", info, re.M)
        if flags and "sha_ni" in flags.group(1).split():
            cpu += " (SHA extensions)"
    except OSError:
        pass
    tools = [("rustc", ["rustc", "--version"]), ("Go", ["go", "version"]), ("Mono", ["mono", "--version"]),
             ("Ruby", ["ruby", "--version"])]
    versions = []
    for name, cmd in tools:
        line = first_line(cmd)
        if line:
            v = re.search(r"\d+\.\d+(\.\d+)?", line)
            versions.append(f"{name} {v.group(0) if v else line}")
    versions.append(f"Python {sys.version.split()[0]}")
    return (f"{os.cpu_count()} cores, {cpu}; load average {load_before:.1f} before the run and "
            f"{load_after:.1f} after; " + ", ".join(versions))


def write_readme(path, options, table, tail, machine):
    """Replace the text between the markers in `path` with this run."""
    with open(path) as f:
        text = f.read()
    if BEGIN not in text or END not in text or text.index(BEGIN) > text.index(END):
        fail(f"{path} has no {BEGIN} ... {END} section to rewrite")
    body = "\n".join([
        BEGIN,
        f"One `make bench-compare` run (`{options}`), written here by `compare.py --readme`:",
        "",
        "```",
        *table,
        "```",
        "",
        *[line + "  " for line in tail[:-1]],
        tail[-1],
        "",
        f"Machine: {machine}.",
        END,
    ])
    head, rest = text.split(BEGIN, 1)
    with open(path, "w") as f:
        f.write(head + body + rest.split(END, 1)[1])


if __name__ == "__main__":
    main()
