//! Links the system OpenBLAS (which contains LAPACK on Debian) when the `lapack` feature is on.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CARGO_FEATURE_LAPACK");
    if std::env::var_os("CARGO_FEATURE_LAPACK").is_some() {
        println!("cargo:rustc-link-lib=openblas");
    }
}
