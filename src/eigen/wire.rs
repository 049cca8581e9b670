//! Byte encoding of the results of bisection jobs, for a [`WorkerGroup`](super::WorkerGroup)
//! that runs them on other processes.
//!
//! Every value is written field by field in little-endian order (`f64` by its bits), so a
//! decoded result is bit-identical to the one computed: the engine's output cannot depend
//! on which worker ran a job. The bytes only travel between processes of one run (same
//! build), so there is no version or schema; a malformed message is a bug and panics.

use super::bounds::Enclosed;
use super::interval::{Interval, Point};
use super::refine::Refined;
use super::vectors::GroupVectors;
use faer::Mat;

/// Appends values to a message.
#[derive(Default)]
pub(super) struct Writer(pub(super) Vec<u8>);

/// Reads values back in the order they were written.
pub(super) struct Reader<'b> {
    bytes: &'b [u8],
}

impl Writer {
    pub(super) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn usize(&mut self, v: usize) {
        self.u64(v as u64);
    }
    pub(super) fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    pub(super) fn bool(&mut self, v: bool) {
        self.0.push(v as u8);
    }
    pub(super) fn str(&mut self, s: &str) {
        self.usize(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
}

impl<'b> Reader<'b> {
    pub(super) fn new(bytes: &'b [u8]) -> Self {
        Reader { bytes }
    }
    fn take(&mut self, n: usize) -> &'b [u8] {
        assert!(self.bytes.len() >= n, "wire: message from a worker ends early");
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        head
    }
    pub(super) fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().expect("8 bytes"))
    }
    pub(super) fn usize(&mut self) -> usize {
        usize::try_from(self.u64()).expect("wire: index beyond this machine's usize")
    }
    pub(super) fn f64(&mut self) -> f64 {
        f64::from_bits(self.u64())
    }
    pub(super) fn bool(&mut self) -> bool {
        self.take(1)[0] != 0
    }
    pub(super) fn str(&mut self) -> String {
        let n = self.usize();
        String::from_utf8_lossy(self.take(n)).into_owned()
    }
    pub(super) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// A value that travels between workers.
pub(super) trait Wire: Sized {
    fn put(&self, w: &mut Writer);
    fn get(r: &mut Reader<'_>) -> Self;
}

impl Wire for Point {
    fn put(&self, w: &mut Writer) {
        w.f64(self.at);
        w.usize(self.count);
        w.f64(self.err);
    }
    fn get(r: &mut Reader<'_>) -> Self {
        Point { at: r.f64(), count: r.usize(), err: r.f64() }
    }
}

impl Wire for Enclosed {
    fn put(&self, w: &mut Writer) {
        w.usize(self.k);
        w.f64(self.lo);
        w.f64(self.hi);
        w.f64(self.value);
    }
    fn get(r: &mut Reader<'_>) -> Self {
        Enclosed { k: r.usize(), lo: r.f64(), hi: r.f64(), value: r.f64() }
    }
}

impl Wire for Interval {
    fn put(&self, w: &mut Writer) {
        for x in [self.lo, self.hi, self.elo, self.ehi, self.glo, self.ghi, self.eglo, self.eghi] {
            w.f64(x);
        }
        w.usize(self.nlo);
        w.usize(self.nhi);
        self.first.put(w);
        for b in [self.interp, self.refined, self.stalled] {
            w.bool(b);
        }
    }
    fn get(r: &mut Reader<'_>) -> Self {
        let [lo, hi, elo, ehi, glo, ghi, eglo, eghi] = std::array::from_fn(|_| r.f64());
        let (nlo, nhi) = (r.usize(), r.usize());
        let first = Option::get(r);
        let [interp, refined, stalled] = std::array::from_fn(|_| r.bool());
        Interval { lo, hi, nlo, nhi, elo, ehi, interp, glo, ghi, eglo, eghi, first, refined, stalled }
    }
}

impl Wire for f64 {
    fn put(&self, w: &mut Writer) {
        w.f64(*self);
    }
    fn get(r: &mut Reader<'_>) -> Self {
        r.f64()
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, w: &mut Writer) {
        w.bool(self.is_some());
        if let Some(v) = self {
            v.put(w);
        }
    }
    fn get(r: &mut Reader<'_>) -> Self {
        r.bool().then(|| T::get(r))
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, w: &mut Writer) {
        w.usize(self.len());
        self.iter().for_each(|v| v.put(w));
    }
    fn get(r: &mut Reader<'_>) -> Self {
        let n = r.usize();
        (0..n).map(|_| T::get(r)).collect()
    }
}

impl Wire for Mat<f64> {
    fn put(&self, w: &mut Writer) {
        w.usize(self.nrows());
        w.usize(self.ncols());
        for j in 0..self.ncols() {
            self.col(j).iter().for_each(|&x| w.f64(x));
        }
    }
    fn get(r: &mut Reader<'_>) -> Self {
        let (m, n) = (r.usize(), r.usize());
        let mut x = Mat::zeros(m, n);
        for j in 0..n {
            x.col_mut(j).iter_mut().for_each(|v| *v = r.f64());
        }
        x
    }
}

impl Wire for GroupVectors {
    fn put(&self, w: &mut Writer) {
        self.x.put(w);
        self.values.put(w);
        self.residuals.put(w);
        w.bool(self.exact);
    }
    fn get(r: &mut Reader<'_>) -> Self {
        GroupVectors {
            x: <Mat<f64> as Wire>::get(r),
            values: Vec::get(r),
            residuals: Vec::get(r),
            exact: r.bool(),
        }
    }
}

impl Wire for Refined {
    fn put(&self, w: &mut Writer) {
        match self {
            Refined::Done(group, vectors) => {
                w.bool(true);
                group.put(w);
                vectors.put(w);
            }
            Refined::Split(pieces) => {
                w.bool(false);
                pieces.put(w);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Self {
        if r.bool() {
            Refined::Done(Vec::get(r), Option::get(r))
        } else {
            Refined::Split(Vec::get(r))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Wire>(v: &T) -> T {
        let mut w = Writer::default();
        v.put(&mut w);
        let mut r = Reader::new(&w.0);
        let out = T::get(&mut r);
        assert!(r.is_empty(), "bytes left over");
        out
    }

    /// Every field comes back with its bits (signed zeros, NaN payloads, subnormals), in
    /// its place: a field written twice or in another order changes the result.
    #[test]
    fn values_come_back_bit_for_bit() {
        let tricky = [-0.0, f64::from_bits(0x7ff8_0000_dead_beef), 5e-324, -1e300, 1.5];
        let iv = Interval {
            elo: tricky[0],
            ehi: tricky[1],
            glo: tricky[2],
            ghi: tricky[3],
            eglo: 0.25,
            eghi: 0.75,
            first: Some(tricky[4]),
            interp: false,
            refined: true,
            stalled: false,
            ..Interval::new(-2.0, 3.0, 7, 19)
        };
        let back = round_trip(&Refined::Split(vec![iv, Interval::new(1.0, 2.0, 0, 1)]));
        let Refined::Split(pieces) = back else { panic!("variant changed") };
        let p = pieces[0];
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&[p.lo, p.hi, p.elo, p.ehi, p.glo, p.ghi, p.eglo, p.eghi, p.first.unwrap()]),
            bits(&[-2.0, 3.0, tricky[0], tricky[1], tricky[2], tricky[3], 0.25, 0.75, tricky[4]])
        );
        assert_eq!((p.nlo, p.nhi, p.interp, p.refined, p.stalled), (7, 19, false, true, false));
        assert_eq!(pieces[1].first, None);

        let x = Mat::from_fn(5, 3, |i, j| tricky[(i + 2 * j) % 5] + j as f64);
        let g = GroupVectors {
            x: x.clone(),
            values: vec![1.0, -0.0, 3.0],
            residuals: vec![1e-300; 3],
            exact: true,
        };
        let enc = vec![Enclosed { k: 4, lo: -1.0, hi: 1.0, value: -0.0 }];
        let Refined::Done(e, Some(v)) = round_trip(&Refined::Done(enc, Some(g))) else {
            panic!("variant changed")
        };
        assert_eq!((e[0].k, e[0].value.to_bits()), (4, (-0.0f64).to_bits()));
        assert_eq!((v.x.nrows(), v.x.ncols(), v.exact), (5, 3, true));
        for j in 0..3 {
            assert_eq!(
                bits(&v.x.col(j).iter().copied().collect::<Vec<_>>()),
                bits(&x.col(j).iter().copied().collect::<Vec<_>>())
            );
        }
        assert_eq!(bits(&v.values), bits(&[1.0, -0.0, 3.0]));
        let p = round_trip(&Point { at: -0.0, count: usize::MAX >> 12, err: 2.0 });
        assert_eq!((p.at.to_bits(), p.count, p.err), ((-0.0f64).to_bits(), usize::MAX >> 12, 2.0));
    }
}
