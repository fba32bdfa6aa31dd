#!/bin/sh
# The two Ruby gems: the plain one, which loads a system libauraguard, and
# the platform gem, which carries the library in vendor/ (the loader takes
# it first). The platform gem is built from a copy of bindings/ruby so that
# the source tree never holds a vendored library.
#   usage: gem.sh VERSION GEM_PLATFORM LIB_DIR OUT_DIR
. "$(dirname "$0")/common.sh"
[ $# -eq 4 ] || fail "usage: gem.sh VERSION GEM_PLATFORM LIB_DIR OUT_DIR"
version=$1 gem_platform=$2 lib_dir=$3 out=$4
need_file "$lib_dir/libauraguard.so" "run make build"
mkdir -p "$out"
out=$(cd "$out" && pwd)

(cd bindings/ruby && AURAGUARD_GEM_PLATFORM= gem build --silent auraguard.gemspec \
   --output "$out/auraguard-$version.gem")
echo "dist: $out/auraguard-$version.gem"

stage=$scratch/ruby
mkdir -p "$stage/vendor"
cp -R bindings/ruby/lib bindings/ruby/auraguard.gemspec bindings/ruby/Rakefile bindings/ruby/README.md "$stage/"
install -m 755 "$lib_dir/libauraguard.so" "$stage/vendor/libauraguard.so"
(cd "$stage" && AURAGUARD_GEM_PLATFORM=$gem_platform gem build --silent auraguard.gemspec \
   --output "$out/auraguard-$version-$gem_platform.gem")
echo "dist: $out/auraguard-$version-$gem_platform.gem"
