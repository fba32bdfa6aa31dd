"""Shared pieces of the MCP proxy tests: where the proxy binary and the real
MCP servers (installed by `make deps` under build/mcp) are, and a client
session through the proxy, made with the official MCP Python SDK."""

import contextlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = Path(__file__).resolve().parents[3]
PROXY = os.environ.get("AURAGUARD_BIN", str(ROOT / "target" / "release" / "auraguard"))
MODULES = ROOT / "build" / "mcp" / "node_modules" / "@modelcontextprotocol"
EVERYTHING = MODULES / "server-everything" / "dist" / "index.js"
FILESYSTEM = MODULES / "server-filesystem" / "dist" / "index.js"
HOSTILE = Path(__file__).with_name("hostile_server.py")
NODE = shutil.which("node") or "node"


def everything():
    """The reference server on stdio."""
    return [NODE, str(EVERYTHING), "stdio"]


def filesystem(root):
    """The filesystem server, allowed to touch `root` only."""
    return [NODE, str(FILESYSTEM), str(root)]


def hostile():
    """A server made with the SDK's FastMCP whose tools misbehave on request."""
    return [sys.executable, str(HOSTILE)]


def write_config(tmp_path, config):
    path = tmp_path / "guard.json"
    path.write_text(json.dumps(config))
    return str(path)


def proxy_args(server, config=None, events=None, report=None):
    args = ["mcp"]
    if config is not None:
        args += ["--config", config]
    if events is not None:
        args += ["--events", str(events)]
    if report is not None:
        args += ["--report", str(report)]
    return args + ["--"] + server


@contextlib.asynccontextmanager
async def proxied(server, config=None, events=None, report=None, **session_args):
    """An initialized client session with `server` behind the proxy."""
    params = StdioServerParameters(command=PROXY, args=proxy_args(server, config, events, report))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, **session_args) as session:
            await session.initialize()
            yield session


def text_of(result):
    return "".join(c.text for c in result.content if c.type == "text")


def decision_of(result):
    """The guard's decision carried in the result's _meta, if it stepped in."""
    meta = result.meta or {}
    return meta.get("auraguard")


@pytest.fixture(autouse=True, scope="session")
def _installed():
    missing = [str(p) for p in (Path(PROXY), EVERYTHING, FILESYSTEM) if not p.exists()]
    if missing:
        pytest.fail("missing (run `make build` and `make deps`): " + ", ".join(missing))
