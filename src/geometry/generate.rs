//! Built-in, seeded point geometries.

use super::Points;
use crate::error::{Error, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The built-in geometries. All are deterministic; `Ball` and `Random` use the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Geometry {
    /// `n` equispaced points on [0, 1].
    Line,
    /// `n` equispaced points on the unit circle.
    Circle,
    /// Fibonacci (golden-angle) points on the unit sphere surface.
    Sphere,
    /// Uniform random points in the unit ball (volume), seeded.
    Ball,
    /// Regular grid in the unit cube `[0,1]³` (the first `n` points of the smallest m³ ≥ n grid, lexicographic).
    Cube,
    /// Points on the surface of the cube [-1,1]³, `⌈n/6⌉` per face on a staggered grid.
    CubeSurface,
    /// Uniform random points in the unit cube, seeded.
    Random,
}

impl Geometry {
    /// Names accepted by [`Geometry::from_name`].
    pub const NAMES: &'static str = "line, circle, sphere, ball, cube, cube-surface, random";

    /// Parses a geometry name.
    ///
    /// # Errors
    /// [`Error::UnknownName`] for anything not in [`Geometry::NAMES`].
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "line" => Self::Line,
            "circle" => Self::Circle,
            "sphere" => Self::Sphere,
            "ball" => Self::Ball,
            "cube" => Self::Cube,
            "cube-surface" => Self::CubeSurface,
            "random" => Self::Random,
            _ => {
                return Err(Error::UnknownName {
                    kind: "geometry",
                    name: name.to_string(),
                    expected: Self::NAMES,
                })
            }
        })
    }

    /// Generates `n ≥ 1` points.
    ///
    /// # Errors
    /// [`Error::Empty`] for `n = 0`.
    pub fn generate(self, n: usize, seed: u64) -> Result<Points> {
        if n == 0 {
            return Err(Error::Empty);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (dim, c) = match self {
            Self::Line => (1, (0..n).map(|i| i as f64 / (n.max(2) - 1) as f64).collect()),
            Self::Circle => (2, circle(n)),
            Self::Sphere => (3, sphere(n)),
            Self::Ball => (3, ball(n, &mut rng)),
            Self::Cube => (3, cube(n)),
            Self::CubeSurface => (3, cube_surface(n)),
            Self::Random => (3, (0..3 * n).map(|_| rng.random::<f64>()).collect()),
        };
        Points::new(dim, c)
    }
}

fn circle(n: usize) -> Vec<f64> {
    let mut c = Vec::with_capacity(2 * n);
    for i in 0..n {
        let t = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
        c.extend([t.cos(), t.sin()]);
    }
    c
}

fn sphere(n: usize) -> Vec<f64> {
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    let mut c = Vec::with_capacity(3 * n);
    for i in 0..n {
        let y = if n == 1 { 0.0 } else { 1.0 - 2.0 * i as f64 / (n - 1) as f64 };
        let r = (1.0 - y * y).max(0.0).sqrt();
        let t = golden * i as f64;
        c.extend([r * t.cos(), y, r * t.sin()]);
    }
    c
}

fn ball(n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let mut c = Vec::with_capacity(3 * n);
    while c.len() < 3 * n {
        let p: [f64; 3] = [0, 1, 2].map(|_| 2.0 * rng.random::<f64>() - 1.0);
        if p.iter().map(|x| x * x).sum::<f64>() <= 1.0 {
            c.extend(p);
        }
    }
    c
}

fn cube(n: usize) -> Vec<f64> {
    let m = (1..).find(|m: &usize| m * m * m >= n).expect("finite");
    let h = 1.0 / (m.max(2) - 1) as f64;
    let mut c = Vec::with_capacity(3 * n);
    'outer: for i in 0..m {
        for j in 0..m {
            for k in 0..m {
                if c.len() == 3 * n {
                    break 'outer;
                }
                c.extend([i as f64 * h, j as f64 * h, k as f64 * h]);
            }
        }
    }
    c
}

fn cube_surface(n: usize) -> Vec<f64> {
    let per_face = n.div_ceil(6);
    let m = (1..).find(|m: &usize| m * m >= per_face).expect("finite");
    let mut c = Vec::with_capacity(3 * n);
    'faces: for face in 0..6 {
        let (axis, sign) = (face / 2, if face % 2 == 0 { -1.0 } else { 1.0 });
        for q in 0..per_face {
            if c.len() == 3 * n {
                break 'faces;
            }
            // staggered grid: cell centres of an m×m grid, so faces never share points
            let (a, b) = (q / m, q % m);
            let u = -1.0 + (2 * a + 1) as f64 / m as f64;
            let v = -1.0 + (2 * b + 1) as f64 / m as f64;
            let mut p = [0.0; 3];
            p[axis] = sign;
            p[(axis + 1) % 3] = u;
            p[(axis + 2) % 3] = v;
            c.extend(p);
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_geometries_give_n_distinct_points() {
        for name in ["line", "circle", "sphere", "ball", "cube", "cube-surface", "random"] {
            for n in [1, 2, 7, 100, 1001] {
                let p = Geometry::from_name(name).unwrap().generate(n, 3).unwrap();
                assert_eq!(p.len(), n, "{name}");
                p.check_distinct().unwrap_or_else(|e| panic!("{name} n={n}: {e}"));
            }
        }
    }

    #[test]
    fn seeded_and_deterministic() {
        let a = Geometry::Ball.generate(50, 7).unwrap();
        let b = Geometry::Ball.generate(50, 7).unwrap();
        let c = Geometry::Ball.generate(50, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn unknown_name_and_empty() {
        assert!(matches!(Geometry::from_name("torus"), Err(Error::UnknownName { .. })));
        assert_eq!(Geometry::Sphere.generate(0, 0).unwrap_err(), Error::Empty);
    }
}
