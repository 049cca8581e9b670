//! Integrated density of states ν(σ) = #{λ < σ} on a grid of shifts, from certified
//! inertia counts only (no eigenvalues), and the HOMO/LUMO brackets around the Fermi
//! level by a few bisection counts starting from the grid.
//!
//! Shared by `examples/density_of_states.rs` and `tests/dos.rs` (included by path).

use hmatrix::eigen::certified_inertia;
use hmatrix::factor::UlvPlan;
use hmatrix::Error;
use rayon::prelude::*;

/// ν at one shift: `count` is exact for the compressed matrix `Ã_f`; the count of the
/// input matrix lies within `count ± uncertain` (it equals `count` when `uncertain = 0`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridCount {
    /// The shift actually factored (moved by ~1e-9·‖A‖ if the grid point hit a zero pivot).
    pub shift: f64,
    pub count: usize,
    pub uncertain: usize,
}

/// `m ≥ 2` equally spaced shifts from `from` to `to` (both included).
///
/// # Errors
/// A one-line message for non-finite ends, `from ≥ to` or `m < 2`.
pub fn grid(from: f64, to: f64, m: usize) -> Result<Vec<f64>, String> {
    if !(from.is_finite() && to.is_finite() && from < to) {
        return Err(format!("the shift range [{from}, {to}] must be finite with from < to"));
    }
    if m < 2 {
        return Err(format!("--shifts {m}: need at least 2 shifts"));
    }
    let h = (to - from) / (m - 1) as f64;
    Ok((0..m).map(|i| if i + 1 == m { to } else { from + h * i as f64 }).collect())
}

/// Small move away from a shift that produced a zero or non-finite pivot (as `Spectrum`).
fn nudge(sigma: f64, scale: f64, attempt: usize) -> f64 {
    sigma + (1e-9 * scale + 4.0 * f64::EPSILON * sigma.abs()) * attempt as f64
}

/// Certified ν at every shift (three factorizations each: σ − δ, σ, σ + δ), in parallel
/// over the shifts. `delta` bounds `‖A − Ã_f‖₂` (`Spectrum::stats().error_estimate`),
/// `scale` is a norm estimate used only to size the move off a singular shift.
///
/// # Errors
/// Factorization errors other than a singular shift (moved up to three times).
pub fn count_grid(
    plan: &UlvPlan<'_>,
    shifts: &[f64],
    delta: f64,
    scale: f64,
) -> hmatrix::Result<Vec<GridCount>> {
    shifts
        .par_iter()
        .map(|&sigma| {
            let mut last = Error::ShiftUncertain { shift: sigma };
            for attempt in 0..4 {
                let s = nudge(sigma, scale, attempt);
                match certified_inertia(plan, s, (delta, 0.0)) {
                    Ok(c) if c.inertia.zero == 0 => {
                        return Ok(GridCount { shift: s, count: c.inertia.negative, uncertain: c.uncertain })
                    }
                    Ok(_) => last = Error::ShiftUncertain { shift: sigma },
                    Err(e @ Error::NonFinitePivot { .. }) => last = e,
                    Err(e) => return Err(e),
                }
            }
            Err(last)
        })
        .collect()
}

/// ν(σ) of `Ã_f` alone (one factorization, moved off a singular shift).
///
/// # Errors
/// As [`count_grid`].
pub fn count(plan: &UlvPlan<'_>, sigma: f64, scale: f64) -> hmatrix::Result<usize> {
    for attempt in 0..4 {
        match plan.ldlt(nudge(sigma, scale, attempt)) {
            Ok(f) if f.inertia().zero == 0 => return Ok(f.inertia().negative),
            Ok(_) | Err(Error::NonFinitePivot { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Err(Error::ShiftUncertain { shift: sigma })
}

/// DOS histogram from the grid counts: `bins` bins of about equal width, each made of
/// whole grid cells (at most one bin per cell), with height `Δν / Δσ` (eigenvalues of
/// `Ã_f` per unit energy). Returns the bin edges and one height per bin.
pub fn density(counts: &[GridCount], bins: usize) -> (Vec<f64>, Vec<f64>) {
    if counts.len() < 2 {
        return (Vec::new(), Vec::new());
    }
    let cells = counts.len() - 1;
    let bins = bins.clamp(1, cells);
    let idx: Vec<usize> = (0..=bins).map(|j| (j * cells + bins / 2) / bins).collect();
    let edges = idx.iter().map(|&i| counts[i].shift).collect();
    let rate = |a: &GridCount, b: &GridCount| (b.count as f64 - a.count as f64) / (b.shift - a.shift);
    let heights = idx.windows(2).map(|w| rate(&counts[w[0]], &counts[w[1]])).collect();
    (edges, heights)
}

/// `[lower, upper]` containing `λ_k(Ã_f)` (widen by δ for the input matrix).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bracket {
    pub k: usize,
    pub lower: f64,
    pub upper: f64,
}

/// HOMO `λ_filled`, LUMO `λ_filled+1`, the Fermi level (mid-gap: every σ in
/// `(HOMO, LUMO]` has ν(σ) = filled) and the extra factorizations the refinement used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fermi {
    pub homo: Bracket,
    pub lumo: Bracket,
    pub level: f64,
    pub counts: usize,
}

impl Fermi {
    /// Bracket of the gap `λ_filled+1 − λ_filled` of the input matrix (brackets widened by δ).
    pub fn gap(&self, delta: f64) -> (f64, f64) {
        let lo = (self.lumo.lower - delta) - (self.homo.upper + delta);
        (lo.max(0.0), (self.lumo.upper + delta) - (self.homo.lower - delta))
    }
}

/// The grid cell `[σ_i, σ_j]` with ν(σ_i) < k ≤ ν(σ_j), i.e. `σ_i ≤ λ_k < σ_j`.
fn grid_bracket(grid: &[GridCount], k: usize) -> Result<Bracket, String> {
    let above = grid.iter().position(|c| c.count >= k);
    match above {
        Some(j) if j > 0 => Ok(Bracket { k, lower: grid[j - 1].shift, upper: grid[j].shift }),
        _ => {
            let (a, b) = (grid[0].shift, grid[grid.len() - 1].shift);
            Err(format!("λ_{k} is not inside the shift range [{a}, {b}]: widen --from/--to"))
        }
    }
}

/// `steps` bisection counts on the grid bracket of `λ_k`; returns the bracket and the
/// number of counts.
fn bisect(plan: &UlvPlan<'_>, mut b: Bracket, steps: usize, scale: f64) -> Result<(Bracket, usize), String> {
    let mut used = 0;
    for _ in 0..steps {
        let mid = 0.5 * (b.lower + b.upper);
        if mid <= b.lower || mid >= b.upper {
            break;
        }
        used += 1;
        if count(plan, mid, scale).map_err(|e| e.to_string())? >= b.k {
            b.upper = mid;
        } else {
            b.lower = mid;
        }
    }
    Ok((b, used))
}

/// HOMO/LUMO brackets and the Fermi level from grid counts (ascending shifts, counts of
/// `Ã_f`), refined by `steps` bisection counts each (HOMO and LUMO in parallel).
///
/// # Errors
/// When λ_filled or λ_filled+1 lies outside the grid, or a factorization fails.
pub fn refine_fermi(
    plan: &UlvPlan<'_>,
    grid: &[GridCount],
    filled: usize,
    steps: usize,
    scale: f64,
) -> Result<Fermi, String> {
    if grid.is_empty() || filled == 0 || filled >= plan.n() {
        return Err(format!("cannot place the Fermi level: {filled} filled of {} states", plan.n()));
    }
    let (h0, l0) = (grid_bracket(grid, filled)?, grid_bracket(grid, filled + 1)?);
    let (homo, lumo) = rayon::join(|| bisect(plan, h0, steps, scale), || bisect(plan, l0, steps, scale));
    let ((homo, nh), (lumo, nl)) = (homo?, lumo?);
    let level = 0.25 * (homo.lower + homo.upper + lumo.lower + lumo.upper);
    Ok(Fermi { homo, lumo, level, counts: nh + nl })
}
