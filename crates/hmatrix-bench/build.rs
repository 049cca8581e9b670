//! Links the system libraries of the optional baseline features (never of the default
//! build): `lapack` → OpenBLAS (which contains LAPACK on Debian), `scalapack` → Debian's
//! `libscalapack-openmpi` (BLACS included), `elpa` → `libelpa`. MPI itself is linked by
//! `mpi-sys` (rsmpi), found through `mpicc`.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for f in ["LAPACK", "SCALAPACK", "ELPA"] {
        println!("cargo:rerun-if-env-changed=CARGO_FEATURE_{f}");
    }
    let on = |f: &str| std::env::var_os(format!("CARGO_FEATURE_{f}")).is_some();
    // Dependents first: ELPA calls ScaLAPACK, which calls LAPACK/BLAS.
    if on("ELPA") {
        println!("cargo:rustc-link-lib=elpa");
    }
    if on("SCALAPACK") {
        println!("cargo:rustc-link-lib=scalapack-openmpi");
    }
    if on("LAPACK") {
        println!("cargo:rustc-link-lib=openblas");
    }
}
