"""Hostile peers: malformed frames from either side, a server that dies
mid-call, a client that disconnects, a 10 MB result. The proxy answers with
JSON-RPC errors, stays up, and ends with a clear message when it must."""

import json
import subprocess
import time

import pytest

from conftest import PROXY, decision_of, everything, hostile, proxied, proxy_args, text_of, write_config

INIT = {
    "jsonrpc": "2.0", "id": 0, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
}


RUNNING = []


@pytest.fixture(autouse=True)
def _stop_leftovers():
    """A failed test leaves no proxy (or server) running."""
    yield
    while RUNNING:
        proc = RUNNING.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


class Raw:
    """A client that writes frames by hand and reads answers line by line."""

    def __init__(self, server, config=None, report=None):
        self.proc = subprocess.Popen(
            [PROXY] + proxy_args(server, config=config, report=report),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        RUNNING.append(self.proc)

    def send(self, frame):
        data = frame if isinstance(frame, bytes) else json.dumps(frame).encode()
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def recv(self):
        line = self.proc.stdout.readline()
        assert line, "the proxy closed its output; stderr: " + self.proc.stderr.read().decode()
        return json.loads(line)

    def reply(self):
        """The next reply, skipping the server's notifications and requests."""
        while True:
            msg = self.recv()
            if isinstance(msg, list) or "method" not in msg:
                return msg

    def answer(self, id):
        """The reply with this id, skipping notifications and server requests."""
        while True:
            msg = self.recv()
            if msg.get("id") == id and "method" not in msg:
                return msg

    def initialize(self):
        self.send(INIT)
        assert "result" in self.answer(0)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def close(self, timeout=20):
        self.proc.stdin.close()
        code = self.proc.wait(timeout=timeout)
        return code, self.proc.stderr.read().decode()


def ping(raw, id):
    raw.send({"jsonrpc": "2.0", "id": id, "method": "ping"})
    return raw.answer(id)


def test_malformed_frames_from_the_client_get_errors_and_the_proxy_stays_up(tmp_path):
    config = write_config(tmp_path, {"mcp": {"max_message_bytes": 4096}})
    raw = Raw(everything(), config=config)
    raw.initialize()
    cases = [
        (b"{not json", -32700, None),
        (b"\xff\xfe\x00 binary", -32700, None),
        (b"[]", -32600, None),
        (b'"just a string"', -32600, None),
        (b'{"id": 7, "method": "ping"}', -32600, 7),
        (b'{"jsonrpc": "2.0", "id": {"x": 1}, "method": "ping"}', -32600, None),
        (b'{"jsonrpc": "2.0", "id": 8}', -32600, 8),
        (b'{"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {}}', -32602, 9),
        (b'{"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {"name": "echo", "arguments": [1]}}', -32602, 10),
        (b'{"jsonrpc": "2.0", "id": 11, "method": "ping", "params": "' + b"y" * 5000 + b'"}', -32600, None),
    ]
    for frame, code, id in cases:
        raw.send(frame)
        reply = raw.reply()
        assert reply["jsonrpc"] == "2.0"
        assert reply["error"]["code"] == code, (frame[:60], reply)
        assert reply["id"] == id, (frame[:60], reply)
        assert reply["error"]["message"]
        assert ping(raw, 100 + len(frame))["result"] == {}, "still up after " + repr(frame[:40])
    code, err = raw.close()
    assert code == 0
    assert "not valid JSON" in err and "over the limit of 4096 bytes" in err


def test_a_batch_is_split_where_the_guard_answers_part_of_it(tmp_path):
    config = write_config(tmp_path, {"never_cache_tools": ["echo"]})
    raw = Raw(everything(), config=config)
    raw.initialize()
    call = lambda id: {"jsonrpc": "2.0", "id": id, "method": "tools/call",
                       "params": {"name": "echo", "arguments": {"message": "m"}}}
    for id in (1, 2):
        raw.send(call(id))
        assert raw.answer(id)["result"]["content"][0]["text"] == "Echo: m"
    # The third identical call is blocked by the guard, which answers it
    # (as a batch); the rest of the batch goes to the server. (The
    # reference server ignores batches, which 2025-06-18 removed.)
    raw.send([call(3), {"jsonrpc": "2.0", "id": 4, "method": "ping"}])
    reply = raw.reply()
    assert isinstance(reply, list) and len(reply) == 1
    assert reply[0]["id"] == 3
    assert reply[0]["result"]["_meta"]["auraguard"]["action"] == "block"
    assert ping(raw, 5)["result"] == {}
    raw.close()


def test_garbage_from_the_server_is_answered_and_the_call_still_completes():
    raw = Raw(hostile())
    raw.initialize()
    raw.send({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "garbage", "arguments": {}}})
    reply = raw.answer(1)
    assert reply["result"]["content"][0]["text"] == "answered after the garbage"
    assert ping(raw, 2)["result"] == {}
    code, err = raw.close()
    assert "from the server: the message is not valid JSON" in err


def test_a_server_that_dies_mid_call_ends_the_proxy_with_its_status(tmp_path):
    report = tmp_path / "report.json"
    raw = Raw(hostile(), report=report)
    raw.initialize()
    raw.send({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "die", "arguments": {"code": 3}}})
    reply = raw.answer(1)
    assert reply["error"]["code"] == -32603
    assert "exited with status 3" in reply["error"]["message"]
    assert raw.proc.stdout.readline() == b"", "the proxy closes its output"
    code = raw.proc.wait(timeout=20)
    err = raw.proc.stderr.read().decode()
    assert code == 3
    assert "the MCP server exited with status 3" in err
    stats = json.loads(report.read_text())["stats"]
    assert stats["tool_calls_failed"] == 1 and stats["pending_calls"] == 0


def test_a_client_that_disconnects_mid_call_stops_the_server_and_leaves_a_report(tmp_path):
    report = tmp_path / "report.json"
    raw = Raw(everything(), report=report)
    raw.initialize()
    raw.send({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
              "params": {"name": "trigger-long-running-operation", "arguments": {"duration": 60, "steps": 2}}})
    time.sleep(0.5)
    code, err = raw.close(timeout=30)
    assert code == 0, err
    stats = json.loads(report.read_text())["stats"]
    assert stats["pending_calls"] == 0
    assert stats["tool_calls_failed"] == 1, "the abandoned call is recorded"


def test_a_server_that_cannot_start_is_reported(tmp_path):
    proc = subprocess.run([PROXY, "mcp", "--", str(tmp_path / "no-such-server")], capture_output=True, timeout=20)
    assert proc.returncode == 127
    assert b"cannot start the MCP server" in proc.stderr


def test_bad_configurations_are_refused_before_the_server_starts(tmp_path):
    bad = write_config(tmp_path, {"mcp": {"tools": {"refund": {"ticket": "order_id"}}}})
    proc = subprocess.run([PROXY, "mcp", "--config", bad, "--"] + everything(), capture_output=True, timeout=20)
    assert proc.returncode == 2
    assert b"unknown config key `mcp.tools.refund.ticket`" in proc.stderr
    proc = subprocess.run([PROXY, "mcp"], capture_output=True, timeout=20)
    assert proc.returncode == 2 and b"after `--`" in proc.stderr


@pytest.mark.anyio
async def test_a_10_mb_result_passes_whole_and_is_not_kept(tmp_path):
    size = 10 * 1024 * 1024
    report = tmp_path / "report.json"
    async with proxied(hostile(), report=report) as s:
        first = await s.call_tool("big", {"size": size})
        assert text_of(first) == "x" * size
        assert not first.isError
        await s.call_tool("big", {"size": size})
        # The third identical call would be a cache hit; the result was
        # too large to keep, so the server answers again.
        third = await s.call_tool("big", {"size": size})
        assert len(text_of(third)) == size
        assert decision_of(third) is None
    stats = json.loads(report.read_text())["stats"]
    assert stats["tool_calls_executed"] == 2 and stats["cache_hits"] == 1


@pytest.fixture
def anyio_backend():
    return "asyncio"
