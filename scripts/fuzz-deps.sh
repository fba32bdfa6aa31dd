#!/usr/bin/env bash
# Install what the cargo-fuzz targets need (make fuzz only): the nightly
# toolchain, which libFuzzer's instrumentation requires, and cargo-fuzz.
# Kept apart from deps.sh so that the test suites never need nightly.
set -euo pipefail
export PATH="$PATH:$HOME/.cargo/bin"

command -v rustup >/dev/null 2>&1 || { echo "fuzz-deps: rustup is required: install it from https://rustup.rs"; exit 1; }
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz-deps: installing the nightly toolchain (rustup)"
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz-deps: installing cargo-fuzz (cargo install)"
  cargo install --locked cargo-fuzz
fi
echo "fuzz-deps: nightly and cargo-fuzz present"
