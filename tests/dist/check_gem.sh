#!/bin/sh
# The gems as a Ruby user takes them, each installed with
# `gem install --local` into a fresh GEM_HOME: the platform gem runs the
# quickstart with its own library and no AURAGUARD_LIB; the plain gem
# carries no library and runs it with a system library (the tarball's).
# Both run check_tool, record_result and check_output through the C hot
# path: the platform gem's prebuilt for this Ruby, the plain gem's
# compiled when installed.
#   usage: check_gem.sh PLATFORM_GEM PLAIN_GEM TARBALL QUICKSTART_RB REFERENCE_COMMAND
. "$(dirname "$0")/lib.sh"
native_gem=$1 plain_gem=$2 tarball=$3 quickstart=$4 reference=$5
cp "$native_gem" "$plain_gem" "$tarball" "$quickstart" "$work/"
mkdir -p "$work/home"
script=$(basename "$quickstart")
# The ffi gem the binding needs comes from the system's gems, as offline.
system_gems=$(ruby -e 'puts Gem.path.join(":")')
which_lib='require "auraguard"; puts AuraGuard::Native.ffi_libraries.map(&:name); puts AuraGuard.native_version'
hot_path='require "auraguard"; print AuraGuard.hot_path'

gem_user() { home=$1; shift; as_user GEM_HOME="$work/$home" GEM_PATH="$work/$home:$system_gems" "$@"; }

gem_user gems-native gem install --local --no-document "$(basename "$native_gem")" >/dev/null \
  || fail "gem install --local $(basename "$native_gem") failed"
vendored=$(find "$work/gems-native/gems" -path '*/vendor/libauraguard.so')
[ -n "$vendored" ] || fail "the platform gem installed no vendor/libauraguard.so"
gem_user gems-native ruby "$script" > "$work/quickstart.out" 2>&1 \
  || fail "the quickstart failed with the platform gem: $(cat "$work/quickstart.out")"
same_output ruby-quickstart "$work/quickstart.out" "$reference"
loaded=$(gem_user gems-native ruby -e "$which_lib")
[ "$(echo "$loaded" | head -n 1)" = "$vendored" ] || fail "the platform gem loaded $loaded, not $vendored"
path=$(gem_user gems-native ruby -e "$hot_path")
[ "$path" = c ] || fail "the platform gem runs through $path, not its prebuilt C hot path"

gem_user gems-plain gem install --local --no-document "$(basename "$plain_gem")" >/dev/null \
  || fail "gem install --local $(basename "$plain_gem") failed"
[ -z "$(find "$work/gems-plain" -name 'libauraguard.so*')" ] || fail "the plain gem carries a native library"
# Where the system has no libauraguard (not in the loader's cache nor in the
# folders the ffi gem also searches), the plain gem says what to do.
installed=$( { ldconfig -p 2>/dev/null || true; } | grep libauraguard || true)
for d in /usr/local/lib /opt/local/lib /opt/homebrew/lib /usr/lib /lib; do
  for f in "$d"/libauraguard.so*; do [ -e "$f" ] && installed="$installed $f"; done
done
if [ -z "$installed" ]; then
  if gem_user gems-plain ruby "$script" > "$work/none.out" 2>&1; then fail "the plain gem ran with no library"; fi
  grep -q "AURAGUARD_LIB" "$work/none.out" || fail "the plain gem without a library gives no hint: $(cat "$work/none.out")"
fi
as_user tar -xzf "$(basename "$tarball")"
system_lib=$(dirname "$(find "$work" -path '*/lib/libauraguard.so' ! -path "$work/gems-*")")
gem_user gems-plain LD_LIBRARY_PATH="$system_lib" ruby "$script" > "$work/plain.out" 2>&1 \
  || fail "the quickstart failed with the plain gem: $(cat "$work/plain.out")"
same_output ruby-plain-gem "$work/plain.out" "cat '$work/quickstart.out'"
path=$(gem_user gems-plain LD_LIBRARY_PATH="$system_lib" ruby -e "$hot_path")
[ "$path" = c ] || fail "the plain gem runs through $path: its C hot path was not compiled when installed"
echo "dist check: the platform gem runs with its own library, the plain gem with a system one, both on the C hot path"
