//! NumPy `.npy` reading and writing for `float64` matrices and vectors.
//!
//! The format is small enough to parse by hand: a magic string, a version, a header
//! length and a Python dict literal `{'descr': '<f8', 'fortran_order': False,
//! 'shape': (m, n), }`, followed by the raw data. Hand-parsing lets us support both
//! C and Fortran order without an extra dependency.

use super::npy_header::Header;
use crate::error::{Error, Result};
use faer::{Mat, MatRef};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

const MAGIC: &[u8] = b"\x93NUMPY";
/// Upper bound on the header length we accept (real headers are ~100 bytes).
const MAX_HEADER: usize = 1 << 20;

/// Reads a 1-D (as an `n × 1` matrix) or 2-D `float64` array from a `.npy` file.
///
/// Accepts format versions 1.0–3.0, dtype `'<f8'` (and big-endian `'>f8'`, byte-swapped),
/// and both `fortran_order` values.
///
/// # Errors
/// [`Error::Parse`] (line 0) for a bad magic string or version, a malformed header, a
/// dtype other than 8-byte floats (the message names it), an array that is not 1-D or
/// 2-D (the message gives the shape), truncated data or trailing bytes.
/// [`Error::Io`] if the file cannot be read. Values are not checked for finiteness.
pub fn read_npy(path: &Path) -> Result<Mat<f64>> {
    let bad = |msg: String| Error::parse(path, 0, msg);
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut r = BufReader::with_capacity(1 << 16, file);
    let io = |e: std::io::Error| Error::io(path, e);

    let mut pre = [0u8; 8];
    if read_full(&mut r, &mut pre).map_err(io)? < 8 || &pre[..6] != MAGIC {
        return Err(bad("not a .npy file (bad magic string)".into()));
    }
    let len_bytes = match pre[6] {
        1 => 2,
        2 | 3 => 4,
        v => return Err(bad(format!("unsupported .npy format version {v}.{}", pre[7]))),
    };
    let mut len_buf = [0u8; 4];
    if read_full(&mut r, &mut len_buf[..len_bytes]).map_err(io)? < len_bytes {
        return Err(bad("truncated .npy header".into()));
    }
    let header_len = u32::from_le_bytes(len_buf) as usize;
    if header_len > MAX_HEADER {
        return Err(bad(format!("implausible .npy header length {header_len}")));
    }
    let mut header = vec![0u8; header_len];
    if read_full(&mut r, &mut header).map_err(io)? < header_len {
        return Err(bad("truncated .npy header".into()));
    }
    let header = std::str::from_utf8(&header).map_err(|_| bad("header is not valid text".into()))?;
    let h = Header::parse(header).map_err(|msg| bad(format!("malformed .npy header: {msg}")))?;

    let big_endian = match h.descr.as_str() {
        "<f8" => false,
        ">f8" => true,
        d => return Err(bad(format!("unsupported dtype '{d}' (only float64 '<f8' is supported)"))),
    };
    let (m, n) = match h.shape[..] {
        [m] => (m, 1),
        [m, n] => (m, n),
        _ => {
            return Err(bad(format!(
                "unsupported shape {:?}: only 1-D and 2-D arrays are supported",
                h.shape
            )))
        }
    };
    let total = m.checked_mul(n).filter(|t| t.checked_mul(8).is_some_and(|b| b <= isize::MAX as usize));
    let Some(total) = total else {
        return Err(bad(format!("array shape {m} x {n} is too large")));
    };

    let mut a = Mat::<f64>::zeros(m, n);
    // the file's order, in lines of `len` values: columns (Fortran) or rows (C), read
    // `per` (≥ 32) lines at a time and scattered as blocks, so that the writes into the
    // column-major matrix stay within a few cache lines per column
    let (lines, len) = if h.fortran_order { (n, m) } else { (m, n) };
    let per = ((1 << 18) / len.max(1)).max(32);
    let mut buf = vec![0u8; 8 * per * len];
    let mut vals = vec![0.0f64; per * len];
    let mut done = 0usize;
    while done < lines {
        let rows = per.min(lines - done);
        let want = 8 * rows * len;
        let got = read_full(&mut r, &mut buf[..want]).map_err(io)?;
        if got < want {
            let found = done * len + got / 8;
            return Err(bad(format!("truncated data: expected {total} values, found {found}")));
        }
        for (v, c) in vals.iter_mut().zip(buf[..want].chunks_exact(8)) {
            let b: [u8; 8] = c.try_into().expect("chunks of 8");
            *v = if big_endian { f64::from_be_bytes(b) } else { f64::from_le_bytes(b) };
        }
        if h.fortran_order {
            for (l, col) in vals[..rows * len].chunks_exact(len).enumerate() {
                a.as_mut().col_mut(done + l).iter_mut().zip(col).for_each(|(x, &v)| *x = v);
            }
        } else {
            // the block's rows, row-major, are the columns of an n × rows column-major view
            let block = MatRef::from_column_major_slice(&vals[..rows * n], n, rows);
            a.as_mut().submatrix_mut(done, 0, rows, n).copy_from(block.transpose());
        }
        done += rows;
    }
    if read_full(&mut r, &mut [0u8; 1]).map_err(io)? > 0 {
        return Err(bad(format!("trailing bytes after the {total} values of the array")));
    }
    Ok(a)
}

/// Writes `a` as a version-1.0 `.npy` file with dtype `'<f8'` in C (row-major) order.
///
/// With `as_vector` and a single column the array is written 1-D, shape `(m,)`;
/// otherwise 2-D, shape `(m, n)`.
///
/// # Errors
/// [`Error::Io`] if the file cannot be written.
pub fn write_npy(path: &Path, a: MatRef<'_, f64>, as_vector: bool) -> Result<()> {
    let (m, n) = (a.nrows(), a.ncols());
    let shape = if as_vector && n == 1 { format!("({m},)") } else { format!("({m}, {n})") };
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
    // Pad with spaces so that magic + version + length + header is a multiple of 64.
    while (MAGIC.len() + 4 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let write = || -> std::io::Result<()> {
        let mut w = BufWriter::new(File::create(path)?);
        w.write_all(MAGIC)?;
        w.write_all(&[1, 0])?;
        let len = u16::try_from(header.len()).map_err(std::io::Error::other)?;
        w.write_all(&len.to_le_bytes())?;
        w.write_all(header.as_bytes())?;
        for i in 0..m {
            for j in 0..n {
                w.write_all(&a[(i, j)].to_le_bytes())?;
            }
        }
        w.flush()
    };
    write().map_err(|e| Error::io(path, e))
}

/// Reads until `buf` is full or the end of the file; returns the number of bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version-1.0 `.npy` file with the given header dict and little-endian values.
    fn raw_npy(dict: &str, values: &[f64]) -> Vec<u8> {
        let mut header = dict.to_string();
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    fn parse_msg(path: &Path) -> String {
        match read_npy(path).unwrap_err() {
            Error::Parse { line: 0, message, .. } => message,
            e => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn round_trip_c_order() {
        let dir = tempfile::tempdir().unwrap();
        let a = Mat::from_fn(3, 5, |i, j| (i * 10 + j) as f64 + 0.125);
        let path = dir.path().join("a.npy");
        write_npy(&path, a.as_ref(), false).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 128 + 15 * 8);
        assert_eq!(read_npy(&path).unwrap(), a);
        let v = Mat::from_fn(4, 1, |i, _| -(i as f64));
        write_npy(&path, v.as_ref(), true).unwrap();
        let text = std::fs::read(&path).unwrap();
        assert!(String::from_utf8_lossy(&text[..64]).contains("'shape': (4,)"));
        assert_eq!(read_npy(&path).unwrap(), v);
    }

    #[test]
    fn fortran_order_and_1d_by_hand() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.npy");
        let vals = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let dict = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }";
        std::fs::write(&path, raw_npy(dict, &vals)).unwrap();
        assert_eq!(read_npy(&path).unwrap(), Mat::from_fn(2, 3, |i, j| vals[i + 2 * j]));
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
        std::fs::write(&path, raw_npy(dict, &vals)).unwrap();
        assert_eq!(read_npy(&path).unwrap(), Mat::from_fn(2, 3, |i, j| vals[3 * i + j]));
        let dict = "{\"shape\": (6L,), \"fortran_order\": True, \"descr\": \"<f8\"}";
        std::fs::write(&path, raw_npy(dict, &vals)).unwrap();
        assert_eq!(read_npy(&path).unwrap(), Mat::from_fn(6, 1, |i, _| vals[i]));
    }

    /// Files of several read blocks (32 or more lines each), in both orders, with a last
    /// partial block; a file cut inside a later block reports how many values it held.
    #[test]
    fn blocked_reads_in_both_orders() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.npy");
        let (m, n) = (100, 3001); // C order: 87 rows a block; Fortran: 100 columns of 3001
        let vals: Vec<f64> = (0..m * n).map(|k| k as f64 * 0.5 - 7.0).collect();
        for (fortran, want) in [
            (false, Mat::from_fn(m, n, |i, j| vals[i * n + j])),
            (true, Mat::from_fn(m, n, |i, j| vals[i + j * m])),
        ] {
            let dict = format!(
                "{{'descr': '<f8', 'fortran_order': {}, 'shape': ({m}, {n}), }}",
                if fortran { "True" } else { "False" }
            );
            std::fs::write(&path, raw_npy(&dict, &vals)).unwrap();
            assert_eq!(read_npy(&path).unwrap(), want, "fortran {fortran}");
            std::fs::write(&path, raw_npy(&dict, &vals[..m * n - 5])).unwrap();
            let msg = parse_msg(&path);
            assert!(msg.contains(&format!("found {}", m * n - 5)), "{msg}");
        }
        let wide = Mat::from_fn(7, 70_001, |i, j| (i + 3 * j) as f64);
        write_npy(&path, wide.as_ref(), false).unwrap();
        assert_eq!(read_npy(&path).unwrap(), wide);
    }

    #[test]
    fn bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.npy");
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (Vec::new(), "magic"),
            (b"PK\x03\x04 not numpy".to_vec(), "magic"),
            (raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", &[]), "'<f4'"),
            (
                raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 2), }", &[1.0, 2.0]),
                "[1, 1, 2]",
            ),
            (raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", &[1.0]), "[]"),
            (raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", &[1.0; 3]), "found 3"),
            (raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", &[1.0; 3]), "trailing"),
            (raw_npy("{'descr': '<f8', 'shape': (2,), }", &[1.0; 2]), "fortran_order"),
            (raw_npy("{'descr': '<f8', 'fortran_order': maybe, 'shape': (2,), }", &[1.0; 2]), "header"),
        ];
        for (k, (bytes, needle)) in cases.into_iter().enumerate() {
            std::fs::write(&path, &bytes).unwrap();
            let msg = parse_msg(&path);
            assert!(msg.contains(needle), "case {k}: {msg}");
        }
        let mut bytes = raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", &[1.0; 2]);
        bytes.truncate(12);
        std::fs::write(&path, &bytes).unwrap();
        assert!(parse_msg(&path).contains("truncated"));
    }

    #[test]
    fn big_endian_is_swapped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("be.npy");
        let mut bytes = raw_npy("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", &[]);
        for v in [1.5f64, -3.0] {
            bytes.extend_from_slice(&v.to_be_bytes());
        }
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(read_npy(&path).unwrap(), Mat::from_fn(2, 1, |i, _| [1.5, -3.0][i]));
    }
}
