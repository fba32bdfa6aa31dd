#!/bin/sh
# The two Ruby gems, each built from a staged copy of bindings/ruby so that
# the source tree never holds generated files:
# - the plain gem loads a system libauraguard and compiles the optional C
#   hot path when installed (ext/auraguard, with a copy of auraguard.h; a
#   machine without a compiler or Ruby's headers gets the ffi path);
# - the platform gem carries the library in vendor/ (the loader takes it
#   first) and the C hot path built for this Ruby in
#   lib/auraguard/<ruby minor>/, which other Rubies skip for the ffi path.
#   usage: gem.sh VERSION GEM_PLATFORM LIB_DIR OUT_DIR HEADER RUBY_EXT
. "$(dirname "$0")/common.sh"
[ $# -eq 6 ] || fail "usage: gem.sh VERSION GEM_PLATFORM LIB_DIR OUT_DIR HEADER RUBY_EXT"
version=$1 gem_platform=$2 lib_dir=$3 out=$4 header=$5 ruby_ext=$6
need_file "$lib_dir/libauraguard.so" "run make release-lib"
need_file "$header" "run make header"
need_file "$ruby_ext" "run make ruby-ext"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# stage DIR: the gem's sources, with the header its extension compiles against.
stage() {
  mkdir -p "$1"
  cp -R bindings/ruby/lib bindings/ruby/ext bindings/ruby/auraguard.gemspec bindings/ruby/Rakefile \
    bindings/ruby/README.md "$1/"
  cp "$header" "$1/ext/auraguard/auraguard.h"
}

stage "$scratch/plain"
(cd "$scratch/plain" && AURAGUARD_GEM_PLATFORM= gem build --silent auraguard.gemspec \
   --output "$out/auraguard-$version.gem")
echo "dist: $out/auraguard-$version.gem"

stage "$scratch/platform"
minor=$(ruby -e 'print RUBY_VERSION[/\A\d+\.\d+/]')
mkdir -p "$scratch/platform/vendor" "$scratch/platform/lib/auraguard/$minor"
install -m 755 "$lib_dir/libauraguard.so" "$scratch/platform/vendor/libauraguard.so"
install -m 755 "$ruby_ext" "$scratch/platform/lib/auraguard/$minor/hot_path.so"
(cd "$scratch/platform" && AURAGUARD_GEM_PLATFORM=$gem_platform gem build --silent auraguard.gemspec \
   --output "$out/auraguard-$version-$gem_platform.gem")
echo "dist: $out/auraguard-$version-$gem_platform.gem (C hot path for Ruby $minor)"
