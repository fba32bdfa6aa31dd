# Sourced by the checks of an installed or unpacked library tree (make
# install, the release tarball): the files a C user needs and the soname
# links between them. Needs a fail function.
#   check_library_layout ROOT VERSION
check_library_layout() {
  layout_root=$1 layout_version=$2
  layout_major=${layout_version%%.*}
  for f in include/auraguard.h lib/libauraguard.a lib/pkgconfig/auraguard.pc \
           "lib/libauraguard.so.$layout_version"; do
    [ -f "$layout_root/$f" ] || fail "$layout_root has no $f"
  done
  [ "$(readlink "$layout_root/lib/libauraguard.so.$layout_major")" = "libauraguard.so.$layout_version" ] \
    || fail "lib/libauraguard.so.$layout_major does not point to libauraguard.so.$layout_version"
  [ "$(readlink "$layout_root/lib/libauraguard.so")" = "libauraguard.so.$layout_major" ] \
    || fail "lib/libauraguard.so does not point to libauraguard.so.$layout_major"
}
