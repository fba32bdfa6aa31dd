# Shared by the tests/dist checks: a scratch folder outside the repository,
# a clean environment for the commands a user would type, and the
# comparison of an installed program's output with the in-tree build's.
set -eu

fail() { echo "dist check: $*" >&2; exit 1; }

repo=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/auraguard-user.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# as_user CMD...: run in $work with only what a user's shell would have: no
# LD_LIBRARY_PATH, CGO_*, GOFLAGS, AURAGUARD_LIB, RUBYLIB or PKG_CONFIG_PATH
# from this build. Variables to set go first as NAME=value arguments.
as_user() {
  (cd "$work" && env -i PATH="$PATH" HOME="$work/home" LANG=C.UTF-8 TMPDIR="${TMPDIR:-/tmp}" "$@")
}

# Run ids are random (32 hex digits): the one part of a run's output that
# differs between two runs of the same program.
without_run_ids() { sed 's/[0-9a-f]\{32\}/<run id>/g' "$1"; }

# same_output NAME GOT_FILE REFERENCE_COMMAND: the installed program printed
# what the in-tree build of the same source prints.
same_output() {
  sh -c "$3" > "$work/$1.expected" 2>&1 || fail "$1: the in-tree reference run failed: $(cat "$work/$1.expected")"
  [ -s "$work/$1.expected" ] || fail "$1: the in-tree reference printed nothing"
  without_run_ids "$work/$1.expected" > "$work/$1.expected.cmp"
  without_run_ids "$2" > "$work/$1.got.cmp"
  if ! diff -u "$work/$1.expected.cmp" "$work/$1.got.cmp"; then
    fail "$1: the installed program's output differs from the in-tree build's"
  fi
}

# not_from_tree FILE...: nothing the user built refers to this repository.
not_from_tree() {
  for f in "$@"; do
    if grep -qF "$repo" "$f"; then fail "$f refers to $repo"; fi
  done
}
