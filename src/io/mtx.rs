//! Matrix Market (`.mtx`, optionally gzip-compressed) reading and writing.

use super::{is_gz, parse_f64, LineReader};
use crate::error::{Error, Result};
use faer::{Mat, MatRef};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Reads a dense matrix from a Matrix Market file, plain or gzip-compressed.
///
/// Gzip is detected by a `.gz` suffix or the gzip magic bytes. Supported banners are
/// `%%MatrixMarket matrix {coordinate|array} {real|integer|double} {general|symmetric}`.
/// For `symmetric` files the stored triangle is mirrored; `array symmetric` files store
/// the lower triangle column by column. Comment (`%`) and blank lines are skipped, and
/// Fortran exponents (`1.0D-3`) are accepted.
///
/// Duplicate `coordinate` entries are **summed** (the usual Matrix Market / assembly
/// convention); in a symmetric file, an entry given in both triangles is counted twice.
/// Entries are checked one by one; a sum of duplicates that overflows is left to the
/// caller (see [`crate::source::check_finite`]).
///
/// # Errors
/// [`Error::Parse`] with the 1-based line number for a missing or unsupported banner
/// (`pattern`, `complex`, `hermitian`, `skew-symmetric`, `vector`), a bad size line, an
/// index out of range, a non-numeric token, fewer entries than declared (truncated
/// file) or extra data after the declared entries. [`Error::NonFiniteEntry`] (0-based)
/// for a NaN/inf value, [`Error::Io`] if the file cannot be read.
pub fn read_matrix_market(path: &Path) -> Result<Mat<f64>> {
    let mut r = LineReader::open(path)?;
    let (coordinate, symmetric) = read_banner(&mut r)?;
    if !next_data_line(&mut r)? {
        return Err(r.eof_error("missing size line"));
    }
    let sizes = r.current().split_whitespace().map(str::parse::<usize>);
    let want = 2 + usize::from(coordinate); // rows cols [entries]
    let sizes: Vec<usize> = match sizes.collect::<std::result::Result<Vec<_>, _>>() {
        Ok(s) if s.len() == want => s,
        _ => return Err(r.error(format!("invalid size line (expected {want} integers)"))),
    };
    let (m, n) = (sizes[0], sizes[1]);
    if symmetric && m != n {
        return Err(r.error(format!("a symmetric matrix must be square, found {m} x {n}")));
    }
    if m.checked_mul(n).and_then(|mn| mn.checked_mul(8)).is_none_or(|b| b > isize::MAX as usize) {
        return Err(r.error(format!("matrix size {m} x {n} is too large")));
    }
    let mut a = Mat::<f64>::zeros(m, n);
    if coordinate {
        read_coordinate(&mut r, &mut a, sizes[2], symmetric)?;
    } else {
        read_array(&mut r, &mut a, symmetric)?;
    }
    if next_data_line(&mut r)? {
        return Err(r.error("more entries than declared on the size line"));
    }
    Ok(a)
}

/// Parses the banner line; returns `(is_coordinate, is_symmetric)`.
fn read_banner(r: &mut LineReader<'_>) -> Result<(bool, bool)> {
    let Some(line) = r.next_line()? else {
        return Err(r.eof_error("empty file: missing %%MatrixMarket banner"));
    };
    let toks: Vec<String> = line.split_whitespace().map(str::to_ascii_lowercase).collect();
    if toks.first().map(String::as_str) != Some("%%matrixmarket") {
        return Err(r.error("missing %%MatrixMarket banner on the first line"));
    }
    if toks.len() != 5 {
        return Err(r.error("banner must be '%%MatrixMarket matrix <format> <field> <symmetry>'"));
    }
    let bad = |what: &str, v: &str, ok: &str| {
        Err(r.error(format!("{what} '{v}' is not supported (expected {ok})")))
    };
    if toks[1] != "matrix" {
        return bad("object", &toks[1], "matrix");
    }
    let coordinate = match toks[2].as_str() {
        "coordinate" => true,
        "array" => false,
        f => return bad("format", f, "coordinate or array"),
    };
    if !matches!(toks[3].as_str(), "real" | "integer" | "double") {
        return bad("field", &toks[3], "real, integer or double");
    }
    let symmetric = match toks[4].as_str() {
        "general" => false,
        "symmetric" => true,
        s => return bad("symmetry", s, "general or symmetric"),
    };
    Ok((coordinate, symmetric))
}

/// Advances to the next line that is neither blank nor a `%` comment (then available
/// as [`LineReader::current`]); false at the end of the file.
fn next_data_line(r: &mut LineReader<'_>) -> Result<bool> {
    while let Some(l) = r.next_line()? {
        let l = l.trim_start();
        if !l.is_empty() && !l.starts_with('%') {
            return Ok(true);
        }
    }
    Ok(false)
}

fn parse_value(r: &LineReader<'_>, tok: &str, row: usize, col: usize) -> Result<f64> {
    match parse_f64(tok) {
        Some(v) if v.is_finite() => Ok(v),
        Some(_) => Err(Error::NonFiniteEntry { row, col }),
        None => Err(r.error(format!("invalid number '{tok}'"))),
    }
}

fn read_coordinate(r: &mut LineReader<'_>, a: &mut Mat<f64>, nnz: usize, symmetric: bool) -> Result<()> {
    let (m, n) = (a.nrows(), a.ncols());
    for k in 0..nnz {
        if !next_data_line(r)? {
            return Err(r.eof_error(format!("after {k} of {nnz} entries")));
        }
        let toks: Vec<&str> = r.current().split_whitespace().collect();
        if toks.len() != 3 {
            return Err(r.error(format!("expected 'row col value', found {} fields", toks.len())));
        }
        let index = |tok: &str, max: usize, what: &str| match tok.parse::<usize>() {
            Ok(i) if (1..=max).contains(&i) => Ok(i - 1),
            Ok(i) => Err(r.error(format!("{what} index {i} out of range 1..={max}"))),
            Err(_) => Err(r.error(format!("invalid {what} index '{tok}'"))),
        };
        let i = index(toks[0], m, "row")?;
        let j = index(toks[1], n, "column")?;
        let v = parse_value(r, toks[2], i, j)?;
        a[(i, j)] += v;
        if symmetric && i != j {
            a[(j, i)] += v;
        }
    }
    Ok(())
}

fn read_array(r: &mut LineReader<'_>, a: &mut Mat<f64>, symmetric: bool) -> Result<()> {
    let (m, n) = (a.nrows(), a.ncols());
    let total = if symmetric { n * (n + 1) / 2 } else { m * n };
    // Column-major cursor over the stored entries (the lower triangle when symmetric).
    let (mut i, mut j, mut k) = (0usize, 0usize, 0usize);
    while k < total {
        if !next_data_line(r)? {
            return Err(r.eof_error(format!("after {k} of {total} entries")));
        }
        for tok in r.current().split_whitespace() {
            if k == total {
                return Err(r.error("more entries than declared on the size line"));
            }
            let v = parse_value(r, tok, i, j)?;
            a[(i, j)] = v;
            if symmetric {
                a[(j, i)] = v;
            }
            k += 1;
            i += 1;
            if i == m {
                j += 1;
                i = if symmetric { j } else { 0 };
            }
        }
    }
    Ok(())
}

/// Writes `a` as a `coordinate real` Matrix Market file (gzip-compressed when the file
/// name ends in `.gz`), with 17 significant digits so that reading it back is exact.
///
/// Exact zeros are not written. With `symmetric`, only the lower triangle (`i ≥ j`) is
/// written under a `symmetric` banner; the upper triangle is not checked.
///
/// # Errors
/// [`Error::NotSquare`] if `symmetric` and `a` is not square, [`Error::Io`] if the file
/// cannot be written.
pub fn write_matrix_market(path: &Path, a: MatRef<'_, f64>, symmetric: bool) -> Result<()> {
    if symmetric && a.nrows() != a.ncols() {
        return Err(Error::NotSquare { rows: a.nrows(), cols: a.ncols() });
    }
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let res = if is_gz(path) {
        let mut w = BufWriter::new(GzEncoder::new(file, Compression::default()));
        write_body(&mut w, a, symmetric)
            .and_then(|()| w.into_inner().map_err(|e| e.into_error()))
            .and_then(|enc| enc.finish())
            .and_then(|mut f| f.flush())
    } else {
        let mut w = BufWriter::new(file);
        write_body(&mut w, a, symmetric).and_then(|()| w.flush())
    };
    res.map_err(|e| Error::io(path, e))
}

fn write_body(w: &mut impl Write, a: MatRef<'_, f64>, symmetric: bool) -> std::io::Result<()> {
    let (m, n) = (a.nrows(), a.ncols());
    let lower = |j: usize| if symmetric { j..m } else { 0..m };
    let nnz: usize = (0..n).map(|j| lower(j).filter(|&i| a[(i, j)] != 0.0).count()).sum();
    let kind = if symmetric { "symmetric" } else { "general" };
    writeln!(w, "%%MatrixMarket matrix coordinate real {kind}")?;
    writeln!(w, "{m} {n} {nnz}")?;
    for j in 0..n {
        for i in lower(j) {
            let v = a[(i, j)];
            if v != 0.0 {
                writeln!(w, "{} {} {v:.17e}", i + 1, j + 1)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn write_file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn sample(m: usize, n: usize) -> Mat<f64> {
        let zero_or_one = |i: usize, j: usize| ((i + 2 * j) % 3).min(1) as f64;
        Mat::from_fn(m, n, |i, j| zero_or_one(i, j) * (i as f64 + 0.1) / (j as f64 + 0.7))
    }

    fn parse_err(path: &Path) -> (usize, String) {
        match read_matrix_market(path).unwrap_err() {
            Error::Parse { line, message, .. } => (line, message),
            e => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn round_trip_coordinate_general_and_symmetric() {
        let dir = tempfile::tempdir().unwrap();
        let a = sample(5, 3);
        let path = dir.path().join("g.mtx");
        write_matrix_market(&path, a.as_ref(), false).unwrap();
        assert_eq!(read_matrix_market(&path).unwrap(), a);
        let s = Mat::from_fn(6, 6, |i, j| sample(6, 6)[(i.max(j), i.min(j))]);
        let path = dir.path().join("s.mtx");
        write_matrix_market(&path, s.as_ref(), true).unwrap();
        assert_eq!(read_matrix_market(&path).unwrap(), s);
    }

    #[test]
    fn round_trip_gz() {
        let dir = tempfile::tempdir().unwrap();
        let s = Mat::from_fn(7, 7, |i, j| 1.0 / (1.0 + (i as f64 - j as f64).abs()) + 1e-300);
        let path = dir.path().join("s.mtx.gz");
        write_matrix_market(&path, s.as_ref(), true).unwrap();
        let raw = std::fs::read(&path).unwrap();
        assert_eq!(&raw[..2], &[0x1f, 0x8b]);
        assert_eq!(read_matrix_market(&path).unwrap(), s);
        // Detected by magic bytes even without the suffix.
        let plain_name = dir.path().join("renamed.mtx");
        std::fs::write(&plain_name, &raw).unwrap();
        assert_eq!(read_matrix_market(&plain_name).unwrap(), s);
    }

    #[test]
    fn array_general_and_symmetric() {
        let dir = tempfile::tempdir().unwrap();
        let text = "%%MatrixMarket matrix array real general\n% comment\n\n2 3\n1\n2\n3 4\n5\n6\n";
        let a = read_matrix_market(&write_file(&dir, "a.mtx", text)).unwrap();
        assert_eq!(a, Mat::from_fn(2, 3, |i, j| (1 + i + 2 * j) as f64));
        let text = "%%MatrixMarket matrix array integer symmetric\n3 3\n1\n2\n3\n4\n5\n6\n";
        let a = read_matrix_market(&write_file(&dir, "s.mtx", text)).unwrap();
        let expect = [[1.0, 2.0, 3.0], [2.0, 4.0, 5.0], [3.0, 5.0, 6.0]];
        assert_eq!(a, Mat::from_fn(3, 3, |i, j| expect[i][j]));
    }

    #[test]
    fn duplicates_are_summed() {
        let dir = tempfile::tempdir().unwrap();
        let text = "%%MatrixMarket matrix coordinate real symmetric\n2 2 3\n2 1 1.5\n2 1 0.25D0\n1 1 -1\n";
        let a = read_matrix_market(&write_file(&dir, "d.mtx", text)).unwrap();
        assert_eq!((a[(0, 0)], a[(1, 0)], a[(0, 1)], a[(1, 1)]), (-1.0, 1.75, 1.75, 0.0));
    }

    #[test]
    fn bad_inputs() {
        let dir = tempfile::tempdir().unwrap();
        // (banner after "%%MatrixMarket matrix ", or "-" for none; body; line; message part)
        let cases: &[(&str, &str, usize, &str)] = &[
            ("-", "", 1, "banner"),
            ("-", "1 1 1\n1 1 1\n", 1, "banner"),
            ("coordinate pattern general", "", 1, "pattern"),
            ("coordinate complex general", "", 1, "complex"),
            ("coordinate real hermitian", "", 1, "hermitian"),
            ("coordinate real skew-symmetric", "", 1, "skew"),
            ("coordinate real", "", 1, "banner must be"),
            ("coordinate real general", "%c\n", 3, "size"),
            ("coordinate real general", "2 2\n", 2, "size"),
            ("coordinate real symmetric", "2 3 1\n", 2, "square"),
            ("coordinate real general", "2 2 3\n1 1 1\n\n2 2 1\n", 6, "end of file"),
            ("coordinate real general", "2 2 1\n3 1 1\n", 3, "out of range"),
            ("coordinate real general", "2 2 1\n1 0 1\n", 3, "out of range"),
            ("coordinate real general", "2 2 1\n1 1 x1\n", 3, "'x1'"),
            ("coordinate real general", "2 2 1\n1 1\n", 3, "fields"),
            ("coordinate real general", "2 2 1\n1 1 1\n2 2 2\n", 4, "more entries"),
            ("array real general", "2 2\n1\n2\n3\n", 6, "end of file"),
            ("array real general", "1 2\n1 2 3\n", 3, "more entries"),
        ];
        for (k, &(banner, body, line, needle)) in cases.iter().enumerate() {
            let text = match banner {
                "-" => body.to_string(),
                b => format!("%%MatrixMarket matrix {b}\n{body}"),
            };
            let (l, msg) = parse_err(&write_file(&dir, &format!("{k}.mtx"), &text));
            assert_eq!(l, line, "case {k}: {msg}");
            assert!(msg.contains(needle), "case {k}: {msg}");
        }
    }

    #[test]
    fn nan_entry() {
        let dir = tempfile::tempdir().unwrap();
        let text = "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1\n3 2 NaN\n";
        let e = read_matrix_market(&write_file(&dir, "n.mtx", text)).unwrap_err();
        assert_eq!(e, Error::NonFiniteEntry { row: 2, col: 1 });
        let text = "%%MatrixMarket matrix array real general\n2 1\n1\ninf\n";
        let e = read_matrix_market(&write_file(&dir, "i.mtx", text)).unwrap_err();
        assert_eq!(e, Error::NonFiniteEntry { row: 1, col: 0 });
    }

    #[test]
    fn truncated_gzip_is_parse_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.mtx.gz");
        write_matrix_market(&path, sample(30, 30).as_ref(), false).unwrap();
        let raw = std::fs::read(&path).unwrap();
        std::fs::write(&path, &raw[..raw.len() / 2]).unwrap();
        assert!(matches!(read_matrix_market(&path).unwrap_err(), Error::Parse { .. }));
    }
}
