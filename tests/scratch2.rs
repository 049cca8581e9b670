mod common;
use common::*;
use hmatrix::h2::H2Params;
#[test]
fn scratch2() {
    for (k, g, n) in [
        ("laplace2d", "circle", 4096),
        ("laplace3d", "circle", 4096),
        ("laplace3d", "sphere", 4096),
        ("gaussian", "sphere", 4096),
        ("yukawa", "ball", 4096),
    ] {
        let p = kernel_problem(k, g, n, 0.0);
        for se in [1.0, 0.5, 0.7] {
            let t = std::time::Instant::now();
            let h = build(&p, H2Params { tol: 1e-8, sampling_eta: se, ..Default::default() });
            let tb = t.elapsed().as_secs_f64();
            let e = matvec_rel_err(&h, &p.dense, 1);
            println!(
                "{k} {g} se {se}: err {e:.2e} ranks {:?} fb {} t {tb:.2}",
                h.report().ranks.iter().map(|x| x.max).collect::<Vec<_>>(),
                h.report().far_sample_fallbacks
            );
        }
    }
}
