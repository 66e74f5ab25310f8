use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A book of one page including `anchor` from a Rust file of `code`.
fn book_with(code: &str, include: &str) -> (PathBuf, Vec<String>) {
    static BOOKS: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "d2l-book-check-{}-{}",
        std::process::id(),
        BOOKS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/SUMMARY.md"), "- [Page](page.md)\n").unwrap();
    std::fs::write(dir.join("src/ops.rs"), code).unwrap();
    std::fs::write(
        dir.join("src/page.md"),
        format!("```rust\n{{{{#include {include}}}}}\n```\n"),
    )
    .unwrap();
    let problems = check(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    (dir, problems)
}

const CODE: &str = "// ANCHOR: softmax\n/// Docs.\npub fn softmax(x: f32) -> f32 {\n    x\n}\n// ANCHOR_END: softmax\n";

#[test]
fn the_books_pages_hold() {
    let problems = check(&project_root().join("book"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn an_anchor_that_holds_its_item_passes() {
    assert_eq!(book_with(CODE, "ops.rs:softmax").1, Vec::<String>::new());
    assert_eq!(book_with(CODE, "ops.rs").1, Vec::<String>::new());
}

#[test]
fn a_function_renamed_under_its_anchor_is_named_with_the_page_and_the_anchor() {
    let renamed = CODE.replace("fn softmax", "fn softmax_naive");
    let (_, problems) = book_with(&renamed, "ops.rs:softmax");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("page.md: {{#include ops.rs:softmax}}: the anchor `softmax`")
            && problems[0].contains("no longer holds an item named `softmax`"),
        "{problems:?}"
    );
}

#[test]
fn a_missing_anchor_a_missing_file_and_line_numbers_are_named() {
    let renamed = CODE.replace("softmax", "stable_softmax");
    let (_, problems) = book_with(&renamed, "ops.rs:softmax");
    assert!(
        problems[0].contains("the anchor `softmax` is not in ops.rs"),
        "{problems:?}"
    );
    let (_, problems) = book_with(CODE, "gone.rs:softmax");
    assert!(
        problems[0].starts_with("page.md: {{#include gone.rs:softmax}}: gone.rs:"),
        "{problems:?}"
    );
    let (_, problems) = book_with(CODE, "ops.rs:2:4");
    assert!(problems[0].contains("line numbers drift"), "{problems:?}");
}

#[test]
fn a_json_line_is_laid_out_a_key_a_line() {
    assert_eq!(
        layout_json(r#"{"a":1,"b":{"c":[1,2]},"s":"x,y:{\"z"}"#),
        "{\n  \"a\": 1,\n  \"b\": {\"c\":[1,2]},\n  \"s\": \"x,y:{\\\"z\"\n}\n"
    );
}

#[test]
fn every_figure_the_pages_use_is_made_by_the_task() {
    // The folders under book/src/figures are exactly the FIGURES, so that none is left
    // over from a figure that is no longer made.
    let figures = project_root().join("book/src/figures");
    let mut folders: Vec<String> = std::fs::read_dir(&figures)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut made: Vec<String> = FIGURES.iter().map(|f| f.name.to_string()).collect();
    made.sort();
    assert_eq!(folders, made);
}

#[test]
fn a_figure_trains_into_the_book_runs_under_its_name() {
    let softmax = FIGURES.iter().find(|f| f.name == "softmax").unwrap();
    assert_eq!(
        softmax.args("R").join(" "),
        "train --quiet --runs-dir R --run-name softmax softmax"
    );
    let tuning = FIGURES.iter().find(|f| f.name == "tuning").unwrap();
    assert_eq!(
        tuning.args("R").join(" "),
        "sweep --quiet house --dir R/tuning --file examples/sweeps/house-notes.toml"
    );
}
