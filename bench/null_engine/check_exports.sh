#!/bin/sh
# Fails when the null engine (bench/null_engine/null_engine.c) lacks a
# function the header declares: a binding attaches or links every one at
# load, so a missing one breaks its overhead benchmark before it starts.
#
#   bench/null_engine/check_exports.sh include/auraguard.h build/bench/null-engine/libauraguard.so
set -eu
header=$1
library=$2
declared=$(mktemp)
exported=$(mktemp)
trap 'rm -f "$declared" "$exported"' EXIT
# A declaration's name is an auraguard_ word followed by its opening
# parenthesis, outside the doc comments (whose lines start with /*, * or
# //, and which show calls as examples).
grep -v '^[[:space:]]*\(/\*\|\*\|//\)' "$header" | grep -o '\bauraguard_[a-z0-9_]*(' | tr -d '(' |
  sort -u >"$declared"
nm -D --defined-only "$library" | awk '$2 == "T" { print $3 }' | sort -u >"$exported"
missing=$(comm -23 "$declared" "$exported")
if [ -n "$missing" ]; then
  echo "$library lacks functions $header declares (add them to bench/null_engine/null_engine.c):" >&2
  echo "$missing" | sed 's/^/  /' >&2
  exit 1
fi
echo "null engine: all $(wc -l <"$declared") functions of $header"
