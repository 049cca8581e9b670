//! O(N) factorizations of a factorizable [`H2Matrix`](crate::h2::H2Matrix), handed out by
//! its [`UlvPlan`] (the shift-independent part, computed once): the
//! generalized `LDLᵀ` of `Ã − σI` (symmetric indefinite, gives the inertia) and the ULV
//! Cholesky of an SPD `Ã`.
//!
//! Both are the same congruence `Ã − σI = 𝓛 D 𝓛ᵀ`, computed level by level from the
//! leaves: at node `c` with diagonal block `D_c` (the shifted dense block at a leaf, the
//! merged `[[S_c1, T_c], [T_cᵀ, S_c2]]` above, with `T_c = U_c1ᵀ Ã(c1,c2) U_c2`), rotate
//! `D' = Q_cᵀ D_c Q_c` with `Q_c = [U_c⊥ | U_c]`, factor the complement block `D'_⊥⊥`
//! densely (Bunch–Kaufman or Cholesky), and pass the Schur complement
//! `S_c = D'_oo − D'_o⊥ D'_⊥⊥⁻¹ D'_⊥o` to the parent. The elimination stops at a tree
//! level `t` (chosen by the plan with a flop model, `top.rs`): the Schur complements of its
//! clusters and their precomputed couplings form one dense top block, factored densely.
//! Because the bases span each cluster's whole off-diagonal block row, the complement
//! coordinates do not couple to other clusters, and the elimination of one node never
//! touches another node of its level: all nodes of a level run in parallel.
//!
//! `𝓛` is a product of orthogonal rotations and block unit-triangular eliminations, so
//! by Sylvester's law the inertia of `Ã − σI` is the sum of the inertias of all pivots.
//!
//! [`skel`] is the second design, for sizes where near-and-far bases do not fit: a
//! strong-admissibility `LDLᵀ` of `A − σI` by recursive skeletonization straight from the
//! entry source (no H² matrix), bounded skeletons on surfaces and O(N) memory, at the
//! price of a per-shift approximation (`docs/architecture.md`).

pub(crate) mod pivot;
mod plan;
pub mod skel;
mod solve;
mod top;
mod ulv;

pub use plan::{PlanParams, UlvPlan};
pub use ulv::{Cholesky, Ldlt};

/// Numbers of negative, zero and positive eigenvalues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Inertia {
    /// Eigenvalues `< 0`.
    pub negative: usize,
    /// Exactly zero pivots.
    pub zero: usize,
    /// Eigenvalues `> 0`.
    pub positive: usize,
}

impl Inertia {
    fn add_pivot(&mut self, p: f64) {
        if p < 0.0 {
            self.negative += 1
        } else if p > 0.0 {
            self.positive += 1
        } else {
            self.zero += 1
        }
    }

    fn add(&mut self, o: Inertia) {
        self.negative += o.negative;
        self.zero += o.zero;
        self.positive += o.positive;
    }
}

/// `det = sign · exp(logabsdet)`; `sign = 0` for a singular matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LogDet {
    /// −1, 0 or +1.
    pub sign: f64,
    /// `log |det|` (−∞ when singular).
    pub logabsdet: f64,
}

impl LogDet {
    fn one() -> Self {
        LogDet { sign: 1.0, logabsdet: 0.0 }
    }

    fn mul(&mut self, d: f64) {
        self.sign *= d.signum() * if d == 0.0 { 0.0 } else { 1.0 };
        self.logabsdet += d.abs().ln();
    }

    fn combine(&mut self, o: LogDet) {
        self.sign *= o.sign;
        self.logabsdet += o.logabsdet;
    }
}
