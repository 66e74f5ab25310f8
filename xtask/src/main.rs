//! The project's tasks, run as `cargo xtask <task>`.
//!
//! Plain `std`, no Burn: it builds in seconds and forwards to cargo (`$CARGO`) with the right
//! package, profile and backend feature.

mod bench;
mod train;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const HELP: &str = "\
cargo xtask <task> [args]

Tasks:
  train [EXPERIMENT] [--backend flex|ndarray|wgpu] [OVERRIDES...]
        build d2l-train with that backend (release) and train; `train --help` lists
        experiments and every override
  test  run the whole test suite (the command the README and CI use)
  bench [--epochs N] time a softmax epoch and the Fashion-MNIST load, write
        target/bench/bench.json, and compare with PyTorch when it is installed
";

/// The command that runs the test suite: every backend in one feature set, release profile
/// (the tests train real models), so Burn is compiled once.
pub const TEST_ARGS: [&str; 4] = ["test", "--workspace", "--all-features", "--release"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("train") => train::run(&args[1..]),
        Some("test") => run(cargo().args(TEST_ARGS).args(&args[1..])),
        Some("bench") => bench::run(&args[1..]),
        Some("-h" | "--help" | "help") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task '{other}'\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's folder).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

/// `$CARGO` (the cargo that runs xtask), in the project root.
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(project_root());
    command
}

/// Runs `command`, failing with its exit status.
pub fn run(command: &mut Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed: {status}"))
    }
}
