//! Gives the shared library its soname, so programs linked against an
//! installed `libauraguard.so` depend on `libauraguard.so.<major>`.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets the version");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libauraguard.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
