#!/usr/bin/env bash
# The library the release artifacts carry: the release build again, this
# time optimized with a profile of the training run (packaging/pgo/train.c).
# The compiler then inlines and lays out each function for the branches a
# run takes, which measured 4-22 % less per decision (docs/PERFORMANCE.md,
# "The release library"). It changes no behaviour: the same source,
# the same checks; `make test-dist` runs the C test program and every
# artifact against it.
#
#   usage: build.sh OUT_DIR WORK_DIR MODE   (relative paths: from the repository root)
#     OUT_DIR   receives libauraguard.so, libauraguard.so.<major>,
#               libauraguard.a and PROFILE (what it was built with)
#     WORK_DIR  the two cargo target directories, the raw profiles and the
#               merged profile
#     MODE      1: profile-guided or fail; auto: profile-guided when the
#               toolchain has llvm-profdata (the llvm-tools component),
#               otherwise the plain release build, said loudly; 0: the plain
#               release build
#
# Both builds use target directories of their own, so the instrumented and
# the optimized library never replace target/release, which the tests and
# the wrappers in the tree use.
set -euo pipefail

fail() { echo "pgo: $*" >&2; exit 1; }
[ $# -eq 3 ] || fail "usage: build.sh OUT_DIR WORK_DIR MODE"
out=$1 work=$2 mode=$3
case $mode in 0 | 1 | auto) ;; *) fail "MODE is 0, 1 or auto, not '$mode'" ;; esac

cd "$(dirname "$0")/../.."
cargo=${CARGO:-cargo}
major=$(sed -n 's/^version = "\([0-9]*\)\..*/\1/p' Cargo.toml | head -n 1)
host=$(rustc -vV | sed -n 's/^host: //p')
profdata=$(packaging/pgo/profdata.sh)

# Copy a finished build into OUT_DIR, with the soname link and a note of how
# it was made.
publish() {
    local from=$1 how=$2
    mkdir -p "$out"
    install -m 755 "$from/libauraguard.so" "$out/libauraguard.so"
    install -m 644 "$from/libauraguard.a" "$out/libauraguard.a"
    ln -sf libauraguard.so "$out/libauraguard.so.$major"
    printf '%s\n' "$how" > "$out/PROFILE"
    echo "pgo: $out: $how"
}

# What `make build` builds, so that target/release is not rebuilt with the
# features of the library alone.
plain() {
    "$cargo" build --release --locked
    publish target/release "plain release build ($1)"
}

if [ "$mode" = 0 ]; then
    plain "MODE=0"
    exit 0
fi
if [ ! -x "$profdata" ]; then
    why="$profdata is missing (rustup component add llvm-tools)"
    [ "$mode" = 1 ] && fail "$why"
    echo "pgo: WARNING: $why; the artifacts get the plain release build" >&2
    plain "no llvm-profdata"
    exit 0
fi

# An explicit --target keeps the flags off build scripts and procedural
# macros, which run on this machine and are no part of the library. The
# library alone (-p): the command line is no artifact's, and the workspace
# adds only smallvec's `const_new` to the library's dependencies.
build() {
    local dir=$1 flags=$2
    RUSTFLAGS="${RUSTFLAGS:-} $flags" "$cargo" build --release --locked -p auraguard \
        --target "$host" --target-dir "$dir"
}

raw="$work/raw"
rm -rf "$raw"
mkdir -p "$raw"
echo "pgo: the instrumented build"
build "$work/generate" "-Cprofile-generate=$raw"
lib="$work/generate/$host/release"

echo "pgo: the training run"
cc_bin=${CC:-cc}
# Linked to the shared library, whose profiling runtime writes the profile
# at exit (the static archive's does not).
"$cc_bin" -O2 -std=c11 -Wall -Wextra -Werror -Iinclude packaging/pgo/train.c \
    -L"$lib" -lauraguard -Wl,-rpath,"$(realpath "$lib")" -lpthread -lm -o "$work/train"
LLVM_PROFILE_FILE="$raw/train-%p-%m.profraw" "$work/train"

ls "$raw"/*.profraw >/dev/null 2>&1 || fail "the training run wrote no profile into $raw"
"$profdata" merge -o "$work/auraguard.profdata.new" "$raw"/*.profraw
# An unchanged profile leaves the optimized build as it is (rustc records
# the profile as an input, so a new file would rebuild it).
if ! cmp -s "$work/auraguard.profdata.new" "$work/auraguard.profdata" 2>/dev/null; then
    mv "$work/auraguard.profdata.new" "$work/auraguard.profdata"
else
    rm -f "$work/auraguard.profdata.new"
fi

echo "pgo: the optimized build"
build "$work/use" "-Cprofile-use=$(realpath "$work/auraguard.profdata")"
publish "$work/use/$host/release" "profile-guided: trained by packaging/pgo/train.c ($(rustc --version))"
