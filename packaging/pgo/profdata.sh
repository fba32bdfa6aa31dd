#!/bin/sh
# Prints the llvm-profdata the release library's profile is merged with:
# LLVM_PROFDATA when set, else the toolchain's own (the llvm-tools
# component), whose LLVM reads what its rustc writes. The path is printed
# whether or not the file exists; callers test it.
set -eu
if [ -n "${LLVM_PROFDATA:-}" ]; then
  echo "$LLVM_PROFDATA"
else
  host=$(rustc -vV | sed -n 's/^host: //p')
  echo "$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
fi
