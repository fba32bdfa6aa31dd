# Shared by the packaging/dist scripts: error reporting, a scratch folder
# removed on exit, and the same archive settings everywhere (sorted names,
# fixed owner, every date the commit's).
set -eu

fail() { echo "dist: $*" >&2; exit 1; }

# The commit's date when there is a commit, else now; the packaging
# timestamp of every archive member.
: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH

scratch=$(mktemp -d "${TMPDIR:-/tmp}/auraguard-dist.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

need_file() { [ -f "$1" ] || fail "$1 is missing${2:+ ($2)}"; }

# zip_tree DIR OUT: zip DIR's contents (paths relative to DIR), no directory
# entries, members sorted, every timestamp SOURCE_DATE_EPOCH.
zip_tree() {
  zip_out=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
  rm -f "$zip_out"
  find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | zip -q -X -D "$zip_out" -@)
}
