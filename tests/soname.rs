//! `cargo build` alone leaves a library that programs linked in the tree
//! can load: the soname link is laid beside it by the build script.

#[cfg(target_os = "linux")]
#[test]
fn the_soname_link_sits_beside_the_library() {
    // This test runs from <profile dir>/deps/; the library is built into <profile dir>.
    let exe = std::env::current_exe().expect("test executable");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("profile directory");
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let link = dir.join(format!("libauraguard.so.{major}"));
    let target = std::fs::read_link(&link).unwrap_or_else(|e| panic!("{}: {e}", link.display()));
    assert_eq!(target, std::path::Path::new("libauraguard.so"), "{} points elsewhere", link.display());
}
