"""The guard's decisions through the proxy, end to end: the official Python
SDK client, the proxy, and the reference servers from the npm registry."""

import json

import anyio
import pytest

from conftest import decision_of, everything, filesystem, proxied, text_of, write_config

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_an_identical_call_repeated_is_answered_from_the_cache(tmp_path):
    report = tmp_path / "report.json"
    async with proxied(everything(), report=report) as s:
        answers = [await s.call_tool("echo", {"message": "hello"}) for _ in range(4)]
    assert [text_of(a) for a in answers] == ["Echo: hello"] * 4
    # repeat_toolcall_threshold (3 by default) counts the call itself.
    assert [decision_of(a) for a in answers[:2]] == [None] * 2
    cached = {"action": "cache", "reason": "identical_toolcall_loop_cache"}
    assert [decision_of(a) for a in answers[2:]] == [cached] * 2
    stats = json.loads(report.read_text())["stats"]
    assert stats["tool_calls_executed"] == 2, "the third and fourth calls never reached the server"
    assert stats["cache_hits"] == 2


async def test_an_identical_call_is_blocked_when_its_tool_is_never_cached(tmp_path):
    config = write_config(tmp_path, {"never_cache_tools": ["echo"]})
    async with proxied(everything(), config=config) as s:
        answers = [await s.call_tool("echo", {"message": "hello"}) for _ in range(4)]
        other = await s.call_tool("get-sum", {"a": 2, "b": 3})
    blocked = answers[2]
    assert blocked.isError
    assert decision_of(blocked) == {"action": "block", "reason": "identical_toolcall_loop"}
    assert "auraguard blocked this call to `echo`" in text_of(blocked)
    assert "not run" in text_of(blocked)
    assert not other.isError and "5" in text_of(other), "other tools still work"


async def test_a_destructive_call_repeated_reaches_the_server_once(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("first")
    events = tmp_path / "events.jsonl"
    report = tmp_path / "report.json"
    async with proxied(filesystem(data), events=events, report=report) as s:
        tools = {t.name: t for t in (await s.list_tools()).tools}
        assert tools["move_file"].annotations.destructiveHint is True
        args = {"source": str(data / "a.txt"), "destination": str(data / "b.txt")}
        first = await s.call_tool("move_file", args)
        assert not first.isError, text_of(first)
        assert (data / "b.txt").read_text() == "first" and not (data / "a.txt").exists()
        # Had the server received the second move, it would have failed:
        # a.txt is gone. The guard hands back the first move's result.
        again = await s.call_tool("move_file", args)
        assert not again.isError
        assert text_of(again) == text_of(first)
        assert decision_of(again) == {"action": "cache", "reason": "idempotent_replay"}
        # Another move is a second side effect of the tool: over the default
        # limit of one per run.
        (data / "c.txt").write_text("third")
        move = await s.call_tool("move_file", {"source": str(data / "c.txt"), "destination": str(data / "d.txt")})
        assert move.isError
        assert decision_of(move)["reason"] == "side_effect_limit_exceeded"
        assert (data / "c.txt").exists() and not (data / "d.txt").exists(), "the refused move never happened"
        # Reading is no side effect.
        read = await s.call_tool("read_text_file", {"path": str(data / "b.txt")})
        assert text_of(read) == "first"
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    interventions = [e for e in lines if e["event"] == "intervention"]
    assert [(e["tool"], e["reason"]) for e in interventions] == [
        ("move_file", "idempotent_replay"),
        ("move_file", "side_effect_limit_exceeded"),
    ]
    side = json.loads(report.read_text())["side_effects"]
    assert side["move_file"]["executed"] == 1


async def test_a_configured_limit_lets_distinct_writes_through(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    config = write_config(tmp_path, {"side_effect_max_executed_per_run": 5})
    async with proxied(filesystem(data), config=config) as s:
        await s.list_tools()
        for i in range(3):
            r = await s.call_tool("write_file", {"path": str(data / f"{i}.txt"), "content": str(i)})
            assert not r.isError, text_of(r)
        again = await s.call_tool("write_file", {"path": str(data / "0.txt"), "content": "0"})
        assert decision_of(again)["reason"] == "idempotent_replay"
    assert sorted(p.name for p in data.iterdir()) == ["0.txt", "1.txt", "2.txt"]


async def test_jittered_queries_get_the_rewrite_text(tmp_path):
    config = write_config(tmp_path, {"query_arg_keys_by_tool": {"echo": ["message"]}})
    queries = [
        "refund policy for damaged orders",
        "refund policy for damaged order",
        "policy for refunds of damaged orders",
        "damaged orders refund policy",
        "refund policy damaged orders please",
    ]
    async with proxied(everything(), config=config) as s:
        answers = [await s.call_tool("echo", {"message": q}) for q in queries]
    rewritten = [a for a in answers if decision_of(a)]
    assert rewritten, [text_of(a) for a in answers]
    first = rewritten[0]
    assert first.isError
    assert decision_of(first) == {"action": "rewrite", "reason": "arg_jitter_loop"}
    text = text_of(first)
    assert "auraguard did not run `echo`" in text
    assert len(text.split("\n\n")[0]) > 20, "the guard's instruction to the model comes first"


async def test_a_tool_with_a_ticket_argument_still_runs_once_per_ticket(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    config = write_config(
        tmp_path,
        {"secret_key": "k", "side_effect_max_executed_per_run": 5,
         "mcp": {"tools": {"write_file": {"ticket_arg": "path"}}}},
    )
    async with proxied(filesystem(data), config=config) as s:
        await s.list_tools()
        path = str(data / "t.txt")
        assert not (await s.call_tool("write_file", {"path": path, "content": "one"})).isError
        again = await s.call_tool("write_file", {"path": path, "content": "one"})
    assert decision_of(again)["reason"] == "idempotent_replay"
    assert (data / "t.txt").read_text() == "one"


def shared_ledger(tmp_path, **extra):
    """A folder with a.txt, a proxy configuration whose moves are keyed by
    their source in one SQLite ledger, and the arguments of moving a.txt."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("first")
    config = write_config(
        tmp_path,
        {"secret_key": "shared", "ledger": {"kind": "sqlite", "path": str(tmp_path / "ledger.db")},
         "mcp": {"tools": {"move_file": {"ticket_arg": "source"}}}, **extra},
    )
    return data, config, {"source": str(data / "a.txt"), "destination": str(data / "b.txt")}


async def test_a_ticket_keys_a_side_effect_across_proxy_processes_sharing_a_ledger(tmp_path):
    # Two agents, each with its own proxy process, share one SQLite ledger:
    # the move of one file, keyed by its source path, runs once between them.
    data, config, args = shared_ledger(tmp_path)
    async with proxied(filesystem(data), config=config) as first_agent:
        await first_agent.list_tools()
        moved = await first_agent.call_tool("move_file", args)
        assert not moved.isError, text_of(moved)
    async with proxied(filesystem(data), config=config) as second_agent:
        await second_agent.list_tools()
        again = await second_agent.call_tool("move_file", args)
        # The second server never saw the call: had it, the move would have
        # failed, a.txt being gone. The first run's outcome is replayed; the
        # ledger keeps outcomes, not results, so the model is told it is done.
        assert decision_of(again) == {"action": "cache", "reason": "idempotent_replay"}
        assert "already ran" in text_of(again) and "succeeded" in text_of(again)
        other = await second_agent.call_tool(
            "move_file", {"source": str(data / "b.txt"), "destination": str(data / "c.txt")})
        assert not other.isError, "another source is another ticket: " + text_of(other)
    assert sorted(p.name for p in data.iterdir()) == ["c.txt"]
    # Without the shared ledger a second process knows nothing (the default).
    (data / "x.txt").write_text("x")
    plain = write_config(tmp_path, {"secret_key": "shared"})
    move_x = {"source": str(data / "x.txt"), "destination": str(data / "y.txt")}
    async with proxied(filesystem(data), config=plain) as s:
        await s.list_tools()
        assert not (await s.call_tool("move_file", move_x)).isError
    async with proxied(filesystem(data), config=plain) as s:
        await s.list_tools()
        assert (await s.call_tool("move_file", move_x)).isError, "the server ran it: x.txt is gone"


async def test_a_shared_ledger_that_keeps_payloads_replays_the_result_itself(tmp_path):
    data, config, args = shared_ledger(tmp_path, ledger_store_payload=True)
    async with proxied(filesystem(data), config=config) as s:
        await s.list_tools()
        first = await s.call_tool("move_file", args)
    async with proxied(filesystem(data), config=config) as s:
        await s.list_tools()
        again = await s.call_tool("move_file", args)
    assert decision_of(again) == {"action": "cache", "reason": "idempotent_replay"}
    assert not again.isError and text_of(again) == text_of(first)
    assert again.structuredContent == first.structuredContent


async def test_an_escalated_call_tells_the_model_a_person_takes_over(tmp_path):
    config = write_config(tmp_path, {"tool_policies": {"get-sum": {"access": "human", "risk": "high"}}})
    report = tmp_path / "report.json"
    async with proxied(everything(), config=config, report=report) as s:
        r = await s.call_tool("get-sum", {"a": 1, "b": 2})
        echo = await s.call_tool("echo", {"message": "still served"})
    assert r.isError
    assert decision_of(r) == {"action": "escalate", "reason": "policy_human_approval_required"}
    assert "handed the run to a human" in text_of(r) and "The tool was not run" in text_of(r)
    assert text_of(echo) == "Echo: still served"
    stats = json.loads(report.read_text())["stats"]
    assert (stats["escalations"], stats["tool_calls_executed"]) == (1, 1)
