#!/bin/sh
# The release tarball as a C user takes it: unpack it anywhere, build the
# quickstart with pkg-config alone, run it with the unpacked lib/ on the
# loader's path.
#   usage: check_tarball.sh TARBALL QUICKSTART_C REFERENCE_COMMAND
. "$(dirname "$0")/lib.sh"
tarball=$1 quickstart=$2 reference=$3
cp "$tarball" "$quickstart" "$work/"
name=$(basename "$tarball" .tar.gz)
version=$(echo "$name" | sed 's/^libauraguard-\([^-]*\)-.*/\1/')
somajor=${version%%.*}

as_user tar -xzf "$(basename "$tarball")"
tree=$work/$name
. "$repo/tests/c/library_layout.sh"
check_library_layout "$tree" "$version"
for f in LICENSE README.md; do [ -f "$tree/$f" ] || fail "the tarball has no $name/$f"; done
readelf -d "$tree/lib/libauraguard.so.$version" | grep -q "SONAME.*\[libauraguard.so.$somajor\]" \
  || fail "the library's soname is not libauraguard.so.$somajor"

pc="PKG_CONFIG_PATH=$tree/lib/pkgconfig"
[ "$(as_user "$pc" pkg-config --modversion auraguard)" = "$version" ] || fail "pkg-config reports another version"
flags=$(as_user "$pc" pkg-config --cflags --libs auraguard)
case $flags in *"-I$tree/"*"-L$tree/"*) ;; *) fail "pkg-config flags do not name the unpacked tree: $flags" ;; esac
echo "dist check: pkg-config --cflags --libs auraguard: $flags"
# shellcheck disable=SC2086  # the flags are meant to split
as_user cc -std=c11 -Wall -Wextra -Werror -pedantic "$(basename "$quickstart")" $flags -o quickstart
not_from_tree "$work/quickstart"
as_user LD_LIBRARY_PATH="$tree/lib" ./quickstart > "$work/quickstart.out" 2>&1 \
  || fail "the quickstart failed: $(cat "$work/quickstart.out")"
as_user LD_LIBRARY_PATH="$tree/lib" ldd ./quickstart | grep -q "libauraguard.so.$somajor => $tree/lib/" \
  || fail "the quickstart did not load the tarball's library"
same_output c-quickstart "$work/quickstart.out" "$reference"
echo "dist check: the tarball builds and runs the C quickstart with pkg-config alone"
