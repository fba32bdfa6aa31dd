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

# AuraGuard.dll is compiled by mcs against .NET Framework reference
# assemblies (docs/PACKAGING.md): it must reference nothing but mscorlib and
# System, and take from them only types that .NET Standard 2.0 has, as
# listed by the type forwarders of Mono's netstandard.dll 2.0.0.0.
netstandard=/usr/lib/mono/4.7.1-api/Facades/netstandard.dll
[ -f "$netstandard" ] || fail "$netstandard is missing (apt-get install mono-devel)"
il=$(ikdasm "$work/pkg/lib/netstandard2.0/AuraGuard.dll") || fail "ikdasm cannot read AuraGuard.dll"
refs=$(echo "$il" | sed -n 's/^\.assembly extern //p' | LC_ALL=C sort | tr '\n' ' ')
[ "$refs" = "System mscorlib " ] || fail "AuraGuard.dll references $refs(only mscorlib and System expected)"
echo "$il" | grep -o '\[\(mscorlib\|System\)\][A-Za-z0-9_.`]*' | sed 's/^\[[^]]*\]//' | LC_ALL=C sort -u > "$work/used-types"
ikdasm "$netstandard" | sed -n 's/^\.class extern forwarder //p' | LC_ALL=C sort -u > "$work/netstandard-types"
[ -s "$work/used-types" ] && [ -s "$work/netstandard-types" ] || fail "no type lists from ikdasm"
outside=$(LC_ALL=C comm -23 "$work/used-types" "$work/netstandard-types")
[ -z "$outside" ] || fail "AuraGuard.dll uses types outside .NET Standard 2.0: $outside"

cp "$quickstart" "$work/app/"
cp "$work/pkg/lib/netstandard2.0/AuraGuard.dll" "$work/app/"
as_user sh -c "cd app && mcs -r:AuraGuard.dll -out:Quickstart.exe $(basename "$quickstart")" \
  || fail "the quickstart does not compile against the package's AuraGuard.dll"
as_user LD_LIBRARY_PATH="$work/pkg/runtimes/linux-x64/native" mono app/Quickstart.exe \
  > "$work/quickstart.out" 2>&1 || fail "the quickstart failed: $(cat "$work/quickstart.out")"
same_output csharp-quickstart "$work/quickstart.out" "$reference"
echo "dist check: the NuGet package compiles and runs the C# quickstart under Mono"
