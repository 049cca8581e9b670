//! Accuracy of the skeletonization counts against dense eigenvalues, for choosing its
//! parameters: at `--shifts` shifts spread over the spectrum (half uniform, half at
//! midpoints between neighbouring eigenvalues), the count ν(σ) of `factor::skel` is
//! compared with the dense count; every wrong count is reported with its distance to the
//! nearest eigenvalue in units of `tol·‖A‖₂` (Weyl: a count can only be wrong within
//! `‖E(σ)‖₂` of an eigenvalue).
//!
//! ```text
//! cargo run --release --example skel_accuracy -- --n 4096 --tol 1e-5 --eta 1.0 --leaf 128
//! ```

mod common;

use clap::Parser;
use faer::Side;
use hmatrix::factor::skel::{SkelParams, Skeletonization};
use hmatrix::source::to_dense;
use rand::{Rng, SeedableRng};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "yukawa")]
    kernel: String,
    #[arg(long, default_value = "sphere")]
    geometry: String,
    #[arg(long, default_value_t = 0.0)]
    nugget: f64,
    #[arg(long, default_value_t = 4096)]
    n: usize,
    #[arg(long, default_value_t = 1e-5)]
    tol: f64,
    #[arg(long, default_value_t = 128)]
    leaf: usize,
    #[arg(long, default_value_t = 1.0)]
    eta: f64,
    #[arg(long, default_value_t = 96)]
    far_samples: usize,
    #[arg(long, default_value_t = 100)]
    shifts: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = Args::parse();
    let points = hmatrix::geometry::Geometry::from_name(&a.geometry)?.generate(a.n, 42)?;
    let kernel = hmatrix::kernel::RadialKernel::from_name(&a.kernel)?;
    let src = hmatrix::source::KernelSource::new(points, kernel, a.nugget)?;
    let params = SkelParams::default().tol(a.tol).leaf_size(a.leaf).eta(a.eta).far_samples(a.far_samples);
    let sk = Skeletonization::new(&src, params)?;
    let ev = to_dense(&src).self_adjoint_eigenvalues(Side::Lower).map_err(|e| format!("{e:?}"))?;
    let norm = ev.iter().fold(0f64, |m, x| m.max(x.abs()));
    let (lo, hi) = (ev[0] - 0.01 * norm, ev[a.n - 1] + 0.01 * norm);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let (mut wrong, mut worst, mut time) = (0, 0f64, Vec::new());
    for i in 0..a.shifts {
        let s = if i % 2 == 0 {
            lo + (hi - lo) * rng.random::<f64>()
        } else {
            let j = rng.random_range(0..a.n - 1);
            0.5 * (ev[j] + ev[j + 1])
        };
        let f = sk.ldlt(s)?;
        time.push(f.time_s);
        let exact = ev.partition_point(|&l| l < s);
        if f.inertia.negative != exact {
            wrong += 1;
            let d = ev.iter().map(|l| (l - s).abs()).fold(f64::INFINITY, f64::min) / (a.tol * norm);
            worst = worst.max(d);
        }
    }
    println!(
        "{} {} n {} tol {:e} leaf {} η {} far {}: {wrong}/{} wrong counts, farthest {worst:.3}·tol·‖A‖ from an eigenvalue; median factorization {:.3} s",
        a.kernel, a.geometry, a.n, a.tol, a.leaf, a.eta, a.far_samples, a.shifts, common::median(time)
    );
    Ok(())
}
