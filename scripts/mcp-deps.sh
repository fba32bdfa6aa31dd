#!/usr/bin/env bash
# The real MCP peers of the proxy tests, under build/mcp (pinned versions):
# the reference servers from the npm registry, and the official MCP Python
# SDK (the client, and the base of a misbehaving test server) in a venv.
# Runs again only when a version changes; afterwards the tests need no network.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=build/mcp
NPM_PACKAGES=(@modelcontextprotocol/server-everything@2026.8.31 @modelcontextprotocol/server-filesystem@2026.8.31)
REQUIREMENTS=cli/tests/mcp/requirements.txt
mkdir -p "$OUT"

stamp="$OUT/.npm-installed"
if [ "$(cat "$stamp" 2>/dev/null)" != "${NPM_PACKAGES[*]}" ]; then
  echo "deps: installing ${NPM_PACKAGES[*]} (npm) into $OUT"
  npm install --prefix "$OUT" --no-audit --no-fund --silent "${NPM_PACKAGES[@]}"
  echo "${NPM_PACKAGES[*]}" > "$stamp"
fi

stamp="$OUT/.pip-installed"
if [ ! -x "$OUT/venv/bin/python" ] || ! cmp -s "$REQUIREMENTS" "$stamp"; then
  echo "deps: installing the MCP Python SDK ($(grep -m1 '^mcp==' "$REQUIREMENTS")) into $OUT/venv"
  python3 -m venv "$OUT/venv"
  "$OUT/venv/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  cp "$REQUIREMENTS" "$stamp"
fi
