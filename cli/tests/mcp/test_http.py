"""Streamable HTTP: the proxy in front of the reference server's HTTP
transport, one guard per MCP session, bounded sessions with idle expiry."""

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import time

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from conftest import EVERYTHING, NODE, PROXY, decision_of, hostile, text_of

pytestmark = pytest.mark.anyio

HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
INIT = {
    "jsonrpc": "2.0", "id": 0, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "load", "version": "1"}},
}


@pytest.fixture
def anyio_backend():
    return "asyncio"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, "exited early"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture
def upstream():
    port = free_port()
    proc = subprocess.Popen([NODE, str(EVERYTHING), "streamableHttp"], env={**os.environ, "PORT": str(port)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, proc)
    yield Upstream(f"http://127.0.0.1:{port}/mcp", proc)
    proc.kill()
    proc.wait()


class Upstream(str):
    """The reference server's URL, and its process for tests that stop it."""

    def __new__(cls, url, proc):
        self = super().__new__(cls, url)
        self.proc = proc
        return self


@pytest.fixture
def listen(upstream, tmp_path):
    """Start proxies in front of `upstream`; any left running are killed after the test."""
    started = []

    def start(*extra):
        proxy = Listener(upstream, tmp_path, *extra)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        if proxy.proc.poll() is None:
            proxy.proc.kill()
            proxy.proc.wait()


class Listener:
    def __init__(self, upstream, tmp_path, *extra):
        self.report = tmp_path / "report.json"
        self.events = tmp_path / "events.jsonl"
        self.port = free_port()
        self.stderr = tmp_path / "proxy.stderr"
        self.proc = subprocess.Popen(
            [PROXY, "mcp", "--listen", f"127.0.0.1:{self.port}", "--upstream", upstream,
             "--report", str(self.report), "--events", str(self.events), *extra],
            stderr=self.stderr.open("wb"),
        )
        wait_for_port(self.port, self.proc)
        self.url = f"http://127.0.0.1:{self.port}/mcp"

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        return code, self.stderr.read_text(), json.loads(self.report.read_text())


async def test_an_sdk_session_over_http_is_guarded(listen):
    proxy = listen()
    seen = []

    async def progress(value, total, message):
        seen.append(value)

    async with streamable_http_client(proxy.url) as (read, write, _):
        async with ClientSession(read, write) as s:
            await s.initialize()
            assert "echo" in {t.name for t in (await s.list_tools()).tools}
            answers = [await s.call_tool("echo", {"message": "over http"}) for _ in range(3)]
            assert [text_of(a) for a in answers] == ["Echo: over http"] * 3
            assert decision_of(answers[2]) == {"action": "cache", "reason": "identical_toolcall_loop_cache"}
            await s.send_ping()
            done = await s.call_tool("trigger-long-running-operation", {"duration": 0.2, "steps": 2},
                                     progress_callback=progress)
            assert "completed" in text_of(done) and seen == [1, 2]
            assert (await s.list_prompts()).prompts
    code, err, report = proxy.stop()
    assert code == 0
    [session] = report["sessions"]
    assert session["report"]["stats"]["cache_hits"] == 1
    assert session["report"]["stats"]["tool_calls_executed"] == 3
    events = [json.loads(line) for line in proxy.events.read_text().splitlines()]
    assert any(e["event"] == "intervention" and e["session_id"] == session["session_id"] for e in events)


async def test_a_request_for_an_unknown_session_is_refused(listen):
    proxy = listen()
    async with httpx.AsyncClient() as http:
        r = await http.post(proxy.url, headers={**HEADERS, "mcp-session-id": "nope"},
                            json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert r.status_code == 404 and "no open session" in r.json()["error"]["message"]
        r = await http.post(proxy.url, headers=HEADERS, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert r.status_code == 400 and "initialize" in r.json()["error"]["message"]
        r = await http.post(proxy.url, headers=HEADERS, content=b"{oops")
        assert r.status_code == 400
    proxy.stop()


def sse_result(response, id):
    """The JSON-RPC answer with this id in a JSON or event-stream body."""
    if response.headers["content-type"].startswith("application/json"):
        return response.json()
    for data in re.findall(r"^data: (.*)$", response.text, flags=re.M):
        msg = json.loads(data)
        if msg.get("id") == id:
            return msg
    raise AssertionError(response.text[:300])


async def one_session(http, url, n):
    r = await http.post(url, headers=HEADERS, json=INIT)
    if r.status_code != 200:
        return r.status_code, r.text
    sid = r.headers["mcp-session-id"]
    h = {**HEADERS, "mcp-session-id": sid, "mcp-protocol-version": "2025-06-18"}
    await http.post(url, headers=h, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    texts = []
    for id in (1, 2, 3):
        call = {"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": "echo", "arguments": {"message": f"session {n}"}}}
        msg = sse_result(await http.post(url, headers=h, json=call), id)
        assert "result" in msg, msg
        texts.append((msg["result"]["content"][0]["text"], (msg["result"].get("_meta") or {}).get("auraguard")))
    return 200, (sid, texts)


async def test_a_thousand_sessions_each_with_its_own_guard_within_the_session_limit(listen):
    wave, waves = 100, 10
    proxy = listen("--max-sessions", str(wave), "--idle-timeout", "600")
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=wave), timeout=120) as http:
        for w in range(waves):
            results = await asyncio.gather(*(one_session(http, proxy.url, w * wave + i) for i in range(wave)))
            assert [status for status, _ in results] == [200] * wave, ([r for r in results if r[0] != 200], proxy.stderr.read_text()[-2000:])
            for i, (_, (_, texts)) in enumerate(results):
                # Each session has its own guard: its own third call is the cached one.
                assert [t for t, _ in texts] == [f"Echo: session {w * wave + i}"] * 3
                assert [d for _, d in texts][:2] == [None, None]
                assert texts[2][1]["action"] == "cache"
            # The limit holds while the wave's sessions are open ...
            full = await http.post(proxy.url, headers=HEADERS, json=INIT)
            assert full.status_code == 503 and "--max-sessions" in full.json()["error"]["message"]
            # ... and ending them makes room for the next wave.
            for _, (sid, _) in results:
                r = await http.delete(proxy.url, headers={**HEADERS, "mcp-session-id": sid})
                assert r.status_code == 200
    code, err, report = proxy.stop()
    assert code == 0, err
    sessions = report["sessions"]
    assert len({s["session_id"] for s in sessions}) == len(sessions) == wave * waves
    assert all(s["report"]["stats"]["cache_hits"] == 1 for s in sessions)
    assert all(s["report"]["stats"]["tool_calls_executed"] == 2 for s in sessions)


async def test_idle_sessions_expire_and_make_room(listen):
    proxy = listen("--max-sessions", "3", "--idle-timeout", "1")
    async with httpx.AsyncClient(timeout=60) as http:
        first = await asyncio.gather(*(one_session(http, proxy.url, i) for i in range(3)))
        assert [status for status, _ in first] == [200] * 3
        await asyncio.sleep(2.5)
        sid = first[0][1][0]
        stale = await http.post(proxy.url, headers={**HEADERS, "mcp-session-id": sid},
                                json={"jsonrpc": "2.0", "id": 9, "method": "ping"})
        assert stale.status_code == 404, "an expired session is closed"
        again = await asyncio.gather(*(one_session(http, proxy.url, i) for i in range(3)))
        assert [status for status, _ in again] == [200] * 3, "expiry made room under the limit"
    code, err, report = proxy.stop()
    assert len(report["sessions"]) == 6


async def open_session(http, url):
    r = await http.post(url, headers=HEADERS, json=INIT)
    assert r.status_code == 200, r.text
    h = {**HEADERS, "mcp-session-id": r.headers["mcp-session-id"], "mcp-protocol-version": "2025-06-18"}
    await http.post(url, headers=h, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    return h


def call(id, name, arguments):
    return {"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": arguments}}


async def test_a_client_that_leaves_mid_call_leaves_no_call_pending(listen):
    proxy = listen()
    async with httpx.AsyncClient(timeout=60) as http:
        h = await open_session(http, proxy.url)
        slow = call(1, "trigger-long-running-operation", {"duration": 3, "steps": 3})
        with pytest.raises(httpx.ReadTimeout):
            await http.post(proxy.url, headers=h, json=slow, timeout=0.5)
        await asyncio.sleep(4)  # the server finishes the operation meanwhile
        msg = sse_result(await http.post(proxy.url, headers=h, json=call(2, "echo", {"message": "after"})), 2)
        assert msg["result"]["content"][0]["text"] == "Echo: after"
    code, err, report = proxy.stop()
    stats = report["sessions"][0]["report"]["stats"]
    # The call the client left is settled one way or the other, never left waiting.
    assert stats["pending_calls"] == 0, (stats, err)
    assert stats["missed_results"] == 0, stats
    # Both calls are booked (a failed one counts as executed too): the echo,
    # and the one left, as abandoned when the proxy saw the client go, or
    # with its answer if that came first.
    assert stats["tool_calls_executed"] == 2, stats
    assert stats["tool_calls_failed"] <= 1, stats


async def test_an_unreachable_upstream_fails_the_call_and_the_session_goes_on(listen, upstream):
    proxy = listen()
    async with httpx.AsyncClient(timeout=60) as http:
        h = await open_session(http, proxy.url)
        # Stop the reference server: the next call cannot be forwarded.
        upstream.proc.kill()
        upstream.proc.wait()
        r = await http.post(proxy.url, headers=h, json=call(1, "echo", {"message": "lost"}))
        assert r.status_code == 502 and "cannot be reached" in r.json()["error"]["message"]
        r = await http.post(proxy.url, headers=h, json=call(2, "echo", {"message": "lost"}))
        assert r.status_code == 502, "the proxy stays up"
    code, err, report = proxy.stop()
    assert code == 0, err
    stats = report["sessions"][0]["report"]["stats"]
    assert (stats["pending_calls"], stats["tool_calls_failed"]) == (0, 2), stats


@pytest.fixture
def hostile_listener(tmp_path):
    """The proxy over HTTP in front of the misbehaving server, served over HTTP."""
    port = free_port()
    server = subprocess.Popen([*hostile(), "http", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, server)
    proxy = Listener(f"http://127.0.0.1:{port}/mcp", tmp_path)
    yield proxy, server
    for proc in (proxy.proc, server):
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_a_10_mb_result_passes_whole_over_http(hostile_listener):
    proxy, _ = hostile_listener
    size = 10 * 1024 * 1024
    async with streamable_http_client(proxy.url) as (read, write, _):
        async with ClientSession(read, write) as s:
            await s.initialize()
            answers = [await s.call_tool("big", {"size": size}) for _ in range(3)]
    assert [len(text_of(a)) for a in answers] == [size] * 3
    assert all(not a.isError for a in answers)
    code, err, report = proxy.stop()
    assert code == 0, err
    stats = report["sessions"][0]["report"]["stats"]
    # Too large to keep: the third call, a cache hit, is answered by the server.
    assert (stats["tool_calls_executed"], stats["cache_hits"], stats["pending_calls"]) == (2, 1, 0), stats


async def test_a_server_that_dies_mid_call_over_http_fails_the_call_and_the_proxy_stays_up(hostile_listener):
    proxy, server = hostile_listener
    async with httpx.AsyncClient(timeout=60) as http:
        h = await open_session(http, proxy.url)
        r = await http.post(proxy.url, headers=h, json=call(1, "add", {"a": 1, "b": 2}))
        assert sse_result(r, 1)["result"]["content"][0]["text"] == "3"
        # The answer is a JSON-RPC error for the call, whether the server
        # died before its answer began (502) or in the middle of its stream
        # (the stream's last event).
        r = await http.post(proxy.url, headers=h, json=call(2, "die", {"code": 3}))
        if r.status_code == 200:
            msg = sse_result(r, 2)
            assert msg["error"]["message"] == "the MCP server stopped before answering this call", msg
        else:
            assert r.status_code == 502 and "cannot be reached" in r.json()["error"]["message"], r.text
        server.wait(timeout=30)
        r = await http.post(proxy.url, headers=h, json=call(3, "add", {"a": 2, "b": 2}))
        assert r.status_code == 502 and "cannot be reached" in r.json()["error"]["message"]
    code, err, report = proxy.stop()
    assert code == 0, err
    stats = report["sessions"][0]["report"]["stats"]
    assert (stats["tool_calls_executed"], stats["tool_calls_failed"], stats["pending_calls"]) == (3, 2, 0), stats
