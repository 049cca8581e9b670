//! SVE: [`Lanes`] as a strip of [`MAX_WIDTH`] doubles, each operation one
//! vector-length-agnostic loop in `asm!` (stable Rust has no SVE intrinsics, and `asm!`
//! cannot keep an SVE register alive from one block to the next).
//!
//! Every loop is `whilelo` predicated over the strip and steps by `incd`, so the same code
//! runs at any vector length (128 to 2048 bits: 2 to 32 doubles). A strip of 64 gives
//! each operation at least two independent vectors: on the A64FX, whose floating-point
//! latency is 9 cycles, a register-resident loop over one vector would wait on its own
//! dependency chain (the 13 fused multiply–adds of `exp`), while a strip pipelines.
//! `clamp` is compare-and-select (NaN stays, as in `f64::clamp`); the rest are the IEEE
//! operations, `mul_add` fused: the same bits as the scalar reference.

use super::lanes::{Lanes, MAX_WIDTH, SHIFT};
use std::arch::asm;
use std::ops::{Add, Div, Mul, Neg, Sub};

const STRIP: usize = MAX_WIDTH;

/// [`MAX_WIDTH`] doubles; only the SVE dispatch of `super` creates them.
#[derive(Clone, Copy)]
pub(super) struct Strip([f64; STRIP]);

/// Whether this CPU runs SVE (`std` caches the detection). Every operation checks it, so
/// that no SVE instruction runs elsewhere whoever builds a strip.
#[inline(always)]
fn sve_present() {
    assert!(std::arch::is_aarch64_feature_detected!("sve"), "SVE lanes on a CPU without SVE");
}

/// Doubles per SVE vector (`cntd`): 8 on the A64FX, 4 on Graviton3, 2 on Grace.
///
/// # Safety
/// The CPU must support SVE.
#[target_feature(enable = "sve")]
pub(super) unsafe fn doubles_per_vector() -> usize {
    let n: usize;
    // SAFETY: `cntd` only writes the general register named; SVE is present (caller).
    unsafe { asm!("cntd {n}", n = out(reg) n, options(nomem, nostack, pure, preserves_flags)) };
    n
}

/// One vector-length-agnostic loop over the `STRIP` elements: `{i}` steps by the vector
/// length (`incd`), `p0` predicates the lanes `i < STRIP` (`whilelo`), the body loads,
/// computes and stores at `[{a}, {i}, lsl #3]` (and other arrays). `$setup` runs once
/// before the loop. Callers declare every register the body clobbers.
macro_rules! strip_loop {
    ([$($setup:expr),*], [$($body:expr),+], $($operands:tt)*) => {
        asm!(
            $($setup,)*
            "mov {i}, xzr",
            "whilelo p0.d, {i}, {n}",
            "2:",
            $($body,)+
            "incd {i}",
            "whilelo p0.d, {i}, {n}",
            "b.first 2b",
            n = in(reg) STRIP,
            i = out(reg) _,
            $($operands)*
        )
    };
}

/// `a ← a (op) b` lane by lane, for the predicated destructive SVE instruction `$ins`.
macro_rules! binary {
    ($name:ident, $ins:literal) => {
        /// # Safety
        /// The CPU must support SVE.
        #[target_feature(enable = "sve")]
        unsafe fn $name(a: &mut [f64; STRIP], b: &[f64; STRIP]) {
            // SAFETY: the loop touches elements i < STRIP only (whilelo), of arrays of
            // STRIP doubles; it clobbers z0, z1, p0 and the flags, all declared.
            unsafe {
                strip_loop!(
                    [],
                    [
                        "ld1d {{ z0.d }}, p0/z, [{a}, {i}, lsl #3]",
                        "ld1d {{ z1.d }}, p0/z, [{b}, {i}, lsl #3]",
                        concat!($ins, " z0.d, p0/m, z0.d, z1.d"),
                        "st1d {{ z0.d }}, p0, [{a}, {i}, lsl #3]"
                    ],
                    a = in(reg) a.as_mut_ptr(),
                    b = in(reg) b.as_ptr(),
                    out("v0") _,
                    out("v1") _,
                    out("p0") _,
                    options(nostack),
                )
            }
        }
    };
}

/// `a ← op(a)` lane by lane, for the predicated SVE instruction `$ins`.
macro_rules! unary {
    ($name:ident, $ins:literal) => {
        /// # Safety
        /// The CPU must support SVE.
        #[target_feature(enable = "sve")]
        unsafe fn $name(a: &mut [f64; STRIP]) {
            // SAFETY: as in `binary!`: elements i < STRIP of one array; z0, z1, p0, flags.
            unsafe {
                strip_loop!(
                    [],
                    [
                        "ld1d {{ z1.d }}, p0/z, [{a}, {i}, lsl #3]",
                        concat!($ins, " z0.d, p0/m, z1.d"),
                        "st1d {{ z0.d }}, p0, [{a}, {i}, lsl #3]"
                    ],
                    a = in(reg) a.as_mut_ptr(),
                    out("v0") _,
                    out("v1") _,
                    out("p0") _,
                    options(nostack),
                )
            }
        }
    };
}

binary!(fadd, "fadd");
binary!(fsub, "fsub");
binary!(fmul, "fmul");
binary!(fdiv, "fdiv");
unary!(fsqrt, "fsqrt");
unary!(frintn, "frintn");
unary!(frintm, "frintm");
unary!(fneg, "fneg");

/// `a ← a·b + c` with one rounding (`fmad`).
///
/// # Safety
/// The CPU must support SVE.
#[target_feature(enable = "sve")]
unsafe fn fmad(a: &mut [f64; STRIP], b: &[f64; STRIP], c: &[f64; STRIP]) {
    // SAFETY: elements i < STRIP of three arrays of STRIP doubles; z0–z2, p0, flags.
    unsafe {
        strip_loop!(
            [],
            [
                "ld1d {{ z0.d }}, p0/z, [{a}, {i}, lsl #3]",
                "ld1d {{ z1.d }}, p0/z, [{b}, {i}, lsl #3]",
                "ld1d {{ z2.d }}, p0/z, [{c}, {i}, lsl #3]",
                "fmad z0.d, p0/m, z1.d, z2.d",
                "st1d {{ z0.d }}, p0, [{a}, {i}, lsl #3]"
            ],
            a = in(reg) a.as_mut_ptr(),
            b = in(reg) b.as_ptr(),
            c = in(reg) c.as_ptr(),
            out("v0") _,
            out("v1") _,
            out("v2") _,
            out("p0") _,
            options(nostack),
        )
    }
}

/// `a ← lo` where `a < lo`, then `hi` where `a > hi` (compare and select: NaN stays).
///
/// # Safety
/// The CPU must support SVE.
#[target_feature(enable = "sve")]
unsafe fn clamp(a: &mut [f64; STRIP], lo: f64, hi: f64) {
    // SAFETY: elements i < STRIP of one array; z0–z2, p0, p1, flags.
    unsafe {
        strip_loop!(
            ["mov z1.d, {lo}", "mov z2.d, {hi}"],
            [
                "ld1d {{ z0.d }}, p0/z, [{a}, {i}, lsl #3]",
                "fcmgt p1.d, p0/z, z1.d, z0.d",
                "sel z0.d, p1, z1.d, z0.d",
                "fcmgt p1.d, p0/z, z0.d, z2.d",
                "sel z0.d, p1, z2.d, z0.d",
                "st1d {{ z0.d }}, p0, [{a}, {i}, lsl #3]"
            ],
            a = in(reg) a.as_mut_ptr(),
            lo = in(reg) lo.to_bits(),
            hi = in(reg) hi.to_bits(),
            out("v0") _,
            out("v1") _,
            out("v2") _,
            out("p0") _,
            out("p1") _,
            options(nostack),
        )
    }
}

/// `a ← (bits(a) − bits(2⁵²)) << 52` as doubles.
///
/// # Safety
/// The CPU must support SVE.
#[target_feature(enable = "sve")]
unsafe fn shift_into_exponent(a: &mut [f64; STRIP]) {
    // SAFETY: elements i < STRIP of one array; z0, z1, p0, flags.
    unsafe {
        strip_loop!(
            ["mov z1.d, {s}"],
            [
                "ld1d {{ z0.d }}, p0/z, [{a}, {i}, lsl #3]",
                "sub z0.d, z0.d, z1.d",
                "lsl z0.d, z0.d, #52",
                "st1d {{ z0.d }}, p0, [{a}, {i}, lsl #3]"
            ],
            a = in(reg) a.as_mut_ptr(),
            s = in(reg) SHIFT.to_bits(),
            out("v0") _,
            out("v1") _,
            out("p0") _,
            options(nostack),
        )
    }
}

/// The operator impls: `self` is an owned copy, updated in place.
macro_rules! operator {
    ($tr:ident, $method:ident, $kernel:ident) => {
        impl $tr for Strip {
            type Output = Self;
            #[inline(always)]
            fn $method(mut self, o: Self) -> Self {
                sve_present();
                // SAFETY: SVE is present (checked on the line above).
                unsafe { $kernel(&mut self.0, &o.0) };
                self
            }
        }
    };
}

operator!(Add, add, fadd);
operator!(Sub, sub, fsub);
operator!(Mul, mul, fmul);
operator!(Div, div, fdiv);

impl Neg for Strip {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.apply(fneg)
    }
}

impl Strip {
    /// `self` updated by one unary SVE loop.
    #[inline(always)]
    fn apply(mut self, op: unsafe fn(&mut [f64; STRIP])) -> Self {
        sve_present();
        // SAFETY: `op` is one of this module's SVE loops, and SVE is present (checked).
        unsafe { op(&mut self.0) };
        self
    }
}

impl Lanes for Strip {
    const WIDTH: usize = STRIP;

    #[inline(always)]
    fn splat(x: f64) -> Self {
        Strip([x; STRIP])
    }
    #[inline(always)]
    fn load(s: &[f64]) -> Self {
        let mut v = [0.0; STRIP];
        v.copy_from_slice(&s[..STRIP]);
        Strip(v)
    }
    #[inline(always)]
    fn store(self, s: &mut [f64]) {
        s[..STRIP].copy_from_slice(&self.0);
    }
    #[inline(always)]
    fn mul_add(mut self, a: Self, b: Self) -> Self {
        sve_present();
        // SAFETY: SVE is present (checked on the line above).
        unsafe { fmad(&mut self.0, &a.0, &b.0) };
        self
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        self.apply(fsqrt)
    }
    #[inline(always)]
    fn round_ties_even(self) -> Self {
        self.apply(frintn)
    }
    #[inline(always)]
    fn floor(self) -> Self {
        self.apply(frintm)
    }
    #[inline(always)]
    fn clamp(mut self, lo: f64, hi: f64) -> Self {
        sve_present();
        // SAFETY: SVE is present (checked on the line above).
        unsafe { clamp(&mut self.0, lo, hi) };
        self
    }
    #[inline(always)]
    fn shift_into_exponent(self) -> Self {
        self.apply(shift_into_exponent)
    }
    #[inline(always)]
    fn ln(mut self) -> Self {
        self.0.iter_mut().for_each(|x| *x = x.ln());
        self
    }
}

/// One register tile of a batched product (`super::gemm`): `C[.., 0..4] += A·B[.., 0..4]`
/// over `rows ≤ 2·VL` rows, in one asm block — the eight accumulators (`z0`–`z7`: two
/// vectors of rows × four columns) stay in registers through the `k` loop, which loads two
/// vectors of `A`'s column (`p0`, `p1` predicate the rows: no separate remainder code) and
/// broadcasts four entries of `B` (`ld1rd`). Each `fmla` is `c + a·b` fused, in `p` order:
/// the bits of the scalar reference.
///
/// # Safety
/// The CPU must support SVE; `rows ≤ 2·doubles_per_vector()`; for `p < k` and `r < rows`
/// the reads `a[p·lda + r]`, `b[j·ldb + p]` (`j < 4`) and the read–writes `c[j·ldc + r]`
/// must be in bounds of their allocations, and `c` must not overlap `a` or `b`.
#[target_feature(enable = "sve")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn gemm_tile4(
    a: *const f64,
    lda: usize,
    b: *const f64,
    ldb: usize,
    c: *mut f64,
    ldc: usize,
    k: usize,
    rows: usize,
) {
    // SAFETY: the caller's contract above; predicated loads and stores touch only rows
    // r < rows (inactive lanes are not accessed); registers written are declared.
    unsafe {
        asm!(
            "cntd {vl}",
            "ptrue p2.d",
            "whilelo p0.d, xzr, {rows}",
            "whilelo p1.d, {vl}, {rows}",
            "add {c1}, {c0}, {ldc}, lsl #3",
            "add {c2}, {c1}, {ldc}, lsl #3",
            "add {c3}, {c2}, {ldc}, lsl #3",
            "add {b1}, {b0}, {ldb}, lsl #3",
            "add {b2}, {b1}, {ldb}, lsl #3",
            "add {b3}, {b2}, {ldb}, lsl #3",
            "ld1d {{ z0.d }}, p0/z, [{c0}]",
            "ld1d {{ z1.d }}, p1/z, [{c0}, #1, mul vl]",
            "ld1d {{ z2.d }}, p0/z, [{c1}]",
            "ld1d {{ z3.d }}, p1/z, [{c1}, #1, mul vl]",
            "ld1d {{ z4.d }}, p0/z, [{c2}]",
            "ld1d {{ z5.d }}, p1/z, [{c2}, #1, mul vl]",
            "ld1d {{ z6.d }}, p0/z, [{c3}]",
            "ld1d {{ z7.d }}, p1/z, [{c3}, #1, mul vl]",
            "cbz {k}, 3f",
            "2:",
            "ld1d {{ z8.d }}, p0/z, [{a}]",
            "ld1d {{ z9.d }}, p1/z, [{a}, #1, mul vl]",
            "ld1rd {{ z10.d }}, p2/z, [{b0}]",
            "ld1rd {{ z11.d }}, p2/z, [{b1}]",
            "ld1rd {{ z12.d }}, p2/z, [{b2}]",
            "ld1rd {{ z13.d }}, p2/z, [{b3}]",
            "fmla z0.d, p0/m, z8.d, z10.d",
            "fmla z1.d, p1/m, z9.d, z10.d",
            "fmla z2.d, p0/m, z8.d, z11.d",
            "fmla z3.d, p1/m, z9.d, z11.d",
            "fmla z4.d, p0/m, z8.d, z12.d",
            "fmla z5.d, p1/m, z9.d, z12.d",
            "fmla z6.d, p0/m, z8.d, z13.d",
            "fmla z7.d, p1/m, z9.d, z13.d",
            "add {a}, {a}, {lda}, lsl #3",
            "add {b0}, {b0}, #8",
            "add {b1}, {b1}, #8",
            "add {b2}, {b2}, #8",
            "add {b3}, {b3}, #8",
            "subs {k}, {k}, #1",
            "b.ne 2b",
            "3:",
            "st1d {{ z0.d }}, p0, [{c0}]",
            "st1d {{ z1.d }}, p1, [{c0}, #1, mul vl]",
            "st1d {{ z2.d }}, p0, [{c1}]",
            "st1d {{ z3.d }}, p1, [{c1}, #1, mul vl]",
            "st1d {{ z4.d }}, p0, [{c2}]",
            "st1d {{ z5.d }}, p1, [{c2}, #1, mul vl]",
            "st1d {{ z6.d }}, p0, [{c3}]",
            "st1d {{ z7.d }}, p1, [{c3}, #1, mul vl]",
            vl = out(reg) _,
            rows = in(reg) rows,
            a = inout(reg) a => _,
            lda = in(reg) lda,
            b0 = inout(reg) b => _,
            b1 = out(reg) _,
            b2 = out(reg) _,
            b3 = out(reg) _,
            ldb = in(reg) ldb,
            c0 = in(reg) c,
            c1 = out(reg) _,
            c2 = out(reg) _,
            c3 = out(reg) _,
            ldc = in(reg) ldc,
            k = inout(reg) k => _,
            out("v0") _, out("v1") _, out("v2") _, out("v3") _, out("v4") _,
            out("v5") _, out("v6") _, out("v7") _, out("v8") _, out("v9") _,
            out("v10") _, out("v11") _, out("v12") _, out("v13") _,
            out("p0") _, out("p1") _, out("p2") _,
            options(nostack),
        )
    }
}
