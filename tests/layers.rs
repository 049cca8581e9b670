//! The one-way layers of docs/architecture.md ("Layers"): every `crate::module` that a
//! source file names outside its `#[cfg(test)] mod tests` must lie in a lower layer than
//! the file's own module.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Module → layer, from the table between the `layers:begin`/`layers:end` markers.
fn layers(doc: &str) -> HashMap<String, usize> {
    let table = doc.split("<!-- layers:begin -->").nth(1).and_then(|t| t.split("<!-- layers:end -->").next());
    let table = table.expect("docs/architecture.md has the layers table");
    let mut out = HashMap::new();
    for row in table.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let Ok(layer) = cells[1].parse::<usize>() else { continue };
        for m in cells[2].split(',').map(str::trim) {
            assert!(out.insert(m.to_string(), layer).is_none(), "module {m} listed twice");
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The `crate::x` names of a file's non-test code (comments dropped).
fn imports(text: &str) -> Vec<(usize, String)> {
    // the code before the `#[cfg(test)]` line that opens the tests module (any visibility)
    let lines: Vec<&str> = text.lines().collect();
    let end = (0..lines.len().saturating_sub(1))
        .find(|&i| lines[i].trim() == "#[cfg(test)]" && lines[i + 1].trim_end().ends_with("mod tests {"))
        .unwrap_or(lines.len());
    let code = lines[..end].join("\n");
    let mut out = Vec::new();
    for (line, l) in code.lines().enumerate() {
        let l = l.split("//").next().unwrap_or("");
        for part in l.split("crate::").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() && !["Error", "Result"].contains(&name.as_str()) {
                out.push((line + 1, name));
            }
        }
    }
    out
}

/// The wrong-way imports of the tree under `src` against `table`: `file:line: a → b`.
fn violations(src: &Path, table: &HashMap<String, usize>) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut bad = Vec::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let module = rel.iter().next().unwrap().to_string_lossy().trim_end_matches(".rs").to_string();
        if module == "lib" {
            continue;
        }
        let own = *table.get(&module).unwrap_or_else(|| panic!("module {module} is not in the layers table"));
        for (line, name) in imports(&std::fs::read_to_string(&f).unwrap()) {
            let Some(&theirs) = table.get(&name) else {
                panic!("{}:{line}: unknown module crate::{name}", f.display())
            };
            if name != module && theirs >= own {
                bad.push(format!(
                    "{}:{line}: {module} (layer {own}) imports {name} (layer {theirs})",
                    rel.display()
                ));
            }
        }
    }
    bad
}

#[test]
fn every_import_goes_down() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let table = layers(&std::fs::read_to_string(root.join("docs/architecture.md")).unwrap());
    let bad = violations(&root.join("src"), &table);
    assert!(bad.is_empty(), "imports against the layers of docs/architecture.md:\n{}", bad.join("\n"));
}

/// The checker itself: a wrong-way and a sideways import in a scratch tree are found, a
/// downward one and one inside the tests module are not.
#[test]
fn the_checker_sees_wrong_way_imports() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir(src.join("h2")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod h2;\n").unwrap();
    std::fs::write(src.join("h2/mod.rs"), "use crate::source::X;\nuse crate::factor::Ldlt;\n").unwrap();
    std::fs::write(
        src.join("block.rs"),
        "use crate::source::Y;\n#[cfg(test)]\npub(crate) mod tests {\n    use crate::h2::Z;\n}\n",
    )
    .unwrap();
    let table: HashMap<String, usize> =
        [("source", 3), ("block", 3), ("h2", 5), ("factor", 6)].map(|(m, l)| (m.to_string(), l)).into();
    let bad = violations(src, &table);
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(bad[0].starts_with("block.rs:1: block (layer 3) imports source (layer 3)"), "{bad:?}");
    assert!(bad[1].starts_with("h2/mod.rs:2: h2 (layer 5) imports factor (layer 6)"), "{bad:?}");
}
