//! Point sets: XYZ atom files and plain whitespace-separated coordinate columns.

use super::{parse_f64, LineReader};
use crate::error::{Error, Result};
use crate::geometry::Points;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Reads a point set, choosing the format from the file name.
///
/// `.xyz` (case-insensitive) is read with [`read_xyz`] and the atom symbols are dropped.
/// Anything else is plain text: one point per line with 1–3 whitespace-separated
/// coordinates, the same number on every line; blank lines and lines starting with `#`
/// are ignored. Gzip-compressed files are decompressed transparently.
///
/// # Errors
/// [`Error::Parse`] with the 1-based line number for a line with more than 3 columns, a
/// column count different from the first point's, or a non-numeric token;
/// [`Error::Empty`] for a file without points, [`Error::NonFinitePoint`] for NaN/inf
/// coordinates, [`Error::Io`] if the file cannot be read, and the errors of
/// [`read_xyz`] for `.xyz` files.
pub fn read_points(path: &Path) -> Result<Points> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xyz")) {
        return read_xyz(path).map(|(_, p)| p);
    }
    let mut r = LineReader::open(path)?;
    let mut dim: Option<(usize, usize)> = None; // (columns, line of the first point)
    let mut coords = Vec::new();
    while let Some(line) = r.next_line()? {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cols = line.split_whitespace().count();
        match dim {
            _ if cols > 3 => return Err(r.error(format!("expected 1 to 3 coordinates, found {cols}"))),
            Some((d, first)) if d != cols => {
                return Err(r.error(format!("expected {d} columns (as on line {first}), found {cols}")))
            }
            Some(_) => {}
            None => dim = Some((cols, r.line())),
        }
        for tok in r.current().split_whitespace() {
            coords.push(parse_f64(tok).ok_or_else(|| r.error(format!("invalid number '{tok}'")))?);
        }
    }
    let Some((dim, _)) = dim else {
        return Err(Error::Empty);
    };
    Points::new(dim, coords)
}

/// Reads an XYZ file: returns the atom symbols and the 3-D positions.
///
/// Line 1 holds the atom count as its first token (further tokens, e.g. box lengths,
/// are ignored), line 2 is a free comment, then one `Symbol x y z` line per atom
/// (extra columns are ignored). Trailing blank lines are allowed; multi-frame files
/// are not.
///
/// # Errors
/// [`Error::Parse`] with the 1-based line number for a missing or non-integer count, a
/// missing comment line, an atom line with fewer than 4 fields or a non-numeric
/// coordinate, fewer atom lines than the count (truncated file) or more (count
/// mismatch); [`Error::Empty`] for a count of 0, [`Error::NonFinitePoint`] for NaN/inf
/// coordinates, [`Error::Io`] if the file cannot be read.
pub fn read_xyz(path: &Path) -> Result<(Vec<String>, Points)> {
    let mut r = LineReader::open(path)?;
    let Some(first) = r.next_line()? else {
        return Err(r.eof_error("empty file, expected the atom count"));
    };
    let tok = first.split_whitespace().next().unwrap_or("").to_string();
    let count =
        tok.parse::<usize>().map_err(|_| r.error(format!("expected the atom count, found '{tok}'")))?;
    if r.next_line()?.is_none() {
        return Err(r.eof_error("missing comment line"));
    }
    let mut symbols = Vec::with_capacity(count.min(1 << 20));
    let mut coords = Vec::with_capacity(3 * count.min(1 << 20));
    for k in 0..count {
        if r.next_line()?.is_none() {
            return Err(r.eof_error(format!("after {k} of {count} atoms (count on line 1)")));
        }
        let toks: Vec<&str> = r.current().split_whitespace().collect();
        if toks.len() < 4 {
            return Err(r.error(format!("expected 'Symbol x y z', found {} fields", toks.len())));
        }
        for tok in &toks[1..4] {
            coords.push(parse_f64(tok).ok_or_else(|| r.error(format!("invalid coordinate '{tok}'")))?);
        }
        symbols.push(toks[0].to_string());
    }
    while let Some(line) = r.next_line()? {
        if !line.trim().is_empty() {
            return Err(r.error(format!(
                "more atom lines than the count {count} on line 1 (multi-frame XYZ is not supported)"
            )));
        }
    }
    Ok((symbols, Points::new(3, coords)?))
}

/// Writes an XYZ file: the atom count, `comment` (line breaks replaced by spaces) and
/// one `Symbol x y z` line per point, with shortest round-trip (full precision)
/// formatting. Points with fewer than 3 coordinates are padded with zeros.
///
/// # Errors
/// [`Error::SizeMismatch`] if `symbols.len() != points.len()`,
/// [`Error::InvalidParameter`] for an empty symbol or one containing whitespace,
/// [`Error::Io`] if the file cannot be written.
pub fn write_xyz(path: &Path, symbols: &[String], points: &Points, comment: &str) -> Result<()> {
    if symbols.len() != points.len() {
        return Err(Error::SizeMismatch {
            what: "atom symbols",
            expected: points.len(),
            found: symbols.len(),
        });
    }
    if let Some(s) = symbols.iter().find(|s| s.is_empty() || s.chars().any(char::is_whitespace)) {
        return Err(Error::invalid("atom symbol", format!("'{s}'"), "a non-empty name without whitespace"));
    }
    let comment = comment.replace(['\n', '\r'], " ");
    let write = || -> std::io::Result<()> {
        let mut w = BufWriter::new(File::create(path)?);
        writeln!(w, "{}", points.len())?;
        writeln!(w, "{comment}")?;
        for (i, s) in symbols.iter().enumerate() {
            let mut x = [0.0; 3];
            x[..points.dim()].copy_from_slice(points.point(i));
            writeln!(w, "{s} {:?} {:?} {:?}", x[0], x[1], x[2])?;
        }
        w.flush()
    };
    write().map_err(|e| Error::io(path, e))
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

    fn parse_err(e: Error) -> (usize, String) {
        match e {
            Error::Parse { line, message, .. } => (line, message),
            e => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn xyz_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = Points::new(3, vec![1.17, 0.84, 3.18, -1e-20, 1.0 / 3.0, 12345.678901234567]).unwrap();
        let syms = vec!["C".to_string(), "Si".to_string()];
        let path = dir.path().join("a.xyz");
        write_xyz(&path, &syms, &p, "two atoms\nsecond line").unwrap();
        let (s, q) = read_xyz(&path).unwrap();
        assert_eq!((s, &q), (syms.clone(), &p));
        assert_eq!(read_points(&path).unwrap(), p);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().nth(1), Some("two atoms second line"));
        // 2-D points are padded with z = 0.
        let p2 = Points::new(2, vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        write_xyz(&path, &syms, &p2, "").unwrap();
        assert_eq!(read_xyz(&path).unwrap().1.coords(), &[1.0, 2.0, 0.0, 3.0, 4.0, 0.0]);
    }

    #[test]
    fn xyz_header_with_box_and_extra_columns() {
        let dir = tempfile::tempdir().unwrap();
        let text = "2 28.34 28.34 28.34\ncomment\nC 1 2 3 0.5\nH 4 5 6\n\n";
        let (s, p) = read_xyz(&write_file(&dir, "b.xyz", text)).unwrap();
        assert_eq!(s, ["C", "H"]);
        assert_eq!(p.coords(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn xyz_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cases: &[(&str, usize, &str)] = &[
            ("", 1, "atom count"),
            ("two\nc\nC 1 2 3\n", 1, "'two'"),
            ("1\n", 2, "comment"),
            ("3\nc\nC 1 2 3\nC 1 2 4\n", 5, "2 of 3"),
            ("1\nc\nC 1 2 3\nC 1 2 4\n", 4, "more atom lines"),
            ("2\nc\nC 1 2 3\nC 1 2\n", 4, "fields"),
            ("1\nc\nC 1 y 3\n", 3, "'y'"),
        ];
        for (k, &(text, line, needle)) in cases.iter().enumerate() {
            let (l, msg) = parse_err(read_xyz(&write_file(&dir, &format!("{k}.xyz"), text)).unwrap_err());
            assert_eq!(l, line, "case {k}: {msg}");
            assert!(msg.contains(needle), "case {k}: {msg}");
        }
        let e = read_xyz(&write_file(&dir, "z.xyz", "0\nnone\n")).unwrap_err();
        assert_eq!(e, Error::Empty);
        let e = read_xyz(&write_file(&dir, "n.xyz", "1\nc\nC 1 nan 3\n")).unwrap_err();
        assert_eq!(e, Error::NonFinitePoint { index: 0, coord: 1 });
    }

    #[test]
    fn write_xyz_validates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.xyz");
        let p = Points::new(3, vec![0.0; 6]).unwrap();
        let e = write_xyz(&path, &["C".into()], &p, "").unwrap_err();
        assert!(matches!(e, Error::SizeMismatch { expected: 2, found: 1, .. }));
        let e = write_xyz(&path, &["C".into(), "C 1".into()], &p, "").unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { .. }));
    }

    #[test]
    fn text_points_1_2_3_columns() {
        let dir = tempfile::tempdir().unwrap();
        for dim in 1..=3 {
            let coords: Vec<f64> = (0..4 * dim).map(|k| k as f64 * 0.5 - 1.25).collect();
            let mut text = String::from("# header comment\n\n");
            for p in coords.chunks(dim) {
                let row: Vec<String> = p.iter().map(|x| format!("{x:?}")).collect();
                text += &format!("  {}\n", row.join(" \t"));
            }
            text += "\n# trailing comment\n";
            let p = read_points(&write_file(&dir, &format!("p{dim}.txt"), &text)).unwrap();
            assert_eq!(p, Points::new(dim, coords).unwrap());
        }
    }

    #[test]
    fn text_points_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cases: &[(&str, usize, &str)] = &[
            ("1 2\n3 4\n\n5\n", 4, "expected 2 columns (as on line 1), found 1"),
            ("# c\n1 2\n3 4 5\n", 3, "expected 2 columns (as on line 2), found 3"),
            ("1 2 3 4\n", 1, "1 to 3"),
            ("1 2\n3 four\n", 2, "'four'"),
        ];
        for (k, &(text, line, needle)) in cases.iter().enumerate() {
            let (l, msg) = parse_err(read_points(&write_file(&dir, &format!("{k}.dat"), text)).unwrap_err());
            assert_eq!(l, line, "case {k}: {msg}");
            assert!(msg.contains(needle), "case {k}: {msg}");
        }
        assert_eq!(read_points(&write_file(&dir, "e.txt", "# nothing\n\n")).unwrap_err(), Error::Empty);
    }

    #[test]
    fn real_elses_c60_fcc_xyz() {
        let path = Path::new("/work/shared/data/elses/c60_fcc_1x1x1_n7680.xyz");
        if !path.exists() {
            eprintln!("skipping: {} not found", path.display());
            return;
        }
        let (syms, p) = read_xyz(path).unwrap();
        assert_eq!((syms.len(), p.len(), p.dim()), (1920, 1920, 3));
        assert!(syms.iter().all(|s| s == "C"));
        assert_eq!(p.point(0), &[1.17, 0.84, 3.18]);
        assert_eq!(read_points(path).unwrap(), p);
    }
}
