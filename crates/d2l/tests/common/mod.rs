//! What the integration tests that train share.

use d2l::Backend;
use d2l::experiments::{Env, Error, Experiment, Summary, train};

/// Runs share the backend's random number generator (seeded per run), so they are serialised:
/// each seeded run then draws the same numbers as it does alone, and its result is the one
/// `cargo xtask train` reports.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// [`train`], one at a time.
pub fn train_serial<E: Experiment>(
    config: &E::Config,
    env: &Env,
) -> Result<Summary<E::Results>, Error> {
    let _alone = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    train::<E>(config, env)
}

/// Quiet runs on `backend`, writing under `runs`.
pub fn env(backend: Backend, runs: &tempfile::TempDir) -> Env {
    let mut env = Env::new(backend.name(), backend.device().unwrap());
    env.runs_dir = runs.path().to_path_buf();
    env.progress = false;
    env
}

/// The book's configuration of `E` with the options `args` changes.
pub fn config<E: Experiment>(edit: impl FnOnce(&mut E::Args)) -> E::Config {
    let mut args = E::Args::default();
    edit(&mut args);
    E::config(&args).unwrap()
}
