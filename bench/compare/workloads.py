"""The comparison's workloads: the inputs of bench/c/bench_capi.c, so that
the Python package, the C benchmark and the ctypes fallback time the same
calls on the same configurations.

Each workload is (config, prime, op): a fresh guard per batch is configured
with `config`, `prime(guard)` runs untimed, then `op(guard, i)` is timed for
i in 0..iterations. Guards are driven through a small adapter (see
run_aura_guard.py and run_ctypes.py) with three methods:
check(tool, args, ticket) -> action, record(result), check_output(text) ->
action or None; args and result are dicts, as an agent framework hands them
over (the Python package takes them as they are; the C API needs JSON text,
so the ctypes adapter serializes them inside the timed region).
"""

SECRET = "bench"
TICKET = "T-1"
RESULT = {"ok": True, "payload": {"n": 1}}

# 16 words; query i is words i..i+4 (mod 16): neighbours share four words and
# no query repeats within the 12-call window.
VOCAB = ["refund", "policy", "germany", "shipping", "delay", "invoice", "warranty",
         "return", "label", "customs", "express", "tracking", "damaged", "parcel",
         "credit", "voucher"]

REPEATED_ARGS = {"order_id": "A-1"}

MESSAGES = [
    "Thanks for waiting. Your order A-100 left our warehouse on Monday and the carrier "
    "expects to deliver it on Thursday before noon. If it does not arrive by Friday, reply "
    "here and we will send a replacement at no cost, with express shipping included.",
    "I checked the refund you asked about. The amount of twenty five euros was approved "
    "today and goes back to the card you paid with. Banks usually need three to five "
    "working days to show it; your reference number is R-2291 for questions.",
    "The warranty covers the blender motor for two years from purchase, but not the glass "
    "jug. Since the jug cracked during delivery, that counts as transport damage: please "
    "send a photo of the box and the crack, and a new jug ships.",
    "Your account now uses the new billing address in Munich. Future invoices will show it "
    "automatically, and the invoice from last week can be reissued if you need it for "
    "accounting. Nothing else changes about your subscription, plan, price or renewal date.",
]


class OffWorkload(Exception):
    """The guard answered something other than what the workload measures."""


def _pair(g, tool, args, want, result=RESULT):
    action = g.check(tool, args, TICKET)
    if action != want:
        raise OffWorkload(f"{tool} {args}: expected {want}, got {action}")
    if action == "allow":
        g.record(result)


def distinct_read(g, i):
    _pair(g, "get_order", {"order_id": "A-%d" % i}, "allow")


# What get_order answers after the order's id (bench_capi.c's make_order):
# 20 line items with prices, in the tool's key order.
ORDER_ITEMS = [{"sku": "SKU-%05d" % (k * 7), "name": "Item number %d" % k, "qty": k % 5 + 1,
                "price": float("%d.99" % (k + 10))} for k in range(20)]
CUSTOMER = {"id": 4711, "tier": "gold"}


def distinct_result(g, i):
    order_id = "A-%d" % i
    order = {"order_id": order_id, "status": "shipped", "items": ORDER_ITEMS, "customer": CUSTOMER}
    _pair(g, "get_order", {"order_id": order_id}, "allow", {"ok": True, "payload": order})


def jittery_query(g, i):
    k = i % 16
    q = " ".join(VOCAB[(k + j) % 16] for j in range(5))
    _pair(g, "search_kb", {"query": q}, "allow")


def prime_cache(g):
    for _ in range(2):
        g.check("get_order", REPEATED_ARGS, TICKET)
        g.record(RESULT)


def cached_repeat(g, i):
    _pair(g, "get_order", REPEATED_ARGS, "cache")


def check_output(g, i):
    action = g.check_output(MESSAGES[i % 4])
    if action is not None:
        raise OffWorkload(f"check_output intervened: {action}")


# name -> (config as JSON-ready dict, prime, op). The names are the C
# benchmark's; "cached_repeat" is the cache path (the check alone).
# Every configuration has a cost budget far out of reach, as most users run
# the guard: the budget check runs on every call and never acts.
BUDGET = {"secret_key": SECRET, "max_cost_per_run": 1000000}
WORKLOADS = {
    "distinct_reads": (dict(BUDGET), None, distinct_read),
    "jittery_queries": (dict(BUDGET, arg_jitter_repeat_threshold=1000000), None, jittery_query),
    "cached_repeat": (dict(BUDGET, repeat_toolcall_threshold=2, max_intervention_log=100000,
                           max_cache_entries=100000),
                      prime_cache, cached_repeat),
    "check_output": (dict(BUDGET), None, check_output),
    "distinct_results": (dict(BUDGET), None, distinct_result),
}


def median_ns(make_guard, name, batches, iterations, clock):
    """Median over `batches` fresh guards of ns per op; one extra warm-up batch
    (`batches` 0: that batch alone, and None)."""
    config, prime, op = WORKLOADS[name]
    per_op = []
    for b in range(batches + 1):
        g = make_guard(config)
        if prime:
            prime(g)
        start = clock()
        for i in range(iterations):
            op(g, i)
        elapsed = clock() - start
        if b > 0:
            per_op.append(elapsed / iterations)
    if not per_op:
        return None  # the warm-up batch alone
    per_op.sort()
    mid = len(per_op) // 2
    return per_op[mid] if len(per_op) % 2 else (per_op[mid - 1] + per_op[mid]) / 2
