#!/bin/sh
# The library every artifact carries (make release-lib) is what it says it
# is: optimized with the profile when the toolchain can merge one, and never
# the instrumented build, whose profiling runtime would count every branch
# and write a profile file when each program that loads it exits.
#   usage: check_release_lib.sh DIST_LIB_DIR
. "$(dirname "$0")/lib.sh"
dir=$1

for f in libauraguard.so libauraguard.a PROFILE; do
  [ -e "$dir/$f" ] || fail "$dir/$f is missing: run make release-lib"
done
how=$(cat "$dir/PROFILE")

if [ -x "$("$(dirname "$0")/../../packaging/pgo/profdata.sh")" ]; then
  case $how in
    profile-guided:*) ;;
    *) fail "llvm-profdata is installed, yet the release library is '$how'" ;;
  esac
fi

for f in libauraguard.so libauraguard.a; do
  if nm "$dir/$f" 2>/dev/null | grep -q '__llvm_profile_\|__llvm_prf_'; then
    fail "$dir/$f carries the profiling runtime: it is the instrumented build"
  fi
done

echo "release library: $how"
