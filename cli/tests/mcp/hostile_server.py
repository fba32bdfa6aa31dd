"""An MCP server (FastMCP, from the official Python SDK) whose tools
misbehave on request: a huge result, dying mid-call, garbage on stdout."""

import os
import sys

from mcp.server.fastmcp import FastMCP

server = FastMCP("hostile")


@server.tool()
def big(size: int) -> str:
    """A text result of `size` bytes."""
    return "x" * size


@server.tool()
def die(code: int) -> str:
    """Exit the whole server with `code` before answering."""
    sys.stdout.flush()
    os._exit(code)


@server.tool()
def garbage() -> str:
    """Write a line that is not JSON on the protocol stream, then answer."""
    sys.stdout.write("this is not JSON-RPC\n")
    sys.stdout.flush()
    return "answered after the garbage"


@server.tool()
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


if __name__ == "__main__":
    # `hostile_server.py http PORT` serves streamable HTTP on 127.0.0.1:PORT/mcp.
    if len(sys.argv) == 3 and sys.argv[1] == "http":
        server.settings.port = int(sys.argv[2])
        server.run("streamable-http")
    else:
        server.run("stdio")
