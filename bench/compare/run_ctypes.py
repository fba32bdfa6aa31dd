"""Time the workloads through libauraguard.so via ctypes: the fallback when
the C benchmark binary is missing. The numbers include ctypes' own call
overhead and the serialization of arguments to JSON text, so they overstate
what a C caller pays. Prints one JSON object {name: ns}."""

import argparse
import ctypes
import json
import sys
import time

from workloads import WORKLOADS, median_ns

P = ctypes.c_void_p
PP = ctypes.POINTER(ctypes.c_void_p)
OK = 0


def load(path):
    lib = ctypes.CDLL(path)
    lib.auraguard_guard_new.argtypes = [ctypes.c_char_p, PP, PP]
    lib.auraguard_guard_free.argtypes = [P]
    lib.auraguard_check_tool.argtypes = [P, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                         ctypes.c_int32, PP, PP]
    lib.auraguard_record_result.argtypes = [P, ctypes.c_char_p, PP]
    lib.auraguard_check_output.argtypes = [P, ctypes.c_char_p, PP, PP]
    lib.auraguard_string_free.argtypes = [P]
    return lib


class CGuard:
    """The workloads' adapter over the C API."""

    lib = None

    def __init__(self, config):
        self.g = P()
        if self.lib.auraguard_guard_new(json.dumps(config).encode(), ctypes.byref(self.g), None) != OK:
            raise SystemExit(f"auraguard_guard_new rejected {config}")
        self.out = P()

    def __del__(self):
        self.lib.auraguard_guard_free(self.g)

    def _take(self):
        """The decision's action, read from the JSON text, which is then freed."""
        text = ctypes.string_at(self.out)
        self.lib.auraguard_string_free(self.out)
        return json.loads(text)["action"]

    def check(self, tool, args, ticket):
        if self.lib.auraguard_check_tool(self.g, tool.encode(), json.dumps(args).encode(),
                                         ticket.encode(), -1, ctypes.byref(self.out), None) != OK:
            raise SystemExit(f"auraguard_check_tool failed for {tool}")
        return self._take()

    def record(self, result):
        if self.lib.auraguard_record_result(self.g, json.dumps(result).encode(), None) != OK:
            raise SystemExit("auraguard_record_result failed")

    def check_output(self, text):
        if self.lib.auraguard_check_output(self.g, text.encode(), ctypes.byref(self.out), None) != OK:
            raise SystemExit("auraguard_check_output failed")
        return None if not self.out.value else self._take()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lib", required=True)
    p.add_argument("--batches", type=int, required=True)
    p.add_argument("--iterations", type=int, required=True)
    a = p.parse_args()
    CGuard.lib = load(a.lib)
    out = {name: median_ns(CGuard, name, a.batches, a.iterations, time.perf_counter_ns)
           for name in WORKLOADS}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
