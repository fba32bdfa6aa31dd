#!/bin/sh
# The release tarball: the shared library with its soname links, the static
# library, the header, a relocatable pkg-config file, LICENSE and README.
#   usage: tarball.sh VERSION PLATFORM LIB_DIR OUT_DIR
# Writes OUT_DIR/libauraguard-VERSION-PLATFORM.tar.gz.
. "$(dirname "$0")/common.sh"
[ $# -eq 4 ] || fail "usage: tarball.sh VERSION PLATFORM LIB_DIR OUT_DIR"
version=$1 platform=$2 lib_dir=$3 out=$4
somajor=${version%%.*}
name=libauraguard-$version-$platform
need_file "$lib_dir/libauraguard.so" "run make release-lib"
need_file "$lib_dir/libauraguard.a" "run make release-lib"

root=$scratch/$name
mkdir -p "$root/lib/pkgconfig" "$root/include"
install -m 755 "$lib_dir/libauraguard.so" "$root/lib/libauraguard.so.$version"
ln -s "libauraguard.so.$version" "$root/lib/libauraguard.so.$somajor"
ln -s "libauraguard.so.$somajor" "$root/lib/libauraguard.so"
install -m 644 "$lib_dir/libauraguard.a" "$root/lib/libauraguard.a"
install -m 644 include/auraguard.h "$root/include/auraguard.h"
install -m 644 LICENSE README.md "$root/"
# pkg-config sets ${pcfiledir} to the folder of the .pc file, so the tree
# works wherever it is unpacked.
sed -e 's|@PREFIX@|${pcfiledir}/../..|g' -e 's|@LIBDIR@|${prefix}/lib|g' \
    -e 's|@INCLUDEDIR@|${prefix}/include|g' -e "s|@VERSION@|$version|g" \
    packaging/auraguard.pc.in > "$root/lib/pkgconfig/auraguard.pc"
chmod 644 "$root/lib/pkgconfig/auraguard.pc"

mkdir -p "$out"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    -C "$scratch" -czf "$out/$name.tar.gz" "$name"
echo "dist: $out/$name.tar.gz"
