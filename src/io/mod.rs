//! Reading and writing matrices (Matrix Market, NumPy `.npy`) and point sets
//! (XYZ, plain text columns).
//!
//! The readers validate everything a user file can get wrong and report it as a typed
//! [`Error`]: malformed files are [`Error::Parse`] with a 1-based line number (0 for
//! binary formats), unreadable files are [`Error::Io`].

mod mtx;
mod npy;
mod npy_header;
mod points;

pub use mtx::{read_matrix_market, write_matrix_market};
pub use npy::{read_npy, write_npy};
pub use points::{read_points, read_xyz, write_xyz};

use crate::error::{Error, Result};
use crate::source::{check_symmetric, DenseSource};
use faer::Mat;
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// Matrix file extensions accepted by [`read_matrix`].
pub const MATRIX_EXTENSIONS: &str = ".mtx, .mtx.gz, .npy";

/// Reads a dense symmetric matrix, choosing the format from the file name.
///
/// `.mtx` and `.mtx.gz` are read as Matrix Market ([`read_matrix_market`]), `.npy` as
/// NumPy ([`read_npy`]); the extension is matched case-insensitively. The result is
/// checked to be square, non-empty, finite and symmetric ([`check_symmetric`]).
///
/// # Errors
/// [`Error::Parse`] for an unknown extension (the message lists [`MATRIX_EXTENSIONS`])
/// or a malformed file, [`Error::Io`] if the file cannot be read,
/// [`Error::NotSquare`], [`Error::Empty`] for a 0×0 matrix,
/// [`Error::NonFiniteEntry`] (0-based row/col) and [`Error::NotSymmetric`].
pub fn read_matrix(path: &Path) -> Result<Mat<f64>> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let a = if name.ends_with(".mtx") || name.ends_with(".mtx.gz") {
        read_matrix_market(path)?
    } else if name.ends_with(".npy") {
        read_npy(path)?
    } else {
        return Err(Error::parse(
            path,
            0,
            format!("unrecognized matrix file extension (expected one of: {MATRIX_EXTENSIONS})"),
        ));
    };
    if a.nrows() != a.ncols() {
        return Err(Error::NotSquare { rows: a.nrows(), cols: a.ncols() });
    }
    if a.nrows() == 0 {
        return Err(Error::Empty);
    }
    check_symmetric(a.as_ref())?; // finiteness first
    Ok(a)
}

/// [`read_matrix`] wrapped as an entry source, checked once (an N² pass over the file's
/// matrix, which [`DenseSource::new`] would repeat).
///
/// # Errors
/// As [`read_matrix`].
pub fn read_source(path: &Path) -> Result<DenseSource> {
    read_matrix(path).map(DenseSource::from_checked)
}

/// A line-by-line text reader over a plain or gzip-compressed file that tracks the
/// 1-based number of the last line returned.
pub(crate) struct LineReader<'p> {
    reader: Box<dyn BufRead>,
    path: &'p Path,
    buf: String,
    line: usize,
}

impl<'p> LineReader<'p> {
    /// Opens `path`, decompressing it when the name ends in `.gz` or the file starts
    /// with the gzip magic bytes.
    pub(crate) fn open(path: &'p Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let magic = reader.fill_buf().map_err(|e| Error::io(path, e))?.starts_with(&[0x1f, 0x8b]);
        let reader: Box<dyn BufRead> = if magic || is_gz(path) {
            Box::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(reader)))
        } else {
            Box::new(reader)
        };
        Ok(Self { reader, path, buf: String::new(), line: 0 })
    }

    /// The next line without its line terminator, or `None` at the end of the file.
    pub(crate) fn next_line(&mut self) -> Result<Option<&str>> {
        self.buf.clear();
        match self.reader.read_line(&mut self.buf) {
            Ok(0) => Ok(None),
            Ok(_) => {
                self.line += 1;
                Ok(Some(self.buf.trim_end_matches(['\n', '\r'])))
            }
            Err(e) => {
                let line = self.line + 1;
                match e.kind() {
                    std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof => {
                        Err(Error::parse(self.path, line, format!("cannot decode file: {e}")))
                    }
                    _ => Err(Error::io(self.path, format!("line {line}: {e}"))),
                }
            }
        }
    }

    /// The last line returned by [`Self::next_line`], without its terminator.
    pub(crate) fn current(&self) -> &str {
        self.buf.trim_end_matches(['\n', '\r'])
    }

    /// 1-based number of the last line returned (0 before the first).
    pub(crate) fn line(&self) -> usize {
        self.line
    }

    /// A [`Error::Parse`] "unexpected end of file" at the line after the last one.
    pub(crate) fn eof_error(&self, message: impl std::fmt::Display) -> Error {
        let msg = format!("unexpected end of file: {message}");
        Error::parse(self.path, self.line + 1, msg)
    }

    /// A [`Error::Parse`] at the last line returned.
    pub(crate) fn error(&self, message: impl Into<String>) -> Error {
        Error::parse(self.path, self.line, message)
    }
}

/// Whether the file name ends in `.gz` (case-insensitive).
pub(crate) fn is_gz(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Parses a floating-point token, also accepting Fortran exponents (`1.5D-3`).
pub(crate) fn parse_f64(tok: &str) -> Option<f64> {
    tok.parse::<f64>().ok().or_else(|| tok.replace(['d', 'D'], "e").parse::<f64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_file(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::File::create(&path).unwrap().write_all(text.as_bytes()).unwrap();
        path
    }

    #[test]
    fn dispatches_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        let a = Mat::<f64>::from_fn(4, 4, |i, j| 1.0 / (1.0 + i as f64 + j as f64));
        for name in ["a.mtx", "a.MTX.gz", "a.npy"] {
            let path = dir.path().join(name);
            if name.ends_with("npy") {
                write_npy(&path, a.as_ref(), false).unwrap();
            } else {
                write_matrix_market(&path, a.as_ref(), true).unwrap();
            }
            assert_eq!(read_matrix(&path).unwrap(), a, "{name}");
        }
    }

    #[test]
    fn unknown_extension() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "a.csv", "1,2\n3,4\n");
        match read_matrix(&path).unwrap_err() {
            Error::Parse { message, .. } => assert!(message.contains(".mtx.gz"), "{message}"),
            e => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn empty_file_is_parse_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "a.mtx", "");
        assert!(matches!(read_matrix(&path).unwrap_err(), Error::Parse { line: 1, .. }));
        let path = write_file(&dir, "a.npy", "");
        assert!(matches!(read_matrix(&path).unwrap_err(), Error::Parse { .. }));
    }

    #[test]
    fn missing_file_is_io_error() {
        let e = read_matrix(Path::new("/nonexistent/dir/a.mtx")).unwrap_err();
        assert!(matches!(e, Error::Io { .. }));
    }

    #[test]
    fn rejects_non_square_and_empty() {
        let dir = tempfile::tempdir().unwrap();
        let text = "%%MatrixMarket matrix array real general\n2 3\n1\n2\n3\n4\n5\n6\n";
        let path = write_file(&dir, "ns.mtx", text);
        assert_eq!(read_matrix(&path).unwrap_err(), Error::NotSquare { rows: 2, cols: 3 });
        let path = write_file(&dir, "e.mtx", "%%MatrixMarket matrix coordinate real general\n0 0 0\n");
        assert_eq!(read_matrix(&path).unwrap_err(), Error::Empty);
    }

    #[test]
    fn rejects_non_symmetric_with_position() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Mat::<f64>::from_fn(5, 5, |i, j| (i + j) as f64);
        a[(1, 3)] += 0.5;
        a[(4, 2)] += 1e-3;
        let path = dir.path().join("a.npy");
        write_npy(&path, a.as_ref(), false).unwrap();
        match read_matrix(&path).unwrap_err() {
            Error::NotSymmetric { row, col, diff, tol } => {
                assert_eq!((row, col), (3, 1));
                assert_eq!(diff, 0.5);
                assert!((tol - 8e-12).abs() < 1e-20);
            }
            e => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn symmetry_tolerance_is_relative() {
        let mut a = Mat::<f64>::from_fn(3, 3, |i, j| 1e6 * (1 + i + j) as f64);
        a[(0, 2)] += 1e-7;
        assert!(check_symmetric(a.as_ref()).is_ok());
        a[(0, 2)] += 1e-4;
        assert!(matches!(check_symmetric(a.as_ref()), Err(Error::NotSymmetric { row: 2, col: 0, .. })));
        assert!(check_symmetric(Mat::<f64>::zeros(3, 3).as_ref()).is_ok());
        a[(1, 1)] = f64::NAN;
        assert_eq!(check_symmetric(a.as_ref()).unwrap_err(), Error::NonFiniteEntry { row: 1, col: 1 });
    }

    /// Ties between tiles: the first worst pair in column-major order is reported, also
    /// when the tiled sweep meets another one first; an odd size with a partial last tile.
    #[test]
    fn symmetry_ties_across_tiles() {
        let mut a = Mat::<f64>::from_fn(201, 201, |i, j| 1.0 / (1.0 + i.abs_diff(j) as f64));
        assert!(check_symmetric(a.as_ref()).is_ok());
        a[(70, 10)] += 0.25; // met first: its tile (rows 64..128) precedes that of (150, 5)
        a[(150, 5)] += 0.25;
        match check_symmetric(a.as_ref()) {
            Err(Error::NotSymmetric { row, col, .. }) => assert_eq!((row, col), (150, 5)),
            other => panic!("{other:?}"),
        }
        a[(5, 200)] -= 0.5; // the upper triangle, in the last partial tile
        match check_symmetric(a.as_ref()) {
            Err(Error::NotSymmetric { row, col, diff, .. }) => assert_eq!((row, col, diff), (200, 5, 0.5)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn non_finite_npy_entry() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Mat::<f64>::identity(3, 3);
        a[(2, 1)] = f64::INFINITY;
        let path = dir.path().join("a.npy");
        write_npy(&path, a.as_ref(), false).unwrap();
        assert_eq!(read_matrix(&path).unwrap_err(), Error::NonFiniteEntry { row: 2, col: 1 });
    }

    #[test]
    fn fortran_exponents() {
        assert_eq!(parse_f64("1.5D-3"), Some(1.5e-3));
        assert_eq!(parse_f64("-2d2"), Some(-200.0));
        assert_eq!(parse_f64("abc"), None);
    }

    #[test]
    fn real_elses_c60() {
        let path = Path::new("/work/shared/data/elses/c60_single_n240.mtx.gz");
        if !path.exists() {
            eprintln!("skipping: {} not found", path.display());
            return;
        }
        let a = read_matrix(path).unwrap();
        assert_eq!((a.nrows(), a.ncols()), (240, 240));
        assert!(check_symmetric(a.as_ref()).is_ok());
        // First data line of the file: "1 1 6.1554631113201724E-2".
        let mut r = LineReader::open(path).unwrap();
        let first = loop {
            let l = r.next_line().unwrap().unwrap().to_string();
            if !l.starts_with('%') {
                assert_eq!(l.split_whitespace().count(), 3, "size line");
                break r.next_line().unwrap().unwrap().to_string();
            }
        };
        let t: Vec<&str> = first.split_whitespace().collect();
        assert_eq!((t[0], t[1]), ("1", "1"));
        assert_eq!(a[(0, 0)], t[2].parse::<f64>().unwrap());
        assert_eq!(a[(0, 0)], 6.1554631113201724e-2);
    }
}
