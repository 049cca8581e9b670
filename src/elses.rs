//! Electronic-structure matrices: the ELSES tight-binding Hamiltonian of carbon
//! (Omata et al., Physica E 29, 454 (2005)), entry by entry from atom positions.
//!
//! Four sp3-hybrid orbitals per atom, `h_a = ½ s + (√3/2) d_a·p` with fixed lab-frame
//! directions `d_0 = (1,1,1)/√3`, `d_1 = (−1,−1,1)/√3`, `d_2 = (1,−1,−1)/√3`,
//! `d_3 = (−1,1,−1)/√3`; orbital `i` belongs to atom `⌊i/4⌋`. Energies in Hartree
//! (`1 a.u. = 27.2116 eV`, the value ELSES uses), distances in Å.
//!
//! - on-site: `(E_s + 3E_p)/4` on the diagonal, `(E_s − E_p)/4` elsewhere in the atom's block;
//! - atoms `I ≠ J` at distance `r`, `l = (R_J − R_I)/r`, `α = d_a·l`, `β = d_b·l`:
//!   `H = ¼ [V_ssσ + √3 (β − α) V_spσ + 3αβ V_ppσ + 3 (d_a·d_b − αβ) V_ppπ]`,
//!   `V_k = V0_k f(r) / E`, `f(r) = (r0/r)^n exp(n[(r0/rc)^nc − (r/rc)^nc])`;
//! - entries with `|H| < 1e-12` are dropped, as ELSES does.
//!
//! The matrix is never stored: [`ElsesSource`] evaluates any block on demand, and the
//! cluster tree keeps the 4 orbitals of an atom together (`group = 4`).

use crate::error::{Error, Result};
use crate::geometry::Points;
use crate::source::EntrySource;
use faer::MatMut;
use rand::{Rng, SeedableRng};

const EV: f64 = 2.0 * 13.6058;
const ES: f64 = -3.35 / EV;
const EP: f64 = 3.35 / EV;
const R0: f64 = 1.42720722;
const NEXP: f64 = 2.38573234;
const RC: f64 = 8.04301633;
const NC: f64 = 1.76325031;
/// (ssσ, spσ, ppσ, ppπ) in eV.
const V0: [f64; 4] = [-5.0, 4.7, 5.5, -1.55];
/// ELSES drops smaller entries.
const DROP: f64 = 1e-12;
/// Orbitals per atom.
pub const ORBITALS: usize = 4;
/// Edge of the C60 FCC 1×1×1 cell in Å (for supercells).
pub const CELL_EDGE: f64 = 28.34;

/// The 4×4 orbital block of a pair of atoms.
pub type AtomBlock = [[f64; 4]; 4];

fn directions() -> [[f64; 3]; 4] {
    let s = 1.0 / 3f64.sqrt();
    [[s, s, s], [-s, -s, s], [s, -s, -s], [-s, s, -s]]
}

/// The Hamiltonian of carbon atoms at `atoms` (Å): `n = 4 · #atoms`.
pub struct ElsesSource {
    atoms: Points,
    dirs: [[f64; 3]; 4],
    /// `(ln r0, n (r0/rc)^nc, ln rc)` of the radial function.
    radial: (f64, f64, f64),
}

impl ElsesSource {
    /// # Errors
    /// [`Error::BadDimension`] unless the positions are 3-D, [`Error::DuplicatePoints`]
    /// if two atoms coincide.
    pub fn new(atoms: Points) -> Result<Self> {
        if atoms.dim() != 3 {
            return Err(Error::BadDimension { dim: atoms.dim() });
        }
        atoms.check_distinct()?;
        Ok(Self { atoms, dirs: directions(), radial: (R0.ln(), NEXP * (R0 / RC).powf(NC), RC.ln()) })
    }

    /// The atom positions.
    pub fn atoms(&self) -> &Points {
        &self.atoms
    }

    /// The 4×4 block coupling atoms `i` and `j`, row = orbital of `i`.
    pub fn atom_block(&self, i: usize, j: usize) -> AtomBlock {
        let mut h = [[0.0; 4]; 4];
        if i == j {
            for (a, row) in h.iter_mut().enumerate() {
                for (b, v) in row.iter_mut().enumerate() {
                    *v = if a == b { (ES + 3.0 * EP) / 4.0 } else { (ES - EP) / 4.0 };
                }
            }
            return h;
        }
        let (p, q) = (self.atoms.point(i), self.atoms.point(j));
        let d = [q[0] - p[0], q[1] - p[1], q[2] - p[2]];
        let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        let l = [d[0] / r, d[1] / r, d[2] / r];
        // f(r) = (r0/r)^n exp(n[(r0/rc)^nc − (r/rc)^nc]) with one logarithm and two
        // exponentials instead of three powers (rounding differs by ~1e-16 relative)
        let (lr, (ln_r0, k, ln_rc)) = (r.ln(), self.radial);
        let f = (NEXP * (ln_r0 - lr) + k - NEXP * (NC * (lr - ln_rc)).exp()).exp();
        let v = V0.map(|v0| v0 * f / EV);
        let dot = |x: &[f64; 3], y: &[f64; 3]| x[0] * y[0] + x[1] * y[1] + x[2] * y[2];
        for (a, row) in h.iter_mut().enumerate() {
            let alpha = dot(&self.dirs[a], &l);
            for (b, out) in row.iter_mut().enumerate() {
                let beta = dot(&self.dirs[b], &l);
                let dd = dot(&self.dirs[a], &self.dirs[b]);
                let e = 0.25
                    * (v[0]
                        + 3f64.sqrt() * (beta - alpha) * v[1]
                        + 3.0 * alpha * beta * v[2]
                        + 3.0 * (dd - alpha * beta) * v[3]);
                *out = if e.abs() < DROP { 0.0 } else { e };
            }
        }
        h
    }
}

impl EntrySource for ElsesSource {
    fn n(&self) -> usize {
        ORBITALS * self.atoms.len()
    }

    fn points(&self) -> Option<&Points> {
        Some(&self.atoms)
    }

    fn group(&self) -> usize {
        ORBITALS
    }

    fn block(&self, rows: &[usize], cols: &[usize], mut out: MatMut<'_, f64>) {
        // each pair of atom runs (consecutive indices of one atom) costs one atom block
        let (row_runs, col_runs) = (atom_runs(rows), atom_runs(cols));
        for &(c0, c1) in &col_runs {
            let j = cols[c0] / ORBITALS;
            for &(r0, r1) in &row_runs {
                let blk = self.atom_block(rows[r0] / ORBITALS, j);
                for b in c0..c1 {
                    for a in r0..r1 {
                        out[(a, b)] = blk[rows[a] % ORBITALS][cols[b] % ORBITALS];
                    }
                }
            }
        }
    }
}

/// Maximal runs `start..end` of positions in `idx` whose indices belong to one atom.
fn atom_runs(idx: &[usize]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = 0;
    for p in 1..=idx.len() {
        if p == idx.len() || idx[p] / ORBITALS != idx[start] / ORBITALS {
            runs.push((start, p));
            start = p;
        }
    }
    runs
}

/// Replicates a cubic cell `nx × ny × nz` times (cell edge `edge` Å) and adds uniform
/// noise in `[−noise, noise]` to every coordinate, deterministically for a seed.
///
/// # Errors
/// [`Error::InvalidParameter`] for a zero repeat or a negative/non-finite noise or edge.
pub fn supercell(cell: &Points, repeat: [usize; 3], edge: f64, noise: f64, seed: u64) -> Result<Points> {
    if repeat.contains(&0) {
        return Err(Error::invalid("repeat", format!("{repeat:?}"), "three positive integers"));
    }
    if !(noise.is_finite() && noise >= 0.0 && edge.is_finite() && edge > 0.0) {
        return Err(Error::invalid("noise/edge", format!("{noise}/{edge}"), "finite, noise ≥ 0, edge > 0"));
    }
    if cell.dim() != 3 {
        return Err(Error::BadDimension { dim: cell.dim() });
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut c = Vec::with_capacity(3 * cell.len() * repeat.iter().product::<usize>());
    for ix in 0..repeat[0] {
        for iy in 0..repeat[1] {
            for iz in 0..repeat[2] {
                let shift = [ix as f64 * edge, iy as f64 * edge, iz as f64 * edge];
                for p in 0..cell.len() {
                    for (a, x) in cell.point(p).iter().enumerate() {
                        let e = if noise > 0.0 { rng.random_range(-noise..=noise) } else { 0.0 };
                        c.push(x + shift[a] + e);
                    }
                }
            }
        }
    }
    Points::new(3, c)
}
