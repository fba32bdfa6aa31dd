#!/usr/bin/env python3
"""List every decision that changes when opt-in keys are turned on.

Replays each trace (a JSON Lines file of guard operations, as `auraguard
replay` reads them) twice, once as written and once with the overlay's keys
added to its configuration, and prints each answer that differs, with the
operation that produced it. Used to write the false-positive review in
docs/DETECTION.md:

    scripts/detection_diff.py --cli target/release/auraguard \\
        --overlay '{"multilingual_text": true}' DIR_OR_TRACE...
"""

import argparse
import json
import pathlib
import subprocess
import sys


def replay(cli, trace, overlay):
    cmd = [cli, "replay", str(trace)]
    if overlay is not None:
        cmd += ["--overlay", overlay]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def traces(paths):
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            yield from sorted(t for t in p.glob("*.jsonl") if not t.name.endswith(".expected.jsonl"))
        else:
            yield p


# Fields that differ between any two replays (a fresh random run id keys the
# ticketless side effects) or shift after one changed decision (call ids).
UNSTABLE = ("call_id", "idempotency_key", "run_id")


def stable(answer):
    """The answer without its unstable fields; a stats line is left out (its
    counts follow from the decisions listed)."""
    if isinstance(answer, dict) and "stats" in answer:
        return None
    if isinstance(answer, dict):
        return {k: v for k, v in answer.items() if k not in UNSTABLE}
    return answer


def brief(answer):
    if isinstance(answer, dict) and "action" in answer:
        extra = "".join(f" [{k}]" for k in ("warning", "retry_after_ms") if k in answer)
        return f'{answer["action"]} {answer["reason"]}{extra}'
    if isinstance(answer, dict) and "stats" in answer:
        return "stats"
    return json.dumps(answer)[:80]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", required=True, help="the auraguard binary")
    ap.add_argument("--overlay", required=True, help="a JSON object of configuration keys")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    json.loads(args.overlay)
    changed = total = 0
    for trace in traces(args.paths):
        ops = [json.loads(line) for line in trace.read_text().splitlines() if line.strip()]
        before, after = replay(args.cli, trace, None), replay(args.cli, trace, args.overlay)
        total += 1
        diffs = [(i, a, b) for i, (a, b) in enumerate(zip(before, after)) if stable(a) != stable(b)]
        if not diffs:
            continue
        changed += 1
        for i, a, b in diffs:
            op = ops[i]
            what = op.get("op")
            if what == "check_tool":
                what += f' {op.get("tool")}'
            print(f"{trace.name}:{i + 1}: {what}: {brief(a)} -> {brief(b)}")
    print(f"{changed} of {total} traces changed", file=sys.stderr)


if __name__ == "__main__":
    main()
