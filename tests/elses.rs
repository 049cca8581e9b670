//! The ELSES carbon model against the matrices and eigenvalues ELSES produced.
mod common;
use hmatrix::elses::{supercell, ElsesSource, CELL_EDGE};
use hmatrix::source::{to_dense, EntrySource};
use std::path::Path;

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name)
}

#[test]
fn reproduces_the_single_c60_matrix_entry_by_entry() {
    let (_, atoms) = hmatrix::io::read_xyz(&data("c60_single_n240.xyz")).unwrap();
    let src = ElsesSource::new(atoms).unwrap();
    let mine = to_dense(&src);
    let reference = hmatrix::io::read_matrix(&data("c60_single_n240.mtx.gz")).unwrap();
    let diff = (&mine - &reference).norm_max();
    assert!(diff <= 1e-14, "max entry difference {diff:e}");
}

#[test]
fn reproduces_the_sampled_crystal_entries() {
    let (_, atoms) = hmatrix::io::read_xyz(&data("c60_fcc_1x1x1_n7680.xyz")).unwrap();
    let src = ElsesSource::new(atoms).unwrap();
    assert_eq!(src.n(), 7680);
    let text = std::fs::read_to_string(data("c60_fcc_1x1x1_n7680.sampled_entries.txt")).unwrap();
    let mut count = 0;
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (i, j, v): (usize, usize, f64) =
            (f[0].parse().unwrap(), f[1].parse().unwrap(), f[2].parse().unwrap());
        let mine = src.entry(i - 1, j - 1);
        assert!((mine - v).abs() <= 1e-14 + 1e-12 * v.abs(), "({i},{j}): {mine:e} vs {v:e}");
        count += 1;
    }
    assert_eq!(count, 2000);
}

#[test]
fn supercell_replicates_with_seeded_noise() {
    let (_, cell) = hmatrix::io::read_xyz(&data("c60_single_n240.xyz")).unwrap();
    let a = supercell(&cell, [2, 1, 1], CELL_EDGE, 0.1, 7).unwrap();
    let b = supercell(&cell, [2, 1, 1], CELL_EDGE, 0.1, 7).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 120);
    for p in 0..60 {
        for ax in 0..3 {
            assert!((a.point(p)[ax] - cell.point(p)[ax]).abs() <= 0.1);
        }
        assert!((a.point(60 + p)[0] - cell.point(p)[0] - CELL_EDGE).abs() <= 0.1);
    }
    assert!(supercell(&cell, [0, 1, 1], CELL_EDGE, 0.1, 7).is_err());
    assert!(supercell(&cell, [1, 1, 1], CELL_EDGE, f64::NAN, 7).is_err());
}
