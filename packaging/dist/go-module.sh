#!/bin/sh
# The Go module as released: bindings/go without its tests (they read the
# repository around the module), plus the prebuilt static library and the
# header in the folders cgo.go links from. Written twice: as a tree
# (OUT_DIR/module, what the release commit holds under bindings/go) and as a
# module proxy serves it (OUT_DIR/proxy, usable as GOPROXY=file://...).
#   usage: go-module.sh VERSION PLATFORM LIB_DIR OUT_DIR
. "$(dirname "$0")/common.sh"
[ $# -eq 4 ] || fail "usage: go-module.sh VERSION PLATFORM LIB_DIR OUT_DIR"
version=v$1 platform=$2 lib_dir=$3 out=$4
src=bindings/go
need_file "$lib_dir/libauraguard.a" "run make release-lib"
need_file "$src/build/$platform/$(echo "$platform" | tr - _).go" "no Go module folder for $platform"
module=$(sed -n 's/^module[[:space:]]*//p' "$src/go.mod")
[ -n "$module" ] || fail "$src/go.mod names no module"
# Module paths here are lower case, so the proxy's escaped path is the path.
case $module in *[A-Z]*) fail "module path $module needs case escaping" ;; esac

tree=$out/module
rm -rf "$tree" "$out/proxy"
mkdir -p "$tree"
# The adapters under bindings/go are modules of their own (a go.mod in their
# folder): they are no part of this module's tree.
nested=$(cd "$src" && find . -mindepth 2 -name go.mod ! -path './build/*' | sed 's#^\./##; s#/go\.mod$##' | paste -sd '|' -)
(cd "$src" && find . -type f ! -name '*_test.go' ! -path './build/*' | LC_ALL=C sort) |
  { if [ -n "$nested" ]; then grep -v -E "^\./($nested)/"; else cat; fi; } |
  while read -r f; do install -D -m 644 "$src/$f" "$tree/$f"; done
for d in hint include "$platform"; do
  install -D -m 644 "$src/build/$d/"*.go -t "$tree/build/$d"
done
install -m 644 "$src/build/hint/auraguard.h" "$tree/build/hint/auraguard.h"
# The released cgo.go without the repository's own route (the lines that
# reach out of the module to ../../include and ../../target/release).
grep -v '^#cgo .*${SRCDIR}/\.\./\.\.' "$src/cgo.go" > "$tree/cgo.go"
[ "$(diff "$src/cgo.go" "$tree/cgo.go" | grep -c '^<')" = 2 ] || fail "$src/cgo.go: expected two in-repository #cgo lines"
install -m 644 include/auraguard.h "$tree/build/include/auraguard.h"
# Debug sections are most of the archive's size and no use to a linker.
objcopy --strip-debug "$lib_dir/libauraguard.a" "$tree/build/$platform/libauraguard.a"
chmod 644 "$tree/build/$platform/libauraguard.a"
install -m 644 LICENSE "$tree/LICENSE"

# The proxy protocol: @v/list, then VERSION.info, .mod and .zip, the zip's
# members under "<module>@<version>/".
at=$out/proxy/$module/@v
mkdir -p "$at" "$scratch/zip/$module@$version"
cp -R "$tree/." "$scratch/zip/$module@$version/"
zip_tree "$scratch/zip" "$at/$version.zip"
cp "$tree/go.mod" "$at/$version.mod"
printf '{"Version":"%s","Time":"%s"}\n' "$version" \
  "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)" > "$at/$version.info"
echo "$version" > "$at/list"
echo "dist: $tree"
echo "dist: $at/$version.zip"
