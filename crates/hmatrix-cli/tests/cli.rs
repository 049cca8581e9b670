//! The command-line contract: JSON fields, file round trips, one-line errors with exit code 2.
use faer::Mat;
use hmatrix::geometry::Geometry;
use hmatrix::kernel::RadialKernel;
use hmatrix::source::{to_dense, KernelSource};
use std::process::Command;

/// The dense matrix of the CLI's `--kernel yukawa --geometry sphere --n N` (seed 0).
fn yukawa_sphere(n: usize) -> Mat<f64> {
    let points = Geometry::Sphere.generate(n, 0).unwrap();
    to_dense(&KernelSource::new(points, RadialKernel::from_name("yukawa").unwrap(), 0.0).unwrap())
}

fn hm(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hmatrix")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = hm(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

const P: [&str; 6] = ["--kernel", "yukawa", "--geometry", "sphere", "--n", "700"];

#[test]
fn info_inertia_logdet_eig_json() {
    let v = json(&[&["info", "--json"][..], &P].concat());
    for f in ["n", "max_rank", "memory_bytes", "time_build_s", "rel_err_estimate"] {
        assert!(v.get(f).is_some(), "info lacks {f}");
    }
    assert_eq!(v["n"], 700);
    assert!(v["rel_err_estimate"].as_f64().unwrap() < 1e-7);
    let dense = yukawa_sphere(700);
    let ev = dense.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
    let shift = 0.5 * (ev[350] + ev[351]);
    let s = shift.to_string();
    let v = json(&[&["inertia", "--json", "--shift", &s][..], &P].concat());
    assert_eq!(v["negative"], 351);
    assert_eq!(
        v["negative"].as_u64().unwrap() + v["positive"].as_u64().unwrap() + v["zero"].as_u64().unwrap(),
        700
    );
    assert!(v.get("uncertain").is_some() && v.get("time_factor_s").is_some());
    let v = json(&[&["logdet", "--json"][..], &P].concat());
    let exact: f64 = ev.iter().map(|l| l.abs().ln()).sum();
    assert!((v["logabsdet"].as_f64().unwrap() - exact).abs() < 1e-6 * exact.abs());
    let v = json(&[&["eig", "--json", "--range", "10:12"][..], &P].concat());
    let e = v["eigenvalues"].as_array().unwrap();
    assert_eq!(e.len(), 3);
    for x in e {
        let k = x["k"].as_u64().unwrap() as usize;
        let (lo, hi) = (x["lower"].as_f64().unwrap(), x["upper"].as_f64().unwrap());
        assert!(lo <= ev[k - 1] && ev[k - 1] <= hi);
    }
    for f in ["factorizations", "time_build_s", "time_eig_s", "max_rank", "memory_bytes"] {
        assert!(v.get(f).is_some(), "eig lacks {f}");
    }
}

#[test]
fn matvec_and_solve_files() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y, z) = (dir.path().join("x.npy"), dir.path().join("y.npy"), dir.path().join("z.npy"));
    let xv = Mat::from_fn(700, 2, |i, j| ((i * 7 + j * 3) as f64 * 0.37).sin());
    hmatrix::io::write_npy(&x, xv.as_ref(), false).unwrap();
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();
    json(&[&["matvec", "--json", "--x", &s(&x), "--out", &s(&y)][..], &P].concat());
    let yv = hmatrix::io::read_npy(&y).unwrap();
    let exact = &yukawa_sphere(700) * &xv;
    assert!((&yv - &exact).norm_l2() / exact.norm_l2() < 1e-7);
    let v = json(&[&["solve", "--json", "--rhs", &s(&y), "--out", &s(&z)][..], &P].concat());
    assert_eq!(v["method"], "cholesky");
    let zv = hmatrix::io::read_npy(&z).unwrap();
    assert!((&zv - &xv).norm_l2() / xv.norm_l2() < 1e-5);
}

/// Every factoring command on the skeletonization: the output names the factorization,
/// counts, log-determinant, solve and eigenvalues agree with the dense matrix (within the
/// reported per-shift error), and a Cholesky is refused (the skeletonization has none).
#[test]
fn every_factoring_command_runs_on_both_factorizations() {
    let dense = yukawa_sphere(700);
    let ev = dense.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
    let s = (0.5 * (ev[350] + ev[351])).to_string();
    for f in ["ulv", "skel"] {
        let v = json(&[&["inertia", "--json", "--shift", &s, "--factorization", f][..], &P].concat());
        assert_eq!((v["factorization"].as_str(), v["negative"].as_u64()), (Some(f), Some(351)));
        let v = json(&[&["logdet", "--json", "--factorization", f, "--method", "ldl"][..], &P].concat());
        let exact: f64 = ev.iter().map(|l| l.abs().ln()).sum();
        assert!((v["logabsdet"].as_f64().unwrap() - exact).abs() < 1e-5 * exact.abs(), "{f}: {v}");
        let v = json(&[&["eig", "--json", "--k", "350", "--factorization", f][..], &P].concat());
        assert_eq!(v["factorization"], f);
        let e = &v["eigenvalues"][0];
        let (lo, hi) = (e["lower"].as_f64().unwrap(), e["upper"].as_f64().unwrap());
        assert!(lo <= ev[349] && ev[349] <= hi, "{f}: {e}");
        assert!((e["value"].as_f64().unwrap() - ev[349]).abs() < 1e-8 * ev[699], "{f}: {e}");
    }
    let dir = tempfile::tempdir().unwrap();
    let (b, x) = (dir.path().join("b.npy"), dir.path().join("x.npy"));
    let bv = Mat::from_fn(700, 1, |i, _| (i as f64 * 0.11).cos());
    hmatrix::io::write_npy(&b, bv.as_ref(), true).unwrap();
    let (b, x) = (b.to_str().unwrap(), x.to_str().unwrap());
    let v = json(&[&["solve", "--json", "--rhs", b, "--out", x, "--factorization", "skel"][..], &P].concat());
    assert_eq!((v["factorization"].as_str(), v["method"].as_str()), (Some("skel"), Some("ldl")));
    assert!(v["relative_residual"].as_f64().unwrap() < 1e-6, "{v}");
    let (code, _, err) =
        hm(&[&["solve", "--rhs", b, "--out", x, "--factorization", "skel", "--method", "cholesky"][..], &P]
            .concat());
    assert_eq!(code, 2, "{err}");
}

#[test]
fn bad_input_gives_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let nan_pts = w("nan.txt", "0 0 0\n1 nan 0\n");
    let empty = w("empty.mtx", "");
    let trunc = w("t.mtx", "%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n1 1 1.0\n");
    let nonsym = w("n.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 2 1.0\n2 1 3.0\n");
    let nan_entry = w("e.mtx", "%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n1 1 nan\n2 2 1.0\n");
    let three = w("three.txt", "0\n1\n2\n");
    let good = w("g.mtx", "%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n1 1 2.0\n2 2 1.0\n");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["info", "--kernel", "laplace3d", "--points", &nan_pts], "non-finite"),
        (vec!["info", "--matrix", &empty], "empty"),
        (vec!["info", "--matrix", &trunc], "end of file"),
        (vec!["info", "--matrix", &nonsym], "not symmetric"),
        (vec!["info", "--matrix", &nan_entry], "NaN"),
        (vec!["info", "--matrix", &good, "--points", &three], "size mismatch"),
        (vec!["info", "--kernel", "helmholtz", "--geometry", "sphere", "--n", "10"], "unknown kernel"),
        (vec!["info", "--kernel", "laplace3d", "--geometry", "sphere", "--n", "10", "--leaf", "0"], "leaf"),
        (
            vec!["eig", "--kernel", "laplace3d", "--geometry", "sphere", "--n", "50", "--k", "0"],
            "out of range",
        ),
        (
            vec!["eig", "--kernel", "laplace3d", "--geometry", "sphere", "--n", "50", "--k", "51"],
            "out of range",
        ),
        (
            vec!["eig", "--kernel", "laplace3d", "--geometry", "sphere", "--n", "50", "--range", "9:3"],
            "empty range",
        ),
        (
            vec!["eig", "--kernel", "laplace3d", "--geometry", "sphere", "--n", "50", "--interval", "2:1"],
            "empty range",
        ),
        (
            vec!["eig", "--kernel", "laplace3d", "--geometry", "sphere", "--n", "50", "--eig-tol", "NaN"],
            "eig_tol",
        ),
        (
            vec!["eig", "--kernel", "laplace3d", "--geometry", "sphere", "--n", "50", "--eig-tol", "1e-3"]
                .into_iter()
                .chain(["--eig-rtol", "1e-9"])
                .collect(),
            "cannot be used with",
        ),
        (
            vec!["eig", "--kernel", "laplace3d", "--geometry", "sphere", "--n", "50", "--eig-rtol", "0"],
            "eig_rtol",
        ),
        (
            vec!["eig", "--kernel", "laplace3d", "--geometry", "sphere", "--n", "50", "--eig-rtol", "-1"],
            "eig_rtol",
        ),
        (
            vec!["eig", "--kernel", "laplace3d", "--geometry", "sphere", "--n", "50", "--eig-rtol", "nan"],
            "eig_rtol",
        ),
        (
            vec!["eig", "--kernel", "laplace3d", "--geometry", "sphere", "--n", "50", "--eig-tol", "-2"],
            "eig_tol",
        ),
        (vec!["info", "--kernel", "laplace3d", "--geometry", "sphere", "--n", "0"], "empty"),
        (vec!["info", "--bogus"], "unexpected argument"),
    ];
    for (args, needle) in cases {
        let (code, _, err) = hm(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.to_lowercase().contains(&needle.to_lowercase()), "{args:?}: {err}");
    }
}

/// `eig --vectors FILE.npy` on both factorizations: the file holds n × m unit vectors in the
/// user's ordering whose residuals against the dense matrix are the reported ones
/// (≤ 1e-8·‖A‖); an unwritable path fails at once with one line and exit 2.
#[test]
fn eig_writes_vectors_in_user_order() {
    // (the sphere's points i and n − 1 − i are mirror images: a reversed ordering would
    // still give eigenvectors, but the cluster tree's ordering does not)
    let dense = yukawa_sphere(700);
    let b = P;
    let norm = dense.self_adjoint_eigenvalues(faer::Side::Lower).unwrap()[699];
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.npy");
    let o = out.to_str().unwrap();
    for f in ["ulv", "skel"] {
        let v = json(
            &[&["eig", "--json", "--range", "349:351", "--vectors", o, "--factorization", f][..], &P]
                .concat(),
        );
        let x = hmatrix::io::read_npy(&out).unwrap();
        assert_eq!((x.nrows(), x.ncols()), (700, 3), "{f}");
        assert_eq!(v["residuals_exact"], true);
        for j in 0..3 {
            let lam = v["eigenvalues"][j]["value"].as_f64().unwrap();
            let r = (&dense * x.col(j) - faer::Scale(lam) * x.col(j)).norm_l2();
            let reported = v["residuals"][j].as_f64().unwrap();
            assert!((x.col(j).norm_l2() - 1.0).abs() < 1e-12);
            assert!(
                r <= 1e-8 * norm && (r - reported).abs() <= 1e-12 * norm + 1e-6 * r,
                "{f}: {r:e} vs {reported:e}"
            );
        }
    }
    let (code, _, err) = hm(&[&["eig", "--vectors", "/nonexistent/dir/x.npy"][..], &b].concat());
    assert_eq!((code, err.trim().lines().count()), (2, 1), "{err}");
    assert!(err.contains("/nonexistent/dir/x.npy"), "{err}");
}

/// `eig` without --tol/--leaf derives the compression from the accuracy asked for (3-D:
/// tol = √rel, leaf 256; an absolute --eig-tol through the sampled ‖A‖₂ estimate), meets
/// that accuracy against the dense eigenvalue, and keeps explicit flags as given.
#[test]
fn eig_derives_compression_from_the_accuracy() {
    let dense = yukawa_sphere(700);
    let ev = dense.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
    let norm = ev[699];
    let v = json(&[&["eig", "--json", "--k", "350", "--eig-rtol", "1e-9"][..], &P].concat());
    assert_eq!((v["compression"].as_str(), v["leaf"].as_u64()), (Some("derived"), Some(256)), "{v}");
    assert!((v["tol"].as_f64().unwrap() - 1e-9f64.sqrt()).abs() < 1e-15, "{v}");
    let value = v["eigenvalues"][0]["value"].as_f64().unwrap();
    assert!((value - ev[349]).abs() <= 1e-9 * norm, "{value} vs {}", ev[349]);
    // an absolute accuracy of 1e-9·‖A‖₂: the same rule through the norm estimate
    let abs = (1e-9 * norm).to_string();
    let v = json(&[&["eig", "--json", "--k", "350", "--eig-tol", &abs][..], &P].concat());
    let tol = v["tol"].as_f64().unwrap();
    assert!(tol > 0.5 * 1e-9f64.sqrt() && tol < 2.0 * 1e-9f64.sqrt(), "{v}");
    assert_eq!(v["eig_tol"].as_f64().unwrap(), 1e-9 * norm);
    // explicit flags win, and the other one keeps its default
    let v = json(&[&["eig", "--json", "--k", "350", "--eig-rtol", "1e-9", "--tol", "1e-6"][..], &P].concat());
    assert_eq!(
        (v["compression"].as_str(), v["tol"].as_f64(), v["leaf"].as_u64()),
        (Some("given"), Some(1e-6), Some(64))
    );
    // the skeletonization's own leaf when none is given
    let v = json(&[&["inertia", "--json", "--shift", "900", "--factorization", "skel"][..], &P].concat());
    assert_eq!((v["factorization"].as_str(), v["leaf"].as_u64()), (Some("skel"), Some(128)), "{v}");
    // other commands keep the defaults
    let v = json(&[&["inertia", "--json", "--shift", "900"][..], &P].concat());
    assert_eq!(
        (v["compression"].as_str(), v["tol"].as_f64(), v["leaf"].as_u64()),
        (Some("default"), Some(1e-8), Some(64))
    );
    // points in 2-D: tol = rel, the library's leaf
    let c = ["--kernel", "yukawa", "--geometry", "circle", "--n", "600"];
    let v = json(&[&["eig", "--json", "--eig-rtol", "1e-7"][..], &c].concat());
    assert_eq!((v["tol"].as_f64(), v["leaf"].as_u64()), (Some(1e-7), Some(64)), "{v}");
    assert_eq!(v["factorization"], "ulv");
}
