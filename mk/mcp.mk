# The MCP proxy (`auraguard mcp`) end to end: the official MCP Python SDK as
# the client, the reference servers from the npm registry behind the proxy.
# `make deps` installs them under build/mcp; the tests then run offline.
#
#   make test-mcp    every proxy test (stdio and streamable HTTP)

MCP_OUT    := $(ROOT)/build/mcp
MCP_PYTHON := $(MCP_OUT)/venv/bin/python

.PHONY: test-mcp

test-mcp: build
	@test -x $(MCP_PYTHON) || { echo "test-mcp: run 'make deps' first (it installs the MCP SDK and servers)"; exit 1; }
	AURAGUARD_BIN=$(CLI) PYTHONDONTWRITEBYTECODE=1 $(MCP_PYTHON) -m pytest -q -p no:cacheprovider cli/tests/mcp
