//! Gives the shared library its soname, so programs linked against an
//! installed `libauraguard.so` depend on `libauraguard.so.<major>`.
//!
//! A program linked in the tree (the C tests, the Go binding) records that
//! soname too, so the loader looks for `libauraguard.so.<major>` beside the
//! library. The link `libauraguard.so.<major> -> libauraguard.so` is laid in
//! the output directory here, so that `cargo build --release` alone leaves a
//! library such programs can load. It is relative: it names the file cargo
//! writes next to it, whichever profile or target directory that is.

use std::path::{Path, PathBuf};

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets the version");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libauraguard.so.{major}");
        if let Some(dir) = output_dir() {
            link_soname(&dir, &major);
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// The directory cargo writes the library to: OUT_DIR is
/// `<that directory>/build/auraguard-<hash>/out`.
fn output_dir() -> Option<PathBuf> {
    let out = PathBuf::from(std::env::var_os("OUT_DIR")?);
    Some(out.ancestors().nth(3)?.to_path_buf())
}

fn link_soname(dir: &Path, major: &str) {
    let link = dir.join(format!("libauraguard.so.{major}"));
    if std::fs::read_link(&link).is_ok_and(|target| target == Path::new("libauraguard.so")) {
        return;
    }
    let _ = std::fs::remove_file(&link);
    if let Err(e) = std::os::unix::fs::symlink("libauraguard.so", &link) {
        println!("cargo:warning=could not create {}: {e}", link.display());
    }
}
