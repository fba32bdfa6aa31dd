#!/bin/sh
# Every artifact carries the crate's version: in its name, in its metadata,
# in the wrapper's own version constant, and in the native library inside
# it (a probe linked against that very library prints auraguard_version()).
#   usage: check_versions.sh VERSION DIST_DIR
. "$(dirname "$0")/lib.sh"
version=$1 dist=$(cd "$2" && pwd)

# The probe calls the library it is linked with, or (PROBE_DLOPEN) loads the
# file named by its argument the way the wrappers do: dlopen by path, since a
# packaged libauraguard.so has no soname link beside it.
cat > "$work/probe.c" <<'C'
#include <auraguard.h>
#include <stdio.h>
#ifdef PROBE_DLOPEN
#include <dlfcn.h>
#endif
int main(int argc, char **argv) {
#ifdef PROBE_DLOPEN
    void *lib = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;
    const char *(*version)(void) = NULL;
    if (lib) *(void **)&version = dlsym(lib, "auraguard_version");
    if (!version) { fprintf(stderr, "%s\n", dlerror()); return 1; }
#else
    const char *(*version)(void) = auraguard_version;
    (void)argc; (void)argv;
#endif
    puts(version());
    return 0;
}
C
# native_version WHAT LIB: the version the library file reports.
native_version() {
  case $2 in
    *.a) cc -std=c11 -I"$tree/include" "$work/probe.c" "$2" -lpthread -ldl -lm -o "$work/probe" ;;
    *) cc -std=c11 -I"$tree/include" -DPROBE_DLOPEN "$work/probe.c" -ldl -o "$work/probe" ;;
  esac || fail "$1: the probe does not build"
  got=$("$work/probe" "$2") || fail "$1: the probe failed"
  [ "$got" = "$version" ] || fail "$1 reports $got, not $version"
}
expect() { [ "$2" = "$3" ] || fail "$1 says '$2', not '$3'"; }

# The tarball.
tar_name=$(cd "$dist" && ls libauraguard-*.tar.gz)
expect "the tarball's name" "$tar_name" "libauraguard-$version-linux-x86_64.tar.gz"
tar -xzf "$dist/$tar_name" -C "$work"
tree=$work/libauraguard-$version-linux-x86_64
expect "auraguard.pc" "$(sed -n 's/^Version: //p' "$tree/lib/pkgconfig/auraguard.pc")" "$version"
grep -q "#define AURAGUARD_VERSION \"$version\"" "$tree/include/auraguard.h" || fail "the tarball's header has another version"
native_version "the tarball's libauraguard.so" "$tree/lib/libauraguard.so.$version"
native_version "the tarball's libauraguard.a" "$tree/lib/libauraguard.a"

# The Go module, as the proxy serves it.
at=$(find "$dist/go/proxy" -type d -name '@v')
expect "the proxy's version list" "$(cat "$at/list")" "v$version"
grep -q "\"Version\":\"v$version\"" "$at/v$version.info" || fail "v$version.info names another version"
mkdir -p "$work/gozip" && unzip -q "$at/v$version.zip" -d "$work/gozip"
root=$(find "$work/gozip" -maxdepth 8 -type d -name "*@v$version")
[ -n "$root" ] || fail "the module zip's members are not under <module>@v$version/"
grep -q "const Version = \"$version\"" "$root/version.go" || fail "the module's version.go has another version"
native_version "the Go module's libauraguard.a" "$root/build/linux-x86_64/libauraguard.a"

# The NuGet package.
mkdir -p "$work/nupkg" && unzip -q "$dist/AuraGuard.$version.nupkg" -d "$work/nupkg"
expect "the nuspec" "$(sed -n 's|.*<version>\(.*\)</version>.*|\1|p' "$work/nupkg/AuraGuard.nuspec")" "$version"
il=$(ikdasm "$work/nupkg/lib/netstandard2.0/AuraGuard.dll")
echo "$il" | grep -q "literal string Version = \"$version\"" || fail "AuraGuard.dll's Guard.Version is not $version"
echo "$il" | grep -q "AssemblyInformationalVersionAttribute.*$(printf '%s' "$version" | od -An -tx1 | tr -d ' \n' | sed 's/../& /g; s/ $//' | tr a-f A-F)" \
  || fail "AuraGuard.dll's informational version is not $version"
native_version "the NuGet package's libauraguard.so" "$work/nupkg/runtimes/linux-x64/native/libauraguard.so"

# The gems.
gem_field() { ruby -rrubygems/package -e 'puts Gem::Package.new(ARGV[0]).spec.send(ARGV[1])' "$1" "$2"; }
for gem in "auraguard-$version.gem" "auraguard-$version-x86_64-linux.gem"; do
  [ -f "$dist/$gem" ] || fail "no $gem in $dist"
  expect "$gem's spec" "$(gem_field "$dist/$gem" version)" "$version"
done
expect "the plain gem's platform" "$(gem_field "$dist/auraguard-$version.gem" platform)" ruby
expect "the platform gem's platform" "$(gem_field "$dist/auraguard-$version-x86_64-linux.gem" platform)" x86_64-linux
mkdir -p "$work/gem" && (cd "$work/gem" && gem unpack "$dist/auraguard-$version-x86_64-linux.gem" >/dev/null)
gemdir=$work/gem/auraguard-$version-x86_64-linux
grep -q "VERSION = \"$version\"" "$gemdir/lib/auraguard/version.rb" || fail "the gem's version.rb has another version"
native_version "the platform gem's libauraguard.so" "$gemdir/vendor/libauraguard.so"
echo "dist check: every artifact and the library inside it say $version"
