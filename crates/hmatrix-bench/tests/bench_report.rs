//! The benchmark report logic of `examples/bench_report.rs` (medians, fastest dense solver,
//! speed-ups, overtaking N, slopes, Markdown, PNGs) on the synthetic records of
//! `tests/data/eig_synthetic.jsonl`: times `c·N³` for the dense solvers, `c·N` or constant
//! for hmatrix, so every expected number is known in closed form.
#[path = "../examples/common/mod.rs"]
mod excommon;

use excommon::plot;
use excommon::report::{self, Overtake};

fn synthetic() -> Vec<report::Group> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/eig_synthetic.jsonl");
    let records = report::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(records.len(), 25);
    report::groups(&records)
}

#[test]
fn medians_speedups_and_overtaking() {
    let g = synthetic();
    assert_eq!((g.len(), g[0].nev, g[1].nev), (2, 1, 64));
    let labels: Vec<&str> = g[0].lines.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(labels, ["hmatrix", "dsyevr", "dsyevd", "pdsyevx (4 cores)", "pdsyevx (16 cores)"]);
    let h = g[0].hmatrix().unwrap();
    let c = &h.cells[&1000];
    assert_eq!((c.time, c.build, c.runs, c.abs_err), (2.0, Some(1.0), 3, Some(3e-10)));
    let best = g[0].fastest_dense(4000).unwrap();
    assert_eq!((best.0.label.as_str(), best.1), ("pdsyevx (16 cores)", 10.0));
    let ups: Vec<(usize, f64)> = g[0].speedups(false);
    let want = [(1000, 0.4), (2000, 1.6), (4000, 1.25), (8000, 12.5)];
    for ((n, x), (m, y)) in ups.iter().zip(want) {
        assert!(*n == m && (x - y).abs() < 1e-12, "N = {n}: {x} vs {y}");
    }
    assert_eq!(g[0].overtake(false), Overtake::From(2000));
    assert_eq!(g[0].overtake(true), Overtake::From(2000));
    assert_eq!(g[1].overtake(false), Overtake::NotYet);
    assert_eq!(g[1].overtake(true), Overtake::NoData);
    let cross = g[1].extrapolated_crossing().unwrap();
    assert!((cross / 1e4 - 1.0).abs() < 1e-9, "{cross}");
    let dsyevr = &g[0].lines[1];
    assert!((plot::loglog_slope(&dsyevr.points()).unwrap() - 3.0).abs() < 1e-12);
    assert!((plot::loglog_slope(&h.points()).unwrap() - 1.0).abs() < 1e-12);
}

#[test]
fn markdown_and_pngs() {
    let g = synthetic();
    let md = report::markdown(&g, "tests/data/eig_synthetic.jsonl", "");
    assert!(md.contains("## synthetic — nev = 1"));
    assert!(
        md.contains(
            "| 1000 | 2.00 (build 1.00) [3] | 1.00 | 0.800 | – | – | dsyevd | 0.40× | 0.80× | 3.0e-10 |"
        ),
        "{md}"
    );
    assert!(md.contains("hmatrix overtakes the fastest dense solver at **N = 2000**"));
    assert!(md.contains(
        "hmatrix with the matrix already built overtakes the fastest dense solver at **N = 2000**"
    ));
    assert!(md.contains(
        "| 8000 | 16.00 (build 8.00) | 512 | 410 | – | 200 | pdsyevx (16 cores) | 12.5× | 25.0× |"
    ));
    assert!(md.contains("| 1000 | 2000 | 2.00 | dsyevr | 1.0e-3× |"));
    assert!(md.contains("not faster than the fastest dense solver at the largest measured N; the fitted power laws cross near N ≈ 10000"));
    assert!(md.contains("hmatrix 1.00, dsyevr 3.00"));
    assert!(md.contains("![time vs N, synthetic nev 64](eig-synthetic-nev64.png)"));
    let dir = tempfile::tempdir().unwrap();
    let pngs = report::write_pngs(&g, dir.path()).unwrap();
    assert_eq!(pngs.len(), 2);
    for p in pngs {
        let bytes = std::fs::read(&p).unwrap();
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000, "{}", p.display());
    }
}

#[test]
fn bad_records_are_one_line_errors() {
    let ok = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/eig_synthetic.jsonl"),
    )
    .unwrap();
    let first = ok.lines().next().unwrap();
    assert!(report::parse(&format!("{first}\n\n{first}\n")).is_ok());
    let e = report::parse(&format!("{first}\n{{\"solver\": \"dsyevr\"}}\n")).unwrap_err();
    assert!(e.starts_with("line 2: missing field"), "{e}");
    let e = report::parse(&first.replace("dsyevr", "magma")).unwrap_err();
    assert!(e.contains("unknown solver \"magma\""), "{e}");
    assert!(report::parse(&first.replace("\"time_s\": 1.0", "\"time_s\": -1.0")).is_err());
    assert!(report::parse("not json").unwrap_err().starts_with("line 1:"));
}
