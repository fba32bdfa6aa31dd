"""Time the workloads through the Python package aura-guard (run with the
throwaway virtualenv's interpreter). Prints one JSON object {name: ns}."""

import argparse
import dataclasses
import json
import sys
import time

from aura_guard import AgentGuard
from aura_guard.config import AuraGuardConfig

from workloads import WORKLOADS, median_ns


class PyGuard:
    """The workloads' adapter over AgentGuard."""

    # The package has no cap on its intervention log: that key is left out.
    KNOWN = {f.name for f in dataclasses.fields(AuraGuardConfig)}

    def __init__(self, config):
        cfg = {k: v for k, v in config.items() if k in self.KNOWN}
        cfg["secret_key"] = cfg["secret_key"].encode()
        self.g = AgentGuard(config=AuraGuardConfig(**cfg))

    def check(self, tool, args, ticket):
        d = self.g.check_tool(tool, args=args, ticket_id=ticket)
        return d.action.value

    def record(self, result):
        self.g.record_result(ok=result["ok"], payload=result.get("payload"))

    def check_output(self, text):
        d = self.g.check_output(text)
        return None if d is None else d.action.value


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batches", type=int, required=True)
    p.add_argument("--iterations", type=int, required=True)
    a = p.parse_args()
    # One unmeasured batch of every workload first, as the Ruby side does:
    # the figures are the process's steady state.
    for name in WORKLOADS:
        median_ns(PyGuard, name, 0, a.iterations, time.perf_counter_ns)
    out = {name: median_ns(PyGuard, name, a.batches, a.iterations, time.perf_counter_ns)
           for name in WORKLOADS}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
