//! Every command line the book shows parses: each `cargo xtask <verb> ...` line of a shell
//! block (```` ```sh ````) of `book/src/*.md` is given to this build's `d2l`, xtask's
//! `--backend` moved before the verb as xtask moves it, with `--help` appended. clap answers
//! `--help` only once it has accepted every argument before it, and prints help without
//! running anything (`sweep` checks every trial of its grid, then lists them); an unknown
//! option or a bad value is an error that names the page and the line.

use std::path::{Path, PathBuf};

mod common;

use common::{d2l, run};

/// xtask's own tasks (not verbs of `d2l`), which the book may show.
const XTASK_TASKS: [&str; 5] = ["test", "lint", "bench", "book", "device-check"];

fn book_pages() -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../book/src");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&src)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    pages
}

/// The `cargo xtask ...` lines of the shell blocks of `text`, with their line numbers and
/// without their comments.
fn commands(text: &str) -> Vec<(usize, String)> {
    let mut in_shell = false;
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if let Some(fence) = line.trim_start().strip_prefix("```") {
            in_shell = !in_shell && fence.trim() == "sh";
            continue;
        }
        let command = line.split(" #").next().unwrap_or("").trim();
        if in_shell && command.starts_with("cargo xtask") {
            found.push((number + 1, command.to_string()));
        }
    }
    found
}

/// `d2l` arguments for a `cargo xtask` line: `--backend X` before the verb, `--help` last;
/// `None` for xtask's own tasks.
fn d2l_args(command: &str) -> Option<Vec<String>> {
    let words: Vec<&str> = command.split_whitespace().skip(2).collect();
    let verb = *words.first()?;
    if XTASK_TASKS.contains(&verb) {
        return None;
    }
    let mut args = vec![verb.to_string()];
    let mut backend = Vec::new();
    let mut rest = words[1..].iter();
    while let Some(&word) = rest.next() {
        match word {
            "--backend" => backend = vec!["--backend".to_string(), rest.next()?.to_string()],
            word => args.push(word.to_string()),
        }
    }
    args.push("--help".to_string());
    Some(backend.into_iter().chain(args).collect())
}

#[test]
fn every_command_line_of_the_book_parses() {
    let pages = book_pages();
    assert!(pages.len() >= 10, "the book's pages: {pages:?}");
    let mut checked = 0;
    let mut failures = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        let name = page.file_name().unwrap().to_string_lossy();
        for (line, command) in commands(&text) {
            let Some(args) = d2l_args(&command) else {
                continue;
            };
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let output = d2l(&args).output().unwrap();
            checked += 1;
            if !output.status.success() {
                failures.push(format!(
                    "{name}:{line}: `{command}`: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 20, "only {checked} command lines found");
}

#[test]
fn a_command_line_that_does_not_parse_fails_the_check() {
    // The control: lines that parse, as the bad ones below would once corrected.
    for good in [
        "cargo xtask train mlp --epochs 3",
        "cargo xtask sweep mlp --epochs 5 --lr 0.1,0.3",
    ] {
        let args = d2l_args(good).unwrap();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&mut d2l(&args));
    }
    for bad in [
        "cargo xtask train mlp --epochs many",
        "cargo xtask train mlp --no-such-option 1",
        "cargo xtask sweep mlp --epochs 5 --lr 0.1,fast",
        "cargo xtask sweep mlp --epochs 5 --no-such-option 0.1,0.3",
        "cargo xtask trian mlp",
    ] {
        let args = d2l_args(bad).unwrap();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = d2l(&args).output().unwrap();
        assert!(!output.status.success(), "`{bad}` was accepted");
    }
}

#[test]
fn commands_are_read_from_shell_blocks_without_their_comments() {
    let page = "```sh\ncargo xtask train mlp --backend wgpu   # on a GPU\ncargo xtask book\n```\n\
                ```text\ncargo xtask train not-a-command\n```\n";
    let found = commands(page);
    assert_eq!(
        found,
        vec![
            (2, "cargo xtask train mlp --backend wgpu".to_string()),
            (3, "cargo xtask book".to_string())
        ]
    );
    assert_eq!(
        d2l_args(&found[0].1).unwrap(),
        ["--backend", "wgpu", "train", "mlp", "--help"]
    );
    assert_eq!(d2l_args(&found[1].1), None);
}
