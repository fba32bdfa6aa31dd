//! One version everywhere, and a README whose examples are the real,
//! tested programs.

use std::fs;

fn repo(path: &str) -> String {
    fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_wrapper_and_the_header_carry_the_crate_version() {
    let v = auraguard::VERSION;
    for (path, needle) in [
        ("include/auraguard.h", format!("#define AURAGUARD_VERSION \"{v}\"")),
        ("cbindgen.toml", format!("#define AURAGUARD_VERSION \"{v}\"")),
        ("bindings/go/version.go", format!("const Version = \"{v}\"")),
        ("bindings/csharp/src/Guard.cs", format!("public const string Version = \"{v}\";")),
        ("bindings/ruby/lib/auraguard/version.rb", format!("VERSION = \"{v}\"")),
        ("CHANGELOG.md", format!("## {v}")),
        ("cli/Cargo.toml", format!("version = \"{v}\"")),
    ] {
        assert!(repo(path).contains(&needle), "{path} does not say {needle}");
    }
}

#[test]
fn the_readme_shows_each_quickstart_verbatim() {
    let readme = repo("README.md");
    for path in [
        "examples/c/quickstart.c",
        "examples/go/quickstart.go",
        "examples/csharp/Quickstart.cs",
        "examples/ruby/quickstart.rb",
    ] {
        let code = repo(path);
        assert!(readme.contains(code.trim_end()), "README.md does not show {path} as it is");
    }
}

#[test]
fn the_readme_shows_the_provider_examples_as_they_are() {
    let readme = repo("README.md");
    for path in ["examples/csharp/ProviderTurn.cs", "examples/ruby/provider_turn.rb"] {
        let code = repo(path);
        assert!(readme.contains(code.trim_end()), "README.md does not show {path} as it is");
    }
    // The C example is long: the README shows its function that answers one call.
    let c = repo("examples/c/provider_tool_results.c");
    let start = c.find("/* The result of one call:").expect("provider_tool_results.c lost its answer function");
    let end = start + c[start..].find("\n}\n").expect("the answer function has no end") + 3;
    assert!(readme.contains(&c[start..end]), "README.md does not show the answer function of provider_tool_results.c");
}

#[test]
fn the_readme_documents_every_configuration_key() {
    let readme = repo("README.md");
    for key in auraguard::config::CONFIG_KEYS {
        assert!(readme.contains(&format!("| `{key}` |")), "README.md's configuration table lacks {key}");
    }
}

#[test]
fn the_readme_says_how_to_install_each_artifact_before_the_quickstarts() {
    let readme = repo("README.md");
    let v = auraguard::VERSION;
    let install = readme.find("\n## Install\n").expect("README.md has no Install section");
    let usage = readme.find("\n## Usage\n").expect("README.md has no Usage section");
    assert!(install < usage, "README.md's Install section comes after the quickstarts");
    let section = &readme[install..usage];
    for needle in [
        "### C\n".to_string(),
        format!("tar -xzf libauraguard-{v}-linux-x86_64.tar.gz"),
        "$(pkg-config --cflags --libs auraguard)".to_string(),
        "### Go\n".to_string(),
        format!("go get github.com/auraguard/libauraguard/bindings/go@v{v}"),
        "### C#\n".to_string(),
        format!("unzip AuraGuard.{v}.nupkg"),
        "mcs -r:AuraGuard.dll".to_string(),
        "### Ruby\n".to_string(),
        format!("gem install --local auraguard-{v}-x86_64-linux.gem"),
    ] {
        assert!(section.contains(&needle), "README.md's Install section lacks {needle}");
    }
}
