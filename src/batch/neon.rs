//! NEON: [`Lanes`] as one 128-bit register of two doubles (aarch64, where NEON is always
//! present). Every operation is the IEEE one lane by lane; `clamp` is compare-and-select,
//! so NaN stays as in `f64::clamp`.

use super::lanes::{Lanes, SHIFT};
use std::arch::aarch64::*;
use std::ops::{Add, Div, Mul, Neg, Sub};

#[cfg(not(target_feature = "neon"))]
compile_error!("the aarch64 paths assume NEON, part of every aarch64 Linux target");

/// A call of register-only NEON intrinsics.
macro_rules! neon {
    ($e:expr) => {
        // SAFETY: NEON is enabled in this build's configuration (checked at compile time
        // above), and the intrinsics wrapped here take and return registers only.
        unsafe { $e }
    };
}

/// Two doubles in a NEON register.
#[derive(Clone, Copy)]
pub(super) struct F64x2(float64x2_t);

/// The IEEE operators, lane by lane.
macro_rules! operator {
    ($tr:ident, $method:ident, $intrinsic:ident) => {
        impl $tr for F64x2 {
            type Output = Self;
            #[inline(always)]
            fn $method(self, o: Self) -> Self {
                F64x2(neon!($intrinsic(self.0, o.0)))
            }
        }
    };
}

operator!(Add, add, vaddq_f64);
operator!(Sub, sub, vsubq_f64);
operator!(Mul, mul, vmulq_f64);
operator!(Div, div, vdivq_f64);

impl Neg for F64x2 {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        F64x2(neon!(vnegq_f64(self.0)))
    }
}

impl Lanes for F64x2 {
    const WIDTH: usize = 2;

    #[inline(always)]
    fn splat(x: f64) -> Self {
        F64x2(neon!(vdupq_n_f64(x)))
    }
    #[inline(always)]
    fn load(s: &[f64]) -> Self {
        let s = &s[..2];
        // SAFETY: `s` holds the two doubles read (bounds-checked above); NEON is part of
        // every aarch64 target this crate builds for.
        F64x2(unsafe { vld1q_f64(s.as_ptr()) })
    }
    #[inline(always)]
    fn store(self, s: &mut [f64]) {
        let s = &mut s[..2];
        // SAFETY: `s` has room for the two doubles written (bounds-checked above).
        unsafe { vst1q_f64(s.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        F64x2(neon!(vfmaq_f64(b.0, self.0, a.0)))
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        F64x2(neon!(vsqrtq_f64(self.0)))
    }
    #[inline(always)]
    fn round_ties_even(self) -> Self {
        F64x2(neon!(vrndnq_f64(self.0)))
    }
    #[inline(always)]
    fn floor(self) -> Self {
        F64x2(neon!(vrndmq_f64(self.0)))
    }
    #[inline(always)]
    fn clamp(self, lo: f64, hi: f64) -> Self {
        neon!({
            let (lo, hi) = (vdupq_n_f64(lo), vdupq_n_f64(hi));
            let x = vbslq_f64(vcltq_f64(self.0, lo), lo, self.0);
            F64x2(vbslq_f64(vcgtq_f64(x, hi), hi, x))
        })
    }
    #[inline(always)]
    fn shift_into_exponent(self) -> Self {
        neon!({
            let bits = vsubq_u64(vreinterpretq_u64_f64(self.0), vdupq_n_u64(SHIFT.to_bits()));
            F64x2(vreinterpretq_f64_u64(vshlq_n_u64::<52>(bits)))
        })
    }
    #[inline(always)]
    fn ln(self) -> Self {
        let mut v = [0.0; 2];
        self.store(&mut v);
        F64x2::load(&[v[0].ln(), v[1].ln()])
    }
}
