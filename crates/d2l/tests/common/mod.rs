//! What the integration tests that train share.

use d2l::Backend;
use d2l::experiments::{Error, Experiment, RunOptions, Summary, run};

/// Runs share the backend's random number generator (seeded per run), so they are serialised:
/// each seeded run then draws the same numbers as it does alone, and its result is the one
/// `cargo xtask train` reports.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// [`run`], one at a time.
pub fn run_serial(options: &RunOptions) -> Result<Summary, Error> {
    let _alone = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    run(options)
}

/// The options of `experiment` on `backend`, quiet, writing under `runs`.
pub fn options(experiment: Experiment, backend: Backend, runs: &tempfile::TempDir) -> RunOptions {
    let mut options = RunOptions::new(experiment);
    options.backend = Some(backend);
    options.runs_dir = runs.path().to_path_buf();
    options.progress = false;
    options
}
