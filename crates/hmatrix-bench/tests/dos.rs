//! The density-of-states logic of `examples/density_of_states.rs` (grid counts, DOS
//! bins, Fermi-level refinement) against the dense eigenvalues of the single-C60 ELSES
//! Hamiltonian (N = 240).
#[path = "../examples/common/dos.rs"]
mod dos;

use faer::Side;
use hmatrix::eigen::{EigParams, Spectrum};
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::h2::H2Matrix;
use hmatrix::source::DenseSource;

fn c60() -> (DenseSource, Vec<f64>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/c60_single_n240.mtx.gz");
    let a = hmatrix::io::read_matrix(&path).expect("data/c60_single_n240.mtx.gz is shipped with the crate");
    let ev = a.self_adjoint_eigenvalues(Side::Lower).unwrap();
    (DenseSource::new(a).unwrap(), ev)
}

fn below(ev: &[f64], s: f64) -> usize {
    ev.iter().filter(|&&l| l < s).count()
}

#[test]
fn grid_counts_and_fermi_level_match_dense_eigenvalues() {
    let (src, ev) = c60();
    // no points: the indices are clustered in order (the points of a line)
    let h = H2Matrix::builder(&src).tol(1e-10).leaf_size(32).build().unwrap();
    let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
    let s = Spectrum::new(&plan, &EigParams::default()).unwrap();
    let (delta, norm) = (s.stats().error_estimate, s.stats().norm_estimate);
    let shifts = dos::grid(-1.4, 0.6, 101).unwrap();
    assert_eq!((shifts[0], shifts[100]), (-1.4, 0.6));
    let counts = dos::count_grid(&plan, &shifts, delta, norm).unwrap();
    for c in &counts {
        assert_eq!(c.uncertain, 0, "σ = {} within δ of an eigenvalue", c.shift);
        assert_eq!(c.count, below(&ev, c.shift), "ν({})", c.shift);
    }
    // the histogram conserves the number of eigenvalues in the grid
    let (edges, heights) = dos::density(&counts, 25);
    assert_eq!((edges.len(), heights.len()), (26, 25));
    let total: f64 = heights.iter().zip(edges.windows(2)).map(|(h, e)| h * (e[1] - e[0])).sum();
    assert!((total - 240.0).abs() < 1e-9, "{total}");
    // HOMO λ_120, LUMO λ_121: brackets contain the dense values, the Fermi level is in the gap
    let f = dos::refine_fermi(&plan, &counts, 120, 20, norm).unwrap();
    assert_eq!(f.counts, 40);
    let (homo, lumo) = (ev[119], ev[120]);
    assert!(f.homo.lower - delta <= homo && homo <= f.homo.upper + delta, "{:?} vs {homo}", f.homo);
    assert!(f.lumo.lower - delta <= lumo && lumo <= f.lumo.upper + delta, "{:?} vs {lumo}", f.lumo);
    assert!(f.homo.upper - f.homo.lower < 0.02 / 2f64.powi(19));
    assert!(homo < f.level && f.level < lumo && below(&ev, f.level) == 120);
    let (g0, g1) = f.gap(delta);
    assert!(g0 <= lumo - homo && lumo - homo <= g1 && g1 - g0 < 1e-7, "[{g0}, {g1}]");
    // a window without λ_121 cannot place the Fermi level
    let window = dos::count_grid(&plan, &dos::grid(-1.4, 0.13, 11).unwrap(), delta, norm).unwrap();
    assert!(dos::refine_fermi(&plan, &window, 120, 4, norm).unwrap_err().contains("λ_121"));
}

#[test]
fn bad_grids_are_errors() {
    assert!(dos::grid(1.0, 0.0, 10).is_err());
    assert!(dos::grid(0.0, 1.0, 1).is_err());
    assert!(dos::grid(f64::NAN, 1.0, 10).is_err());
    assert!(dos::grid(0.0, f64::INFINITY, 10).is_err());
    assert_eq!(dos::density(&[], 10), (vec![], vec![]));
}
