#!/bin/sh
# The NuGet package, built with Mono alone: AuraGuard.dll compiled by mcs,
# the native library under runtimes/<rid>/native/, and the Open Packaging
# Conventions parts every .nupkg has ([Content_Types].xml, _rels/.rels, the
# core-properties part) around AuraGuard.nuspec.
#   usage: nupkg.sh VERSION RID LIB_DIR OUT_DIR
# Writes OUT_DIR/AuraGuard.VERSION.nupkg.
#
# The assembly is compiled against the .NET Framework 4.6.1 reference
# assemblies that Mono ships (mono-devel), the framework floor of
# netstandard2.0: it references only mscorlib and System, which every
# netstandard2.0 runtime provides (.NET Core and .NET 5+ as type-forwarding
# facades), so it is filed under lib/netstandard2.0. mcs cannot compile
# against netstandard.dll itself, which only forwards types.
. "$(dirname "$0")/common.sh"
[ $# -eq 4 ] || fail "usage: nupkg.sh VERSION RID LIB_DIR OUT_DIR"
version=$1 rid=$2 lib_dir=$3 out=$4
need_file "$lib_dir/libauraguard.so" "run make release-lib"
command -v mcs >/dev/null || fail "mcs not found: apt-get install mono-mcs mono-devel"
mkdir -p "$out"

pkg=$scratch/nupkg
mkdir -p "$pkg/lib/netstandard2.0" "$pkg/runtimes/$rid/native" "$pkg/_rels" \
         "$pkg/package/services/metadata/core-properties"

# The assembly's own version is the package's (four parts, as .NET wants).
cat > "$scratch/AssemblyInfo.cs" <<CS
using System.Reflection;
[assembly: AssemblyTitle("AuraGuard")]
[assembly: AssemblyVersion("$version.0")]
[assembly: AssemblyFileVersion("$version.0")]
[assembly: AssemblyInformationalVersion("$version")]
CS
# shellcheck disable=SC2046  # one argument per source file
mcs -nologo -warnaserror+ -nowarn:1591 -langversion:7 -sdk:4.6.1 -unsafe -optimize+ \
    -target:library -doc:"$pkg/lib/netstandard2.0/AuraGuard.xml" \
    -out:"$pkg/lib/netstandard2.0/AuraGuard.dll" \
    "$scratch/AssemblyInfo.cs" $(find bindings/csharp/src -name '*.cs' | LC_ALL=C sort)
install -m 755 "$lib_dir/libauraguard.so" "$pkg/runtimes/$rid/native/libauraguard.so"
install -m 644 bindings/csharp/README.md "$pkg/README.md"
sed "s|@VERSION@|$version|g" packaging/AuraGuard.nuspec.in > "$pkg/AuraGuard.nuspec"

# The core-properties part is named by an id; derived from the version so
# that the same inputs give the same package.
props_id=$(printf 'AuraGuard %s' "$version" | sha256sum | cut -c1-32)
cat > "$pkg/package/services/metadata/core-properties/$props_id.psmdcp" <<XML
<?xml version="1.0" encoding="utf-8"?>
<coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">
  <dc:creator>The libauraguard authors</dc:creator>
  <dc:description>Reliability middleware for tool-using AI agents: .NET binding of libauraguard.</dc:description>
  <dc:identifier>AuraGuard</dc:identifier>
  <version>$version</version>
  <keywords>ai agents llm tool-calls guard native</keywords>
  <lastModifiedBy>packaging/dist/nupkg.sh</lastModifiedBy>
</coreProperties>
XML
cat > "$pkg/_rels/.rels" <<XML
<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/AuraGuard.nuspec" Id="R$(printf '%s' "$props_id" | cut -c1-16)" />
  <Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="/package/services/metadata/core-properties/$props_id.psmdcp" Id="R$(printf '%s' "$props_id" | cut -c17-32)" />
</Relationships>
XML
cat > "$pkg/[Content_Types].xml" <<XML
<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />
  <Default Extension="psmdcp" ContentType="application/vnd.openxmlformats-package.core-properties+xml" />
  <Default Extension="nuspec" ContentType="application/octet" />
  <Default Extension="dll" ContentType="application/octet" />
  <Default Extension="xml" ContentType="application/octet" />
  <Default Extension="so" ContentType="application/octet" />
  <Default Extension="md" ContentType="application/octet" />
</Types>
XML
zip_tree "$pkg" "$out/AuraGuard.$version.nupkg"
echo "dist: $out/AuraGuard.$version.nupkg"
