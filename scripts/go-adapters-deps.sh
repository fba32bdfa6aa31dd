#!/usr/bin/env bash
# The Go modules the provider helpers and framework adapters are tested
# with (bindings/go/*guard, each its own module with its versions pinned in
# go.mod and go.sum), downloaded through the Go module proxy into the module
# cache. Afterwards `make test-go-adapters` runs with GOPROXY=off.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

for module in bindings/go/*guard; do
  [ -f "$module/go.mod" ] || continue
  # Everything that building and testing every package of the module needs,
  # test dependencies included; quiet when the cache already has it.
  if ! (cd "$module" && GOFLAGS=-mod=readonly GOPROXY=off go list -test -deps ./... >/dev/null 2>&1); then
    echo "deps: downloading the Go modules of $module"
    (cd "$module" && GOFLAGS=-mod=readonly go mod download && GOFLAGS=-mod=readonly go list -test -deps ./... >/dev/null)
  fi
done
