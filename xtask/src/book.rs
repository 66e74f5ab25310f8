//! `cargo xtask book [--no-train]`: the book in `book/` (mdBook), a page per d2l section.
//!
//! 1. Trains what the pages show: each [`FIGURES`] command through the `d2l` binary (flex,
//!    release) into `target/book/runs/`, then copies what the pages use (the JSON line it
//!    printed, laid out one key a line; its curves, grids and tables) into
//!    `book/src/figures/<figure>/`. `--no-train` keeps the figures of the repository (CI).
//! 2. Checks the pages ([`check`]): every `{{#include}}` names a file and an anchor that
//!    holds the item it is named after, every picture exists, every page is in the summary.
//! 3. Builds the book with mdBook into `target/book/html/`: `mdbook` from `PATH` if it is
//!    version 0.5, else the one installed into `target/tools/` from crates.io on first use.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Failure, cargo, project_root, run as run_command, verb};

/// The mdBook the book is built with (installed without its `serve` and `watch` features).
const MDBOOK_VERSION: &str = "0.5.4";

/// Where the runs behind the figures go, under the project root.
const RUNS: &str = "target/book/runs";

/// One figure folder of the book: the `d2l` command whose run it shows, and what is copied.
struct Figure {
    /// The folder under `book/src/figures/`, and the run's name.
    name: &'static str,
    /// The `d2l` arguments, `{runs}` standing for [`RUNS`]; `None`: `train <name>` with the
    /// book's defaults into `{runs}/<name>`. A page shows the same command without `--quiet`,
    /// `--runs-dir` and `--run-name`.
    command: Option<&'static str>,
    /// Where the command's standard output goes in the folder (`.json`: laid out).
    stdout: &'static str,
    /// The folder under [`RUNS`] the files are copied from.
    dir: &'static str,
    /// Files copied from that folder.
    files: &'static [&'static str],
}

/// The figures of the book, in the order they are made.
const FIGURES: [Figure; 12] = [
    train(
        "softmax-scratch",
        &["metrics.csv", "curves.svg", "predictions.svg"],
    ),
    train("softmax", &["metrics.csv", "curves.svg"]),
    train("mlp-scratch", &["metrics.csv", "curves.svg"]),
    train("mlp", &["metrics.csv", "curves.svg", "predictions.svg"]),
    train(
        "weight-decay",
        &[
            "penalty-lambda-0-curves.svg",
            "penalty-lambda-3-curves.svg",
            "optimizer-lambda-3-curves.svg",
        ],
    ),
    train("dropout-scratch", &["curves.svg"]),
    train("dropout", &["metrics.csv", "curves.svg", "predictions.svg"]),
    train("numerical-stability", &["sigmoid.svg"]),
    train("house", &["fold-1-curves.svg", "curves.svg"]),
    Figure {
        name: "house-better",
        command: Some(
            "train --quiet --runs-dir {runs} --run-name house-better house --recipe better",
        ),
        stdout: "result.json",
        dir: "house-better",
        files: &[],
    },
    Figure {
        name: "tuning",
        command: Some(
            "sweep --quiet house --dir {runs}/tuning --file examples/sweeps/house-notes.toml",
        ),
        stdout: "sweep.txt",
        dir: "tuning",
        files: &["curves.svg"],
    },
    Figure {
        name: "tuning-eval-mode",
        command: Some(
            "compare {runs}/tuning/mlp_64_hidden_dropout_0.2_validated_with_dropout_on \
                  {runs}/tuning/mlp_64_hidden_dropout_0.2_validated_in_eval_mode \
                  --out {runs}/tuning/eval-mode.svg",
        ),
        stdout: "compare.txt",
        dir: "tuning",
        files: &["eval-mode.svg"],
    },
];

/// `d2l train <experiment>` with the book's defaults, into `{runs}/<experiment>`.
const fn train(experiment: &'static str, files: &'static [&'static str]) -> Figure {
    Figure {
        name: experiment,
        command: None,
        stdout: "result.json",
        dir: experiment,
        files,
    }
}

impl Figure {
    /// The `d2l` arguments.
    fn args(&self, runs: &str) -> Vec<String> {
        let command = match self.command {
            None => format!(
                "train --quiet --runs-dir {runs} --run-name {0} {0}",
                self.name
            ),
            Some(command) => command.replace("{runs}", runs),
        };
        command.split_whitespace().map(String::from).collect()
    }
}

/// Runs the task.
pub fn run(args: &[String]) -> Result<(), Failure> {
    let train = match args {
        [] => true,
        [flag] if flag == "--no-train" => false,
        _ => {
            return Err(Failure::Message(
                "usage: cargo xtask book [--no-train]".to_string(),
            ));
        }
    };
    let root = project_root();
    if train {
        make_figures(&root)?;
    }
    let problems = check(&root.join("book"));
    if !problems.is_empty() {
        return Err(Failure::Message(format!(
            "the book's pages do not hold:\n  {}",
            problems.join("\n  ")
        )));
    }
    let mdbook = mdbook(&root)?;
    run_command(Command::new(mdbook).arg("build").arg(root.join("book")))?;
    println!(
        "the book: {}",
        root.join("target/book/html/index.html").display()
    );
    Ok(())
}

/// Runs every figure's command and copies what the pages show into `book/src/figures/`.
fn make_figures(root: &Path) -> Result<(), Failure> {
    let runs = root.join(RUNS);
    if runs.exists() {
        std::fs::remove_dir_all(&runs).map_err(|e| format!("{}: {e}", runs.display()))?;
    }
    for figure in &FIGURES {
        let d2l = figure.args(RUNS);
        eprintln!("book: d2l {}", d2l.join(" "));
        let args = verb::cargo_args(&d2l[0], &d2l[1..])?;
        let output = cargo()
            .args(&args)
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !output.status.success() {
            return Err(Failure::Message(format!(
                "figure {}: d2l failed ({})",
                figure.name, output.status
            )));
        }
        let folder = root.join("book/src/figures").join(figure.name);
        if folder.exists() {
            std::fs::remove_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        }
        std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stdout = match figure.stdout.ends_with(".json") {
            true => layout_json(stdout.trim()),
            false => stdout.into_owned(),
        };
        write(&folder.join(figure.stdout), stdout.as_bytes())?;
        for file in figure.files {
            let from = runs.join(figure.dir).join(file);
            let to = folder.join(file);
            std::fs::copy(&from, &to)
                .map_err(|e| format!("figure {}: {}: {e}", figure.name, from.display()))?;
        }
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes).map_err(|e| Failure::Message(format!("{}: {e}", path.display())))
}

/// A JSON object of one line laid out a key a line (values inside it stay on their line), so
/// that a page shows it without scrolling.
fn layout_json(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 64);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for c in line.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                depth += 1;
                out.push(c);
                if depth == 1 {
                    out.push_str("\n  ");
                }
            }
            '}' | ']' => {
                if depth == 1 {
                    out.push('\n');
                }
                depth = depth.saturating_sub(1);
                out.push(c);
            }
            ',' if depth == 1 => out.push_str(",\n  "),
            ':' if depth == 1 => out.push_str(": "),
            c => out.push(c),
        }
    }
    out.push('\n');
    out
}

/// What does not hold in the book at `book` (its `src/` pages), one line each naming the page:
/// - an `{{#include FILE}}` or `{{#include FILE:ANCHOR}}` whose file is missing, whose anchor
///   is not in it, that gives line numbers (they drift with the code), or whose anchor in a
///   Rust file no longer holds an item of its name (`fn`, `struct`, `enum`, `trait`, `const`,
///   `type` or `mod` ANCHOR): a function renamed under its anchor;
/// - a picture `![...](FILE)` that is not there;
/// - a page that the summary does not list.
pub fn check(book: &Path) -> Vec<String> {
    let src = book.join("src");
    let mut problems = Vec::new();
    let pages = markdown_files(&src);
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).unwrap_or_default();
    for page in &pages {
        let name = page
            .strip_prefix(&src)
            .unwrap_or(page)
            .display()
            .to_string();
        let text = match std::fs::read_to_string(page) {
            Ok(text) => text,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        let dir = page.parent().unwrap_or(&src);
        if name != "SUMMARY.md" && !summary.contains(&format!("]({name})")) {
            problems.push(format!("{name}: not listed in SUMMARY.md"));
        }
        for include in directives(&text, "{{#include ", "}}") {
            if let Err(problem) = check_include(dir, include) {
                problems.push(format!("{name}: {{{{#include {include}}}}}: {problem}"));
            }
        }
        for picture in directives(&text, "](", ")") {
            let is_local = !picture.contains("://") && !picture.starts_with('#');
            let file = picture.split('#').next().unwrap_or(picture);
            if is_local && file.ends_with(".svg") && !dir.join(file).is_file() {
                problems.push(format!("{name}: the picture {picture} is not there"));
            }
        }
    }
    problems
}

/// The pages: the `.md` files under `dir` but those of `figures/`, sorted.
fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // `figures/` holds what runs wrote (a sweep's `results.md`), included by the pages.
        if path.is_dir() && !path.ends_with("figures") {
            files.extend(markdown_files(&path));
        } else if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// What stands between `open` and `close` each time `open` occurs in `text`.
fn directives<'a>(text: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    text.split(open)
        .skip(1)
        .filter_map(|rest| rest.split(close).next())
        .map(str::trim)
        .collect()
}

/// Checks one include, `FILE` or `FILE:ANCHOR`, of a page in `dir`.
fn check_include(dir: &Path, include: &str) -> Result<(), String> {
    let (file, anchor) = match include.split_once(':') {
        Some((file, anchor)) => (file, Some(anchor)),
        None => (include, None),
    };
    let text = std::fs::read_to_string(dir.join(file)).map_err(|e| format!("{file}: {e}"))?;
    let Some(anchor) = anchor else {
        return Ok(());
    };
    if anchor.contains(':') || anchor.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return Err("line numbers drift with the code: name an anchor".to_string());
    }
    let lines: Vec<&str> = text.lines().collect();
    let at = |marker: String| lines.iter().position(|line| is_marker(line, &marker));
    let (Some(start), Some(end)) = (
        at(format!("ANCHOR: {anchor}")),
        at(format!("ANCHOR_END: {anchor}")),
    ) else {
        return Err(format!("the anchor `{anchor}` is not in {file}"));
    };
    let region = lines.get(start + 1..end).unwrap_or_default();
    let defines = |line: &&str| {
        let words: Vec<&str> = line
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        words.windows(2).any(|pair| {
            ["fn", "struct", "enum", "trait", "const", "type", "mod"].contains(&pair[0])
                && pair[1] == anchor
        })
    };
    if file.ends_with(".rs") && !region.iter().any(defines) {
        return Err(format!(
            "the anchor `{anchor}` in {file} no longer holds an item named `{anchor}` \
             (renamed? rename the anchor, and the page's include, with it)"
        ));
    }
    Ok(())
}

/// Whether `line` is the anchor comment `marker` (`// ANCHOR: name`, `# ANCHOR: name`).
fn is_marker(line: &str, marker: &str) -> bool {
    line.trim_end()
        .strip_suffix(marker)
        .is_some_and(|before| before.trim().chars().all(|c| c == '/' || c == '#'))
}

/// The mdbook to build with: on `PATH` at version 0.5, else installed into `target/tools/`.
fn mdbook(root: &Path) -> Result<PathBuf, Failure> {
    let on_path = Command::new("mdbook").arg("--version").output();
    if let Ok(output) = on_path
        && String::from_utf8_lossy(&output.stdout).starts_with("mdbook v0.5")
    {
        return Ok(PathBuf::from("mdbook"));
    }
    let tools = root.join("target/tools");
    let installed = tools
        .join("bin")
        .join(format!("mdbook{}", std::env::consts::EXE_SUFFIX));
    if !installed.is_file() {
        eprintln!(
            "book: installing mdbook {MDBOOK_VERSION} into {}",
            tools.display()
        );
        run_command(
            cargo()
                .args([
                    "install",
                    &format!("mdbook@{MDBOOK_VERSION}"),
                    "--locked",
                    "--no-default-features",
                    "--features",
                    "search",
                    "--root",
                ])
                .arg(&tools),
        )?;
    }
    Ok(installed)
}

#[cfg(test)]
mod tests;
