//! What every verb shares: the global options, how a verb fails, and the device and
//! environment it runs with.

use clap::Args;
use d2l::Backend;
use d2l::Device;
use d2l::devices::Adapter;
use d2l::experiments::{Entry, Env, Error, experiment_of, find};
use std::path::{Path, PathBuf};

/// The options every verb takes, before or after its name, meaning the same everywhere.
#[derive(Debug, Args)]
pub struct Global {
    /// Backend: flex, ndarray or wgpu, among those compiled in [default: $D2L_BACKEND, else
    /// the first compiled].
    #[arg(long, global = true)]
    pub backend: Option<Backend>,
    /// Refuse to run but on a GPU: an error for the CPU backends and for a software adapter
    /// (wgpu falls back to one when the GPU's Vulkan driver is missing) [also: $D2L_REQUIRE_GPU].
    #[arg(long, global = true)]
    pub require_gpu: bool,
    /// Data directory [default: $D2L_DATA_DIR, else the repository's datasets/].
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// No progress bars or per-stage lines on stderr.
    #[arg(long, global = true)]
    pub quiet: bool,
}

/// How a verb failed: a usage error (exit 2), a failed run (exit 1), or an interrupted one
/// (exit 130, as a shell reports Ctrl-C).
pub enum Failure {
    /// What was asked cannot be done; nothing ran (exit 2).
    Usage(String),
    /// It ran and failed (exit 1).
    Run(String),
    /// It was interrupted (exit 130).
    Interrupted(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error {
            Error::Option(message) => Failure::Usage(message),
            interrupted @ (Error::Interrupted { .. } | Error::SweepInterrupted { .. }) => {
                Failure::Interrupted(interrupted.to_string())
            }
            other => Failure::Run(other.to_string()),
        }
    }
}

impl From<d2l::backend::BackendError> for Failure {
    fn from(error: d2l::backend::BackendError) -> Self {
        Failure::Run(error.to_string())
    }
}

/// The first Ctrl-C asks training to stop after the current epoch and its checkpoint, or a
/// sweep to start no other trial (`what` says which, on stderr at once); a second one ends the
/// process there and then.
pub fn stop_on_ctrl_c(what: &'static str) -> Result<(), Failure> {
    use signal_hook::consts::SIGINT;
    use std::sync::atomic::Ordering;
    let flag = d2l::learner::interrupt_flag();
    let registered = signal_hook::flag::register_conditional_shutdown(SIGINT, 130, flag.clone())
        .and_then(|_| signal_hook::flag::register(SIGINT, flag.clone()));
    registered.map_err(|e| Failure::Run(format!("cannot handle Ctrl-C: {e}")))?;
    std::thread::spawn(move || {
        while !flag.load(Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        eprintln!("\nstopping after {what} (Ctrl-C again to stop at once)");
    });
    Ok(())
}

/// The experiment of the run in `run_dir`.
pub fn entry_of(run_dir: &Path) -> Result<&'static dyn Entry, Failure> {
    let name = experiment_of(run_dir)?;
    find(&name).ok_or_else(|| {
        Failure::Usage(format!(
            "{}: no experiment is called {name}",
            run_dir.display()
        ))
    })
}

/// The backend to run on and its device: the device's adapter, for a GPU backend, with a
/// warning when it is software and an error when a GPU is required (`--require-gpu`,
/// `$D2L_REQUIRE_GPU`).
pub fn device(global: &Global) -> Result<(Backend, Device, Option<Adapter>), Failure> {
    open_device(global.backend, global.require_gpu)
}

/// [`device`] of `backend` (else the default one), a GPU required or not.
pub fn open_device(
    backend: Option<Backend>,
    require_gpu: bool,
) -> Result<(Backend, Device, Option<Adapter>), Failure> {
    let (backend, device) = d2l::device(backend)?;
    let adapter = d2l::backend::adapter(&device);
    if require_gpu || d2l::backend::gpu_required_by_env() {
        d2l::backend::require_gpu(backend, adapter.as_ref())?;
    } else if let Some(software) = adapter.as_ref().filter(|a| a.is_software()) {
        eprintln!(
            "warning: {backend} runs on a software adapter, {} ({}), not a GPU; \
             --require-gpu makes this an error",
            software.name, software.driver
        );
    }
    Ok((backend, device, adapter))
}

/// The environment of a verb: the backend's device, the data, progress shown unless
/// `--quiet`.
pub fn env(global: &Global) -> Result<Env, Failure> {
    let (backend, device, adapter) = device(global)?;
    let mut env = Env::new(backend.name(), device);
    env.adapter = adapter;
    env.data_dir = d2l::data::data_dir(global.data_dir.clone());
    env.progress = !global.quiet;
    Ok(env)
}

/// `value` as one line of JSON: what a verb prints.
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("what a verb prints serialises")
}
