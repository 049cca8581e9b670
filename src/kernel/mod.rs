//! Kernels k(x, y) = f(‖x − y‖) that define a symmetric matrix A_ij = k(x_i, x_j) on a point cloud.

mod radial;

use crate::batch::{map_at_points, map_at_points_with, Simd};
use crate::error::{Error, Result};
use crate::geometry::Points;
use faer::MatMut;

/// A symmetric kernel: `eval(x, y) == eval(y, x)` is required (the construction samples
/// `A(J, I)` for `A(I, J)ᵀ`).
pub trait Kernel: Send + Sync {
    /// k(x, y) for two points of equal dimension.
    fn eval(&self, x: &[f64], y: &[f64]) -> f64;

    /// `out[a] = k(x_{rows[a]}, y)`: one column of a block. Override it to batch the
    /// evaluation (the radial kernels run it with SIMD, `crate::batch`).
    fn eval_column(&self, points: &Points, rows: &[usize], y: &[f64], out: &mut [f64]) {
        for (o, &i) in out.iter_mut().zip(rows) {
            *o = self.eval(points.point(i), y);
        }
    }

    /// `out[(a, b)] = k(x_{rows[a]}, x_{cols[b]})`: a whole block, column by column with
    /// [`Kernel::eval_column`]. Override it to share work between the columns.
    fn eval_block(&self, points: &Points, rows: &[usize], cols: &[usize], mut out: MatMut<'_, f64>) {
        let mut col = vec![0.0; rows.len()];
        for (b, &j) in cols.iter().enumerate() {
            self.eval_column(points, rows, points.point(j), &mut col);
            for (a, &v) in col.iter().enumerate() {
                out[(a, b)] = v;
            }
        }
    }
}

/// Built-in radial kernels; `r = ‖x − y‖`. Defaults are those of [`RadialKernel::from_name`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RadialKernel {
    /// 3-D Laplace `1 / (r + δ)`; default δ = 1e-3.
    Laplace3d {
        /// Regularization δ of the singularity at r = 0.
        delta: f64,
    },
    /// 2-D Laplace `−log(r + δ)`; default δ = 1e-3.
    Laplace2d {
        /// Regularization δ of the singularity at r = 0.
        delta: f64,
    },
    /// Yukawa (screened Coulomb) `e^(−α r) / (r + δ)`; defaults α = 1, δ = 1e-3.
    Yukawa {
        /// Decay rate α.
        alpha: f64,
        /// Regularization δ of the singularity at r = 0.
        delta: f64,
    },
    /// Gaussian `e^(−(r/ℓ)²)`; default ℓ = 0.3.
    Gaussian {
        /// Length scale ℓ.
        ell: f64,
    },
    /// Exponential (Matérn ν = 1/2) `e^(−r/ℓ)`; default ℓ = 0.3.
    Exponential {
        /// Length scale ℓ.
        ell: f64,
    },
    /// Matérn ν = 3/2: `(1 + √3 r/ℓ) e^(−√3 r/ℓ)`; default ℓ = 0.3.
    Matern32 {
        /// Length scale ℓ.
        ell: f64,
    },
    /// Matérn ν = 5/2: `(1 + √5 r/ℓ + 5r²/(3ℓ²)) e^(−√5 r/ℓ)`; default ℓ = 0.3.
    Matern52 {
        /// Length scale ℓ.
        ell: f64,
    },
    /// Inverse multiquadric `1 / √(r² + c²)`; default c = 0.1.
    Imq {
        /// Shape parameter c.
        c: f64,
    },
}

impl RadialKernel {
    /// Names accepted by [`RadialKernel::from_name`].
    pub const NAMES: &'static str =
        "laplace3d, laplace2d, yukawa, gaussian, exponential, matern32, matern52, imq";

    /// The kernel of that name with its default parameters.
    ///
    /// # Errors
    /// [`Error::UnknownName`] for a name not in [`RadialKernel::NAMES`].
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "laplace3d" | "laplace" => Self::Laplace3d { delta: 1e-3 },
            "laplace2d" => Self::Laplace2d { delta: 1e-3 },
            "yukawa" => Self::Yukawa { alpha: 1.0, delta: 1e-3 },
            "gaussian" => Self::Gaussian { ell: 0.3 },
            "exponential" => Self::Exponential { ell: 0.3 },
            "matern32" => Self::Matern32 { ell: 0.3 },
            "matern52" => Self::Matern52 { ell: 0.3 },
            "imq" => Self::Imq { c: 0.1 },
            _ => {
                return Err(Error::UnknownName {
                    kind: "kernel",
                    name: name.to_string(),
                    expected: Self::NAMES,
                })
            }
        })
    }

    /// Validates the parameters (all must be finite and positive).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first bad parameter.
    pub fn validate(&self) -> Result<()> {
        let check = |name: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(name, v, "a finite positive number"))
            }
        };
        match *self {
            Self::Laplace3d { delta } | Self::Laplace2d { delta } => check("delta", delta),
            Self::Yukawa { alpha, delta } => check("alpha", alpha).and(check("delta", delta)),
            Self::Gaussian { ell }
            | Self::Exponential { ell }
            | Self::Matern32 { ell }
            | Self::Matern52 { ell } => check("ell", ell),
            Self::Imq { c } => check("c", c),
        }
    }

    /// f(r), with the crate's own `exp` (`crate::batch::exp`, within 2 ulp of libm's): the same
    /// bits as the batched, SIMD evaluation of whole blocks.
    #[inline]
    pub fn radial(&self, r: f64) -> f64 {
        radial::radial_one(self, r)
    }
}

impl Kernel for RadialKernel {
    #[inline]
    fn eval(&self, x: &[f64], y: &[f64]) -> f64 {
        self.radial(crate::geometry::dist(x, y))
    }

    fn eval_column(&self, points: &Points, rows: &[usize], y: &[f64], out: &mut [f64]) {
        map_at_points(self, &coordinate_columns(points, rows), y, out);
    }

    /// The rows' coordinates are gathered once into columns (structure of arrays), then
    /// each column of the block is one SIMD sweep (`crate::batch::map_at_points`).
    fn eval_block(&self, points: &Points, rows: &[usize], cols: &[usize], mut out: MatMut<'_, f64>) {
        let xs = coordinate_columns(points, rows);
        let simd = Simd::detect();
        let mut col = vec![0.0; rows.len()];
        for (b, &j) in cols.iter().enumerate() {
            map_at_points_with(simd, self, &xs, points.point(j), &mut col);
            out.as_mut().col_mut(b).iter_mut().zip(&col).for_each(|(o, &v)| *o = v);
        }
    }
}

/// The coordinates of the points `rows` as one column per dimension.
fn coordinate_columns(points: &Points, rows: &[usize]) -> Vec<Vec<f64>> {
    (0..points.dim()).map(|d| rows.iter().map(|&i| points.point(i)[d]).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_at_known_points() {
        let k = RadialKernel::from_name("laplace3d").unwrap();
        assert_eq!(k.radial(0.0), 1000.0);
        let m = RadialKernel::Matern32 { ell: 1.0 };
        let s = 3f64.sqrt();
        assert!((m.radial(1.0) - (1.0 + s) * (-s).exp()).abs() < 1e-15);
        assert_eq!(RadialKernel::Gaussian { ell: 2.0 }.radial(2.0), (-1f64).exp());
        assert!((RadialKernel::Imq { c: 3.0 }.radial(4.0) - 0.2).abs() < 1e-16);
        for name in RadialKernel::NAMES.split(", ") {
            let k = RadialKernel::from_name(name).unwrap();
            k.validate().unwrap();
            let (x, y) = ([0.1, 0.2, 0.3], [0.5, -0.1, 0.7]);
            assert_eq!(k.eval(&x, &y), k.eval(&y, &x));
            assert!(k.radial(0.0).is_finite());
        }
    }

    /// The batched column and the trait's default (one `eval` per row) give the same bits.
    #[test]
    fn batched_column_is_the_per_entry_column() {
        let pts = crate::geometry::Geometry::from_name("ball").unwrap().generate(37, 2).unwrap();
        let rows: Vec<usize> = (0..37).rev().collect();
        for name in RadialKernel::NAMES.split(", ") {
            let k = RadialKernel::from_name(name).unwrap();
            let mut out = vec![0.0; rows.len()];
            k.eval_column(&pts, &rows, pts.point(5), &mut out);
            for (o, &i) in out.iter().zip(&rows) {
                assert_eq!(o.to_bits(), k.eval(pts.point(i), pts.point(5)).to_bits(), "{name}");
            }
        }
    }

    #[test]
    fn bad_names_and_parameters() {
        assert!(matches!(RadialKernel::from_name("helmholtz"), Err(Error::UnknownName { .. })));
        assert!(RadialKernel::Gaussian { ell: 0.0 }.validate().is_err());
        assert!(RadialKernel::Yukawa { alpha: f64::NAN, delta: 1.0 }.validate().is_err());
    }
}
