mod common;
use common::*;
use hmatrix::block::Admissibility;
use hmatrix::h2::{BasisSpan, H2Params};

#[test]
fn scratch() {
    for (k, g, n) in [("laplace3d", "sphere", 2048), ("yukawa", "ball", 2048), ("gaussian", "sphere", 2048)] {
        let p = kernel_problem(k, g, n, 0.0);
        for tol in [1e-4, 1e-8] {
            for (adm, span) in [
                (Admissibility::default(), BasisSpan::NearAndFar),
                (Admissibility::Weak, BasisSpan::NearAndFar),
                (Admissibility::default(), BasisSpan::FarOnly),
            ] {
                let t = std::time::Instant::now();
                let h = build(&p, H2Params { tol, admissibility: adm, basis: span, ..Default::default() });
                let e = matvec_rel_err(&h, &p.dense, 1);
                let r = h.report();
                println!("{k} {g} {n} tol {tol:e} {adm:?} {span:?}: err {e:.2e} est {:.2e} max rank {} ranks {:?} mem {:.1}MB t {:.2}s", r.rel_err_estimate, r.max_rank, r.ranks.iter().map(|x| x.max).collect::<Vec<_>>(), r.memory_bytes as f64/1e6, t.elapsed().as_secs_f64());
            }
        }
    }
}
