#!/bin/sh
# `make install` into a temporary DESTDIR, then build a program against it
# with pkg-config and run it; then `make uninstall` must remove every file.
#   usage: check_install.sh MAKE CC SOMAJOR VERSION
set -eu
make_cmd=$1 cc=$2 somajor=$3 version=$4
prefix=/opt/auraguard
stage=$(mktemp -d "${TMPDIR:-/tmp}/auraguard-install.XXXXXX")
trap 'rm -rf "$stage"' EXIT
fail() { echo "install check: $*" >&2; exit 1; }

$make_cmd --no-print-directory install DESTDIR="$stage" PREFIX="$prefix" >/dev/null
root="$stage$prefix"
. tests/c/library_layout.sh
check_library_layout "$root" "$version"

# The .pc names the final prefix; the sysroot maps it into the staging tree.
export PKG_CONFIG_PATH="$root/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"
[ "$(pkg-config --modversion auraguard)" = "$version" ] || fail "pkg-config reports another version"
flags=$(pkg-config --cflags --libs auraguard)
echo "install check: pkg-config --cflags --libs auraguard: $flags"
# shellcheck disable=SC2086  # the flags are meant to split
$cc -std=c11 -Wall -Wextra -Werror -pedantic tests/c/installed_probe.c $flags \
  -o "$stage/installed_probe"
LD_LIBRARY_PATH="$root/lib" "$stage/installed_probe"

$make_cmd --no-print-directory uninstall DESTDIR="$stage" PREFIX="$prefix" >/dev/null
left=$(find "$stage$prefix" \( -type f -o -type l \) | sed "s|^$stage||")
[ -z "$left" ] || fail "left after uninstall: $left"
echo "install check: install, pkg-config build and uninstall work"
