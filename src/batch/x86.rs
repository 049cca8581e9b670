//! The scalar loops compiled for AVX-512F and AVX2 + FMA: LLVM vectorizes `L = f64` code
//! for the enabled features (8 and 4 lanes), and the operations keep their IEEE bits.

use super::{points_generic, SliceMap};

#[cfg(test)]
/// The map compiled for AVX-512F.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) unsafe fn map_avx512<F: SliceMap>(f: &F, v: &mut [f64]) {
    f.map_lanes::<f64>(v)
}

#[cfg(test)]
/// The map compiled for AVX2 + FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn map_avx2<F: SliceMap>(f: &F, v: &mut [f64]) {
    f.map_lanes::<f64>(v)
}

/// The point-batched loop compiled for AVX-512F.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) unsafe fn points_avx512<F: SliceMap>(f: &F, xs: &[Vec<f64>], y: &[f64], out: &mut [f64]) {
    points_generic::<F, f64>(f, xs, y, out)
}

/// The point-batched loop compiled for AVX2 + FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn points_avx2<F: SliceMap>(f: &F, xs: &[Vec<f64>], y: &[f64], out: &mut [f64]) {
    points_generic::<F, f64>(f, xs, y, out)
}
