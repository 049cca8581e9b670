//! The names most programs need: `use hmatrix::prelude::*;`.

pub use crate::block::Admissibility;
pub use crate::eigen::{EigParams, Eigenvalue, Spectrum};
pub use crate::error::{Error, Result};
pub use crate::factor::{Cholesky, Inertia, Ldlt, LogDet, PlanParams, UlvPlan};
pub use crate::geometry::{Geometry, Points};
pub use crate::h2::{BasisSpan, H2Matrix, H2Params};
pub use crate::kernel::{Kernel, RadialKernel};
pub use crate::par::Par;
pub use crate::source::{DenseSource, EntrySource, FnSource, KernelSource};
