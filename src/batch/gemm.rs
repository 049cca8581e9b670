//! Batched small matrix products with register-resident accumulation (after Deshmukh,
//! Yokota & Bosilca, arXiv 2311.07602): `C_b ← C_b + A_b·B_b` for many matrices of one
//! shape, column-major and stored back to back ("strided batch").
//!
//! Each product is cut into register tiles of `R` lane vectors × `NR` columns of `C`: the
//! tile's accumulators stay in registers for the whole `k` loop, which loads one column
//! slice of `A` and broadcasts one entry of `B` per column, and `C` is read and written
//! once. There is no packing and no per-call planning, which is where a general GEMM
//! spends its time on matrices of a few dozen rows. Rows left over by the wide tiles go
//! to narrower lanes (8 → 4 → 2 → 1 doubles), columns left over to tiles of 4, 2 and 1.
//!
//! Every entry is `c + a₀b₀ + a₁b₁ + …` as a chain of fused multiply–adds in `p` order,
//! starting from `C`'s value: every path (AVX-512F, AVX2 + FMA, NEON, the scalar
//! reference) returns the same bits (tested). From [`FAER_FROM`] multiply–adds per product
//! on (32³), where faer's packed, cache-blocked kernel is faster, each product is one faer
//! `matmul`: faer blocks `k` and sums in its own order, so those agree with the definition
//! to rounding only.

use super::lanes::{Arr, Lanes};

/// The shape of every product of a batch: `A` is `m × k`, `B` is `k × n`, `C` is `m × n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GemmShape {
    /// Rows of `A` and `C`.
    pub m: usize,
    /// Columns of `B` and `C`.
    pub n: usize,
    /// Columns of `A`, rows of `B`.
    pub k: usize,
}

impl GemmShape {
    /// The number of products in a batch of these slices.
    ///
    /// # Panics
    /// If the slices do not hold the same whole number of `A`s, `B`s and `C`s (a shape
    /// with a zero dimension needs all three slices empty or consistent by themselves).
    #[track_caller]
    pub(super) fn batch(&self, a: &[f64], b: &[f64], c: &[f64]) -> usize {
        let (sa, sb, sc) = (self.m * self.k, self.k * self.n, self.m * self.n);
        let count = |len: usize, size: usize| len.checked_div(size);
        let n = [count(a.len(), sa), count(b.len(), sb), count(c.len(), sc)]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(0);
        assert!(
            a.len() == n * sa && b.len() == n * sb && c.len() == n * sc,
            "batched GEMM {self:?}: slices of {}, {}, {} doubles are no whole batch",
            a.len(),
            b.len(),
            c.len()
        );
        n
    }
}

/// One product `C ← C + A·B` in lanes `L` (`W = L::WIDTH`), wide tiles of `2W` rows first.
#[inline(always)]
pub(super) fn product<L: Lanes, const NR: usize>(s: GemmShape, a: &[f64], b: &[f64], c: &mut [f64]) {
    let mut i0 = 0;
    while s.m - i0 >= 2 * L::WIDTH {
        columns::<L, 2, NR>(s, i0, a, b, c);
        i0 += 2 * L::WIDTH;
    }
    if s.m - i0 >= L::WIDTH {
        columns::<L, 1, NR>(s, i0, a, b, c);
        i0 += L::WIDTH;
    }
    // the rows left: narrower lanes
    let rest = s.m - i0;
    if rest >= 4 && L::WIDTH > 4 {
        columns::<Arr<4>, 1, NR>(s, i0, a, b, c);
        i0 += 4;
    }
    if s.m - i0 >= 2 && L::WIDTH > 2 {
        columns::<Arr<2>, 1, NR>(s, i0, a, b, c);
        i0 += 2;
    }
    while i0 < s.m {
        columns::<f64, 1, NR>(s, i0, a, b, c);
        i0 += 1;
    }
}

/// Rows `i0 .. i0 + R·W` of `C`: tiles of `NR` columns, then of 4, 2 and 1.
#[inline(always)]
fn columns<L: Lanes, const R: usize, const NR: usize>(
    s: GemmShape,
    i0: usize,
    a: &[f64],
    b: &[f64],
    c: &mut [f64],
) {
    let mut j0 = 0;
    while s.n - j0 >= NR {
        tile::<L, R, NR>(s, i0, j0, a, b, c);
        j0 += NR;
    }
    // the columns left: 4 and 2 at a time while that is narrower than NR, then single
    if NR > 4 && s.n - j0 >= 4 {
        tile::<L, R, 4>(s, i0, j0, a, b, c);
        j0 += 4;
    }
    if NR > 2 && s.n - j0 >= 2 {
        tile::<L, R, 2>(s, i0, j0, a, b, c);
        j0 += 2;
    }
    if j0 < s.n {
        tile::<L, R, 1>(s, i0, j0, a, b, c);
    }
}

/// The register tile: `R` vectors of rows from `i0`, `NR` columns from `j0`.
#[inline(always)]
fn tile<L: Lanes, const R: usize, const NR: usize>(
    s: GemmShape,
    i0: usize,
    j0: usize,
    a: &[f64],
    b: &[f64],
    c: &mut [f64],
) {
    let (m, k, w) = (s.m, s.k, L::WIDTH);
    // slices of exactly the lengths read, so that the loops below carry no bounds checks
    let bcol: [&[f64]; NR] = std::array::from_fn(|j| &b[(j0 + j) * k..(j0 + j + 1) * k]);
    let mut acc = [[L::splat(0.0); R]; NR];
    for j in 0..NR {
        let col = &c[(j0 + j) * m + i0..(j0 + j) * m + i0 + R * w];
        for r in 0..R {
            acc[j][r] = L::load(&col[r * w..]);
        }
    }
    for (p, acol) in a[..m * k].chunks_exact(m).enumerate() {
        let acol = &acol[i0..i0 + R * w];
        let av: [L; R] = std::array::from_fn(|r| L::load(&acol[r * w..]));
        for j in 0..NR {
            let bv = L::splat(bcol[j][p]);
            for r in 0..R {
                acc[j][r] = av[r].mul_add(bv, acc[j][r]);
            }
        }
    }
    for j in 0..NR {
        let col = &mut c[(j0 + j) * m + i0..(j0 + j) * m + i0 + R * w];
        for r in 0..R {
            acc[j][r].store(&mut col[r * w..]);
        }
    }
}

/// Products of at least this many multiply–adds (`m·n·k`, 32³) go to faer: from there on
/// its packed, cache-blocked kernel beats the register tiles (measured in
/// docs/benchmarks.md, session 11: 0.92× at 32³, 0.65× at 64³ and 128³ on AVX-512).
pub const FAER_FROM: usize = 32 * 32 * 32;

/// Every product of the batch in lanes `L` with `NR`-column tiles; shapes of
/// [`FAER_FROM`] multiply–adds or more one faer `matmul` each (`Par::Seq`).
///
/// `product` is called directly, not passed as a closure: a closure or function value is
/// compiled on its own, without the caller's `#[target_feature]`, and the AVX-512 tiles
/// then ran as scalar code (0.73 instead of 35 GFlop/s at 16³, found by `batch_bench`).
#[inline(always)]
pub(super) fn batch_generic<L: Lanes, const NR: usize>(s: GemmShape, a: &[f64], b: &[f64], c: &mut [f64]) {
    let to_faer = s.m * s.n * s.k >= FAER_FROM;
    for (ai, bi, ci) in products(s, a, b, c) {
        if to_faer {
            faer_product(s, ai, bi, ci);
        } else {
            product::<L, NR>(s, ai, bi, ci);
        }
    }
}

/// The products `(A_b, B_b, C_b)` of a batch; none where `A·B` is empty (`C + A·B = C`).
///
/// # Panics
/// As [`super::gemm_batched`].
#[inline(always)]
fn products<'a>(
    s: GemmShape,
    a: &'a [f64],
    b: &'a [f64],
    c: &'a mut [f64],
) -> impl Iterator<Item = (&'a [f64], &'a [f64], &'a mut [f64])> {
    let nb = s.batch(a, b, c);
    let (sa, sb, sc) = (s.m * s.k, s.k * s.n, s.m * s.n);
    let nb = if sa == 0 || sb == 0 { 0 } else { nb };
    let (a, b) = (a.chunks_exact(sa.max(1)), b.chunks_exact(sb.max(1)));
    a.zip(b).zip(c.chunks_exact_mut(sc.max(1))).take(nb).map(|((a, b), c)| (a, b, c))
}

/// The batch on SVE: tiles of `2·VL` rows × 4 columns in one asm block each
/// (`super::sve::gemm_tile4`, rows predicated), the columns left in NEON tiles.
///
/// # Panics
/// If this CPU has no SVE, or as [`super::gemm_batched`].
#[cfg(target_arch = "aarch64")]
pub(super) fn batch_sve(s: GemmShape, a: &[f64], b: &[f64], c: &mut [f64]) {
    assert!(super::Simd::Sve.available(), "SVE tiles on a CPU without SVE");
    // SAFETY: SVE is present (asserted on the line above).
    let rows_per_tile = 2 * unsafe { super::sve::doubles_per_vector() };
    let to_faer = s.m * s.n * s.k >= FAER_FROM;
    for (ai, bi, ci) in products(s, a, b, c) {
        if to_faer {
            faer_product(s, ai, bi, ci);
        } else {
            product_sve(s, rows_per_tile, ai, bi, ci);
        }
    }
}

/// One product `C ← C + A·B` (`m, k ≥ 1`) on a CPU with SVE (checked by `batch_sve`),
/// in tiles of `rows_per_tile = 2·VL` rows.
#[cfg(target_arch = "aarch64")]
fn product_sve(s: GemmShape, rows_per_tile: usize, a: &[f64], b: &[f64], c: &mut [f64]) {
    let (m, n, k) = (s.m, s.n, s.k);
    assert!(a.len() == m * k && b.len() == k * n && c.len() == m * n && m * k > 0);
    let n4 = n / 4 * 4;
    for i0 in (0..m).step_by(rows_per_tile) {
        let rows = (m - i0).min(rows_per_tile);
        for j0 in (0..n4).step_by(4) {
            // SAFETY: SVE is present (`batch_sve`); rows ≤ rows_per_tile = 2·VL; for p < k, r < rows, j < 4 the tile reads
            // a[p·m + i0 + r] < m·k, b[(j0 + j)·k + p] < n·k and updates
            // c[(j0 + j)·m + i0 + r] < m·n (j0 + 4 ≤ n4 ≤ n, i0 + rows ≤ m), and `c` is
            // an exclusive borrow distinct from `a` and `b`.
            unsafe {
                super::sve::gemm_tile4(
                    a.as_ptr().add(i0),
                    m,
                    b.as_ptr().add(j0 * k),
                    k,
                    c.as_mut_ptr().add(j0 * m + i0),
                    m,
                    k,
                    rows,
                )
            };
        }
    }
    if n4 < n {
        // the columns left: NEON tiles, the same bits
        product::<super::neon::F64x2, 8>(GemmShape { n: n - n4, ..s }, a, &b[n4 * k..], &mut c[n4 * m..]);
    }
}

/// `C ← C + A·B` by faer, on this thread.
fn faer_product(s: GemmShape, a: &[f64], b: &[f64], c: &mut [f64]) {
    use faer::{Accum, MatMut, MatRef, Par};
    let (am, bm) =
        (MatRef::from_column_major_slice(a, s.m, s.k), MatRef::from_column_major_slice(b, s.k, s.n));
    faer::linalg::matmul::matmul(
        MatMut::from_column_major_slice_mut(c, s.m, s.n),
        Accum::Add,
        am,
        bm,
        1.0,
        Par::Seq,
    );
}

#[cfg(test)]
mod tests {
    use super::super::{gemm_batched_with, tests::simd_paths, Simd};
    use super::GemmShape;
    use rand::{Rng, SeedableRng};

    /// The definition, written independently: `c_ij + Σ_p a_ip b_pj` as fused
    /// multiply–adds in `p` order.
    fn naive(s: GemmShape, a: &[f64], b: &[f64], c: &mut [f64]) {
        let (sa, sb, sc) = (s.m * s.k, s.k * s.n, s.m * s.n);
        for t in 0..c.len().checked_div(sc).unwrap_or(0) {
            for j in 0..s.n {
                for i in 0..s.m {
                    let mut x = c[t * sc + j * s.m + i];
                    for p in 0..s.k {
                        x = a[t * sa + p * s.m + i].mul_add(b[t * sb + j * s.k + p], x);
                    }
                    c[t * sc + j * s.m + i] = x;
                }
            }
        }
    }

    /// A random batch of `count` products of shape `s`, multiplied on every path of this
    /// CPU and by [`naive`]: `check(s, path, result, definition)` for each path.
    fn for_every_path(
        s: GemmShape,
        count: usize,
        rng: &mut impl Rng,
        mut check: impl FnMut(GemmShape, Simd, &[f64], &[f64]),
    ) {
        let mut v =
            |len: usize| -> Vec<f64> { (0..count * len).map(|_| rng.random_range(-1.0..1.0)).collect() };
        let (a, b, c0) = (v(s.m * s.k), v(s.k * s.n), v(s.m * s.n));
        let mut want = c0.clone();
        naive(s, &a, &b, &mut want);
        for simd in simd_paths().into_iter().chain([Simd::Scalar]) {
            let mut c = c0.clone();
            gemm_batched_with(simd, s, &a, &b, &mut c);
            check(s, simd, &c, &want);
        }
    }

    /// Every path gives the bits of the definition, on shapes around every tile size
    /// (16 × 8, 8 × 4, 4, 2, 1 rows; odd, prime, degenerate), three products per batch.
    #[test]
    fn every_path_gives_the_bits_of_the_definition() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
        let shapes = [
            (1, 1, 1),
            (3, 5, 7),
            (4, 4, 4),
            (8, 8, 8),
            (13, 9, 17),
            (16, 16, 16),
            (17, 3, 33),
            (31, 12, 2),
            (32, 32, 31),
            (37, 41, 19),
            (64, 8, 5),
            (0, 3, 2),
            (3, 0, 2),
            (3, 2, 0),
        ];
        let mut compared = 0;
        for (m, n, k) in shapes {
            for_every_path(GemmShape { m, n, k }, 3, &mut rng, |s, simd, c, want| {
                let same = c.iter().zip(want).all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(same, "{s:?} on {simd}");
                compared += 1;
            });
        }
        println!("batched GEMM: {compared} shape × path comparisons");
    }

    /// Shapes from `FAER_FROM` on are faer's products: the definition to rounding.
    #[test]
    fn large_shapes_agree_to_rounding() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(22);
        for (m, n, k) in [(32, 32, 32), (40, 33, 65)] {
            assert!(m * n * k >= super::FAER_FROM);
            for_every_path(GemmShape { m, n, k }, 2, &mut rng, |s, simd, c, want| {
                let worst = c.iter().zip(want).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
                assert!(worst <= 4.0 * k as f64 * f64::EPSILON, "{s:?} on {simd}: {worst:e}");
            });
        }
    }

    #[test]
    #[should_panic(expected = "no whole batch")]
    fn a_short_slice_is_refused() {
        let s = GemmShape { m: 2, n: 2, k: 2 };
        gemm_batched_with(Simd::Scalar, s, &[0.0; 8], &[0.0; 8], &mut [0.0; 7]);
    }
}
