//! The project's tasks, run as `cargo xtask <task>`.
//!
//! Plain `std`, no Burn: it builds in seconds and forwards to cargo (`$CARGO`) with the right
//! package, profile and backend feature.

mod bench;
mod book;
mod device_check;
mod device_pack;
mod embed;
mod lint;
mod verb;
mod versions;

#[cfg(test)]
mod tidy;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

const HELP: &str = "\
cargo xtask <task> [args]

Tasks:
  test   run the whole test suite (the command the README and CI use), then build and run
         examples/embed, a crate outside the workspace (with arguments: cargo test's only)
  lint   cargo fmt --check, clippy and cargo doc, warnings denied (the test build's features);
         clippy on the vulkan build; cargo package of the library crates; the versions of the
         dependencies this workspace shares with Burn (gemm, wgpu, rand); the book built
         without training (book --no-train)
  bench  [--backend B] [--epochs N] time the book's recipes, write target/bench/bench.json,
         and compare with PyTorch when it is installed (another backend: flex timed beside it)
  book   [--no-train] the book (book/, mdBook): train what its pages show (flex) and copy the
         figures into book/src/figures, check every include and picture, build it into
         target/book/html (mdbook installed into target/tools from crates.io if missing);
         --no-train builds it from the figures in the repository, as CI does
  device-check [--epochs N] [--allow-software]
         on a machine with a GPU: the wgpu tests and the wgpu bench in one run, one JSON
         (target/device-check/device-check.json)
  device-check --pack DIR
         the same check for a GPU machine without Rust: two d2l binaries (WGSL and SPIR-V,
         each its own build), the data, PyTorch's scripts and DIR/run.sh, under 60 MB
  <verb> [--backend flex|ndarray|wgpu|remote] [ARGS...]
         any verb of the d2l binary, built in release mode with that backend:
         train [EXPERIMENT] [OPTIONS] trains an experiment (default: softmax);
         `cargo xtask train --help` lists the experiments, `train <experiment> --help` its options;
         train --resume RUN_DIR [--epochs N] continues a run from its last checkpoint;
         evaluate RUN_DIR, predict RUN_DIR --input FILE, runs, compare RUN_DIR RUN_DIR...;
         export RUN_DIR [--out FILE] writes a run's model as SafeTensors for PyTorch;
         sweep EXPERIMENT [--file F] [--jobs N] [GRID] trains and ranks many trials;
         kernels [--recipes R,..] (--backend wgpu) counts the kernels per training step
           (the house K-fold: per fold epoch);
         serve [--bind ADDR:PORT] hosts the backend's device for --backend remote elsewhere;
         train --devices LIST trains data-parallel on several devices
";

/// The backends of the test build: all three, in one feature set, so that Burn is compiled
/// once. Named rather than `--all-features`, which would add `vulkan` (the SPIR-V compiler,
/// which crashes the software Vulkan the wgpu tests run on).
pub const TEST_FEATURES: &str = "flex,ndarray,wgpu,burn-train,remote";

/// The command that runs the test suite: every backend in one feature set, release profile
/// (the tests train real models), so Burn is compiled once.
pub const TEST_ARGS: [&str; 5] = [
    "test",
    "--workspace",
    "--features",
    TEST_FEATURES,
    "--release",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        // The whole suite, then the outside crate; a filtered run (`test NAME`) is the
        // workspace's tests only.
        Some("test") => {
            run(cargo().args(TEST_ARGS).args(&args[1..])).and_then(|()| match args.len() {
                1 => embed::run_example(),
                _ => Ok(()),
            })
        }
        Some("lint") => lint::run_all(),
        Some("bench") => bench::run(&args[1..]),
        Some("book") => book::run(&args[1..]),
        Some("device-check") => device_check::run(&args[1..]),
        Some("-h" | "--help" | "help") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(verb) => verb::run(verb, &args[1..]),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The command has said why; its status is the task's.
        Err(Failure::Status(code)) => ExitCode::from(code),
        Err(Failure::Message(message)) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Why a task failed.
#[derive(Debug)]
pub enum Failure {
    /// xtask's own error, printed.
    Message(String),
    /// A command it ran failed with this exit status, after printing its own error.
    Status(u8),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Message(message)
    }
}

/// The workspace root (the parent of this crate's folder).
///
/// `cargo run` sets `CARGO_MANIFEST_DIR` for the process too; that value is preferred to the
/// one compiled in, because two checkouts sharing one target folder share one `xtask` binary.
pub fn project_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
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
pub fn run(command: &mut Command) -> Result<(), Failure> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(code) => Err(Failure::Status(u8::try_from(code).unwrap_or(1))),
        None => Err(Failure::Message(format!(
            "{command:?} was stopped: {status}"
        ))),
    }
}
