mod common;
use common::*;
use faer::Side;
use hmatrix::eigen::{EigParams, Spectrum};
use hmatrix::geometry::Points;
use hmatrix::h2::{H2Matrix, H2Params};
use hmatrix::source::{DenseSource, EntrySource};

#[test]
fn scratch() {
    for (k, g, n, nug) in [
        ("laplace3d", "sphere", 2048, 0.0),
        ("yukawa", "ball", 2048, 0.0),
        ("gaussian", "sphere", 1024, 1e-3),
    ] {
        let p = kernel_problem(k, g, n, nug);
        let ev = p.dense.self_adjoint_eigenvalues(Side::Lower).unwrap();
        let anorm = ev.iter().fold(0f64, |a, &b| a.max(b.abs()));
        let h = build(&p, H2Params { tol: 1e-8, ..Default::default() });
        let t = std::time::Instant::now();
        let s = Spectrum::new(&h, &p.src, &EigParams::default()).unwrap();
        let r = s.range(n / 2 - 15, n / 2 + 16).unwrap();
        let one = s.kth(n / 4).unwrap();
        let st = s.stats();
        let mut worst = 0f64;
        let mut inside = true;
        for e in r.iter().chain([&one]) {
            let refv = ev[e.k - 1];
            worst = worst.max((e.value - refv).abs());
            inside &= e.lower <= refv && refv <= e.upper;
        }
        println!("{k} {g} {n}: worst err/|A| {:.2e} inside {inside} delta/|A| {:.2e} eig_tol {:.1e} facts {} time {:.2}s normest/|A| {:.4}", worst / anorm, st.error_estimate / anorm, st.eig_tol, st.factorizations, t.elapsed().as_secs_f64(), st.norm_estimate / anorm);
    }
    // ELSES C60
    let a = hmatrix::io::read_matrix(std::path::Path::new("/work/shared/data/elses/c60_single_n240.mtx.gz"))
        .unwrap();
    let refs: Vec<f64> = std::fs::read_to_string("/work/shared/data/elses/c60_single_n240.eigenvalues.txt")
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().last()?.parse().ok())
        .collect();
    let src = DenseSource::new(a).unwrap();
    let pts = Points::index_line(240).unwrap();
    let h = H2Matrix::build(
        &src as &dyn EntrySource,
        &pts,
        1,
        H2Params { tol: 1e-12, leaf_size: 32, ..Default::default() },
        None,
    )
    .unwrap();
    let s = Spectrum::new(&h, &src, &EigParams { eig_tol: Some(1e-12), ..Default::default() }).unwrap();
    let all = s.range(1, 240).unwrap();
    let worst = all.iter().map(|e| (e.value - refs[e.k - 1]).abs()).fold(0f64, f64::max);
    println!(
        "C60: {} refs, worst {worst:.2e}, facts {}, ranks {:?}",
        refs.len(),
        s.stats().factorizations,
        h.report().ranks
    );
}
