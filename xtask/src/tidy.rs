//! Tests that hold the architecture's invariants (ARCHITECTURE.md) over the source tree: run
//! by `cargo xtask test`, like rust-analyzer's tidy tests.

use std::path::{Path, PathBuf};

use crate::project_root;

/// The most lines a source file may have; unit tests that would push one over live beside it
/// in `<module>/tests.rs`.
const MAX_LINES: usize = 450;

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The library and binary sources of the workspace (every crate's `src/`, and xtask's), with
/// the code before an inline `mod tests` (unit tests left out); `tests.rs` files, and this
/// one, are left out whole.
fn sources() -> Vec<(PathBuf, String)> {
    let root = project_root();
    let mut dirs = vec![root.join("xtask/src")];
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        dirs.push(entry.unwrap().path().join("src"));
    }
    let mut sources = Vec::new();
    for file in dirs.iter().flat_map(|dir| rust_files(dir)) {
        if file
            .file_name()
            .is_some_and(|name| name == "tests.rs" || name == "tidy.rs")
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]\nmod tests {").next().unwrap_or("");
        sources.push((
            file.strip_prefix(&root).unwrap().to_path_buf(),
            code.to_string(),
        ));
    }
    sources
}

/// The lines of `code` that are not comments.
fn code_lines(code: &str) -> impl Iterator<Item = &str> {
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
}

#[test]
fn no_source_file_is_over_the_limit() {
    let root = project_root();
    let long: Vec<String> = sources()
        .iter()
        .map(|(file, _)| {
            let lines = std::fs::read_to_string(root.join(file))
                .unwrap()
                .lines()
                .count();
            (file, lines)
        })
        .filter(|(_, lines)| *lines > MAX_LINES)
        .map(|(file, lines)| format!("{} ({lines} lines)", file.display()))
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:?}");
}

#[test]
fn only_the_learner_seeds_the_device() {
    let seeding: Vec<String> = sources()
        .iter()
        .filter(|(file, _)| !file.starts_with("crates/d2l-learner"))
        .filter(|(_, code)| code_lines(code).any(|line| line.contains(".seed(")))
        .map(|(file, _)| file.display().to_string())
        .collect();
    assert!(
        seeding.is_empty(),
        "device.seed outside d2l-learner: {seeding:?}"
    );
}

#[test]
fn run_folder_file_names_are_defined_once() {
    let names = [
        "\"config.json\"",
        "\"summary.json\"",
        "\"checkpoints\"",
        "metrics.csv\"",
        "curves.svg\"",
        "model.bpk\"",
        "latest.json\"",
        "\"preprocessor.json\"",
        "\"submission.csv\"",
        "\"predictions.svg\"",
        "\"model.safetensors\"",
    ];
    // The book task reads finished runs' files by name to copy them into the book; it
    // cannot use `run::files`, since xtask builds without Burn.
    let owners = [
        Path::new("crates/d2l-learner/src/run.rs"),
        Path::new("crates/d2l-learner/src/checkpoint.rs"),
        Path::new("xtask/src/book.rs"),
    ];
    let elsewhere: Vec<String> = sources()
        .iter()
        .filter(|(file, _)| !owners.contains(&file.as_path()))
        .flat_map(|(file, code)| {
            code_lines(code)
                .filter(|line| names.iter().any(|name| line.contains(name)))
                .map(move |line| format!("{}: {}", file.display(), line.trim()))
        })
        .collect();
    assert!(
        elsewhere.is_empty(),
        "run-folder file names spelt out: {elsewhere:?}"
    );
}
