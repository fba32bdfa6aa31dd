#!/bin/sh
# The Go module as a Go user takes it: a new module that requires it from a
# module proxy (a file:// copy of the one `make dist` writes), offline, built
# with no tags and no CGO_* variables; the binary must still run once the
# module cache is gone (the library is linked in), and `go mod vendor` must
# keep the prebuilt library and header.
#   usage: check_go.sh PROXY_DIR VERSION QUICKSTART_GO REFERENCE_COMMAND
. "$(dirname "$0")/lib.sh"
proxy=$1 version=v$2 quickstart=$3 reference=$4
module=$(cd "$proxy" && find . -path '*/@v/list' | sed 's|^\./||; s|/@v/list$||')
[ -n "$module" ] || fail "no module under $proxy"
[ "$(cat "$proxy/$module/@v/list")" = "$version" ] || fail "the proxy lists $(cat "$proxy/$module/@v/list"), not $version"
cp -R "$proxy" "$work/proxy"
mkdir -p "$work/app" "$work/home"
cp "$quickstart" "$work/app/main.go"
printf 'module example.com/app\n\ngo 1.19\n\nrequire %s %s\n' "$module" "$version" > "$work/app/go.mod"

gocache=$(go env GOCACHE)
go_user() {
  as_user GOPROXY="file://$work/proxy" GOFLAGS=-mod=mod GONOSUMDB="$module" GOSUMDB=off \
    GOPATH="$work/gopath" GOCACHE="$gocache" GOTOOLCHAIN=local "$@"
}
go_user sh -c 'cd app && go build -o quickstart .' || fail "go build against the released module failed"
dynamic=$(readelf -d "$work/app/quickstart")
echo "$dynamic" | grep -q 'NEEDED.*libauraguard' && fail "the binary needs libauraguard.so at run time"
echo "$dynamic" | grep -q '(R\(UN\)\?PATH)' && fail "the binary records a library path: $(echo "$dynamic" | grep PATH)"
grep -q "$module $version h1:" "$work/app/go.sum" || fail "go.sum has no hash for $module $version"

go_user sh -c 'cd app && go mod vendor' || fail "go mod vendor failed"
for f in build/linux-x86_64/libauraguard.a build/include/auraguard.h build/hint/auraguard.h; do
  [ -f "$work/app/vendor/$module/$f" ] || fail "go mod vendor dropped $f"
done
go_user GOFLAGS=-mod=vendor GOPROXY=off sh -c 'cd app && go build -o quickstart_vendored .' \
  || fail "go build from the vendor folder failed"

# A copy of the module without its header (a source copy, say) stops with
# an explanation rather than a bare "No such file or directory".
mkdir -p "$work/bare" "$work/app2"
unzip -q "$work/proxy/$module/@v/$version.zip" -d "$work/bare"
rm "$work/bare/$module@$version/build/include/auraguard.h"
cp "$work/app/main.go" "$work/app2/"
printf 'module example.com/app2\n\ngo 1.19\n\nrequire %s %s\n\nreplace %s => ../bare/%s@%s\n' \
  "$module" "$version" "$module" "$module" "$version" > "$work/app2/go.mod"
if go_user sh -c 'cd app2 && go build -o quickstart .' > "$work/bare.out" 2>&1; then
  fail "the module built without its header"
fi
grep -q "auraguard.h not found: this copy of the Go module carries no prebuilt libauraguard" "$work/bare.out" \
  || fail "a missing header gives no hint: $(cat "$work/bare.out")"

go_user go clean -modcache
[ ! -e "$work/gopath/pkg/mod/$module@$version" ] || fail "the module cache is still there"
rm -rf "$work/app/vendor"
as_user ./app/quickstart > "$work/quickstart.out" 2>&1 || fail "the quickstart failed: $(cat "$work/quickstart.out")"
same_output go-quickstart "$work/quickstart.out" "$reference"
echo "dist check: the released Go module builds with go build alone and links the library in"
