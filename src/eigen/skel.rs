//! The strong skeletonization as an [`InertiaCounter`](super::InertiaCounter): no H²
//! matrix is built, so N is limited by one factorization's memory (O(N) on surfaces), not
//! by the near-and-far bases.
//!
//! Each count is the exact inertia of `M_σ − σI` with `M_σ = A + E(σ)`, `E(σ)` the dropped
//! ID residuals carried through the elimination (`factor::skel`), so there is no fixed
//! matrix: every factorization reports its own error `ε(σ)`, measured on its stored
//! factors ([`shift_error`]).
//!
//! `‖A‖` and the start interval come from exact entries: the mean eigenvalue `tr(A)/n`
//! (O(n)) and Gershgorin discs estimated from sampled rows (O(mn)); an end of the start
//! interval is counted only when a result's bracket rests on it.

use super::counter::Estimates;
use super::estimate::lanczos_quadrature;
use crate::error::{Error, Result};
use crate::factor::skel::{SkelFactor, Skeletonization};
use crate::source::{checked_entries, exact_product};
use faer::Mat;
use rand::seq::index::sample;
use rand::Rng;
use rand::SeedableRng;
use rand_distr::StandardNormal;

/// Largest n whose per-shift error is measured with exact products (two products of
/// [`PROBES`] columns per factorization, `n²` entries each: at n = 16384 about what one
/// factorization costs, twice that at 65536); above it `ε(σ) = FALLBACK_FACTOR·tol·‖A‖`.
pub const MEASURED_ERROR_LIMIT: usize = 1 << 16;
/// Gaussian probes of the power bound.
const PROBES: usize = 8;
/// α of the power bound: it fails with probability at most `α^(−PROBES)` (6e-7).
const ALPHA: f64 = 6.0;
/// `ε = c·tol·‖A‖` where no measurement is affordable: the wrong counts measured on five
/// kernel matrices lay within 0.27·tol·‖A‖ of an eigenvalue, the C60 2×2×2 HOMO 1.2
/// (`docs/architecture.md`) — but `‖E(σ)‖₂` itself was measured larger (up to 28·tol·‖A‖
/// on the 16384-point sphere), so above the limit brackets are estimates, not Weyl bounds.
const FALLBACK_FACTOR: f64 = 4.0;

/// Spectrum estimates: Gershgorin discs of `rows` sampled rows and the mean eigenvalue
/// from exact entries (which also finds non-finite entries, by global row and column), then
/// 24 Lanczos steps on `M_μ = A + E(μ)` through the stored factors of one factorization at
/// the mean eigenvalue μ (applies cost O(stored entries)): ends, norm and the density
/// model that aims the cuts, as the ULV gets them from the H² matvec. The Gershgorin ends
/// are kept where that factorization fails. δ is the rounding allowance `1e-12·‖A‖` (the
/// errors come with each count); the default bracket width is `0.1·tol·‖A‖` (bisection
/// below the per-shift error learns little).
///
/// # Errors
/// As [`gershgorin`] and [`Skeletonization::factor`], except a non-finite pivot.
pub(super) fn estimates(sk: &Skeletonization<'_>, rows: usize, seed: u64) -> Result<Estimates> {
    let [lo, hi, mean] = gershgorin(sk, rows, seed)?;
    let ((ends, model), factorizations) = match sk.factor(mean) {
        Ok(f) => {
            let op = |x: faer::MatRef<'_, f64>| f.apply(x) + faer::Scale(mean) * x;
            let (e, m) = lanczos_quadrature(sk.n(), op, seed);
            (((e.0.max(lo), e.1.min(hi)), m), 1)
        }
        Err(Error::NonFinitePivot { .. }) => (((lo, hi), None), 1),
        Err(e) => return Err(e),
    };
    let norm = ends.0.abs().max(ends.1.abs());
    let scale = if norm > 0.0 { norm } else { 1.0 };
    let eig_tol = (0.1 * sk.params().tol * scale).max(1e-14 * scale);
    Ok(Estimates { ends, norm, mean, delta: 1e-12 * scale, eig_tol, model, factorizations })
}

/// `ε(σ) ≥ ‖E(σ)‖₂`, `E(σ) = F(σ) − (A − σI)` the error of the factored matrix, with
/// probability at least `1 − α^(−r)` = `1 − 6^(−8)` ≈ `1 − 6e-7` (for n ≤
/// [`MEASURED_ERROR_LIMIT`]): for `r` standard Gaussian vectors `ω_i` (seeded by the shift's
/// bits) and any matrix `B`, `‖B‖₂ ≤ α·√(2/π)·max_i ‖B ω_i‖` except with probability
/// `α^(−r)` (Dixon 1983; Halko, Martinsson & Tropp 2011, Lemma 4.1). With `B = E²`
/// (`E` symmetric, `‖E²‖₂ = ‖E‖₂²`): `ε = √(α·√(2/π)·max_i ‖E² ω_i‖)`. `E v = F v + σv − A v`
/// costs one apply of the stored factors and one exact product with `A`; the power step
/// makes the bound tight where `E`'s singular values decay (measured `‖E²‖_F ≈ 1.4‖E‖₂²`
/// on kernel matrices; against the dense `‖E‖₂` the bound was 3.3× and 3.5× above it).
/// `‖E(σ)‖₂` depends on σ: 0.24·tol·‖A‖ at one shift and 12·tol·‖A‖ at another of the same
/// 1600-point sphere (near an eigenvalue of an eliminated block the elimination amplifies
/// the dropped residuals), and it grows with n. Above the limit the products cost more
/// than the factorization: `ε = 4·tol·‖A‖`, an estimate, not a bound.
///
/// # Errors
/// [`Error::InvalidParameter`] when a product with `A` is not finite (non-finite entries).
pub(super) fn shift_error(sk: &Skeletonization<'_>, f: &SkelFactor<'_>, norm: f64) -> Result<f64> {
    let n = sk.n();
    if n > MEASURED_ERROR_LIMIT {
        return Ok(FALLBACK_FACTOR * sk.params().tol * norm);
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5eed ^ f.shift().to_bits());
    let omega = Mat::from_fn(n, PROBES.min(n), |_, _| rng.sample::<f64, _>(StandardNormal));
    let apply_e = |v: &Mat<f64>| {
        let mut ev = f.apply(v.as_ref()) - exact_product(sk.source(), v.as_ref(), sk.params().par);
        ev += faer::Scale(f.shift()) * v;
        ev
    };
    let e2 = apply_e(&apply_e(&omega));
    let top = (0..e2.ncols()).map(|j| e2.col(j).norm_l2()).fold(0.0, f64::max);
    if !top.is_finite() {
        return Err(Error::invalid("matrix", "a non-finite product with A", "finite entries"));
    }
    Ok((ALPHA * (2.0 / std::f64::consts::PI).sqrt() * top).sqrt())
}

/// `[lower end, upper end, mean eigenvalue]` of the spectrum from exact entries: the
/// diagonal (O(n)) and the largest off-diagonal row sum of `rows` sampled rows (seeded),
/// evaluated one row at a time (a 64 × N block would be 512 MB at N = 2^20).
fn gershgorin(sk: &Skeletonization<'_>, rows: usize, seed: u64) -> Result<[f64; 3]> {
    let src = sk.source();
    let n = src.n();
    let diag: Vec<f64> = (0..n).map(|i| src.entry(i, i)).collect();
    if let Some(i) = diag.iter().position(|d| !d.is_finite()) {
        return Err(Error::NonFiniteEntry { row: i, col: i });
    }
    let mean = diag.iter().sum::<f64>() / n as f64;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let all: Vec<usize> = (0..n).collect();
    let mut radius = 0f64;
    for i in sample(&mut rng, n, rows.min(n)) {
        let row = checked_entries(src, &[i], &all)?;
        let r: f64 = (0..n).filter(|&j| j != i).map(|j| row[(0, j)].abs()).sum();
        if !r.is_finite() {
            return Err(Error::invalid(
                "matrix",
                format!("row {i} (its absolute sum overflows)"),
                "rows with a finite absolute sum",
            ));
        }
        radius = radius.max(r);
    }
    let (dmin, dmax) =
        diag.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &d| (a.min(d), b.max(d)));
    let pad = 1.05 * radius + 1e-12 * dmax.abs().max(dmin.abs()).max(f64::MIN_POSITIVE);
    Ok([dmin - pad, dmax + pad, mean])
}
