#!/bin/sh
# The NuGet package as a Mono user takes it: unpack it, compile the
# quickstart against lib/netstandard2.0/AuraGuard.dll, run it with the
# package's native library from runtimes/linux-x64/native.
#   usage: check_nupkg.sh NUPKG QUICKSTART_CS REFERENCE_COMMAND
. "$(dirname "$0")/lib.sh"
nupkg=$1 quickstart=$2 reference=$3
cp "$nupkg" "$work/"
mkdir -p "$work/pkg" "$work/app"
as_user unzip -q "$(basename "$nupkg")" -d pkg
for f in AuraGuard.nuspec '[Content_Types].xml' _rels/.rels README.md \
         lib/netstandard2.0/AuraGuard.dll lib/netstandard2.0/AuraGuard.xml \
         runtimes/linux-x64/native/libauraguard.so; do
  [ -f "$work/pkg/$f" ] || fail "the package has no $f"
done
ls "$work/pkg/package/services/metadata/core-properties/"*.psmdcp >/dev/null 2>&1 \
  || fail "the package has no core-properties part"
for part in '/AuraGuard.nuspec' '/package/services/metadata/core-properties/'; do
  grep -qF "Target=\"$part" "$work/pkg/_rels/.rels" || fail "_rels/.rels does not point to $part"
done
for ext in rels psmdcp nuspec dll xml so md; do
  grep -q "Extension=\"$ext\"" "$work/pkg/[Content_Types].xml" || fail "[Content_Types].xml lacks .$ext"
done
for field in '<license type="expression">Apache-2.0</license>' '<readme>README.md</readme>' \
             '<repository type="git" url="' '<description>'; do
  grep -qF "$field" "$work/pkg/AuraGuard.nuspec" || fail "the nuspec lacks $field"
done

cp "$quickstart" "$work/app/"
cp "$work/pkg/lib/netstandard2.0/AuraGuard.dll" "$work/app/"
as_user sh -c "cd app && mcs -r:AuraGuard.dll -out:Quickstart.exe $(basename "$quickstart")" \
  || fail "the quickstart does not compile against the package's AuraGuard.dll"
as_user LD_LIBRARY_PATH="$work/pkg/runtimes/linux-x64/native" mono app/Quickstart.exe \
  > "$work/quickstart.out" 2>&1 || fail "the quickstart failed: $(cat "$work/quickstart.out")"
same_output csharp-quickstart "$work/quickstart.out" "$reference"
echo "dist check: the NuGet package compiles and runs the C# quickstart under Mono"
