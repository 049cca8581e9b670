//! Eigenvalue enclosures from Rayleigh quotients and residuals (Kato–Temple, residual
//! bound): the arithmetic shared by refinement (`refine.rs`, for `Ã_f`) and certification
//! (`exact.rs`, for `A`).

/// One eigenvalue enclosed by refinement (of `Ã_f` inside `iterate`, of `A` once certified).
#[derive(Debug, Clone, Copy)]
pub(super) struct Enclosed {
    pub(super) k: usize,
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) value: f64,
}

/// Kato–Temple and residual enclosure of the single eigenvalue in `(a, b)` from a unit
/// vector's Rayleigh quotient `rho` and residual norm `r`.
pub(super) fn enclosure(a: f64, b: f64, rho: f64, r: f64) -> (f64, f64) {
    let (mut l, mut u) = (a, b);
    if a < rho - r && rho + r < b {
        (l, u) = (rho - r, rho + r);
    }
    if a < rho && rho < b {
        l = l.max(rho - r * r / (b - rho));
        u = u.min(rho + r * r / (rho - a));
    }
    (l, u)
}
