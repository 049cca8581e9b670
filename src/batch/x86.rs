//! The scalar loops compiled for AVX-512F and AVX2 + FMA: LLVM vectorizes `L = f64` code
//! for the enabled features (8 and 4 lanes), and the operations keep their IEEE bits.

use super::gemm::{batch_generic, GemmShape};
use super::{points_generic, Arr, SliceMap};

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

/// The batched products in 8-double lanes, tiles of 16 rows × 8 columns (16 of the 32
/// vector registers accumulate).
///
/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) unsafe fn gemm_avx512(s: GemmShape, a: &[f64], b: &[f64], c: &mut [f64]) {
    batch_generic::<Arr<8>, 8>(s, a, b, c)
}

/// The batched products in 4-double lanes, tiles of 8 rows × 4 columns (8 of the 16
/// vector registers accumulate).
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn gemm_avx2(s: GemmShape, a: &[f64], b: &[f64], c: &mut [f64]) {
    batch_generic::<Arr<4>, 4>(s, a, b, c)
}
