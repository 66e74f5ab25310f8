//! What every verb shares: the global options, how a verb fails, and the device and
//! environment it runs with.

use clap::Args;
use d2l::backend::REMOTE_ENV;
use d2l::devices::Adapter;
use d2l::experiments::{Entry, Env, Error, experiment_of, find};
use d2l::{Backend, Device, DeviceSpec};
use std::path::{Path, PathBuf};

/// The options every verb takes, before or after its name, meaning the same everywhere.
#[derive(Debug, Args)]
pub struct Global {
    /// Backend: flex, ndarray or wgpu, among those compiled in, or remote (a device `d2l serve`
    /// hosts, at --remote) [default: $D2L_BACKEND, else the first compiled].
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
    /// The server of --backend remote, as `d2l serve` prints it: ws://HOST:PORT [also:
    /// $D2L_REMOTE].
    #[arg(long, global = true, value_name = "URL")]
    pub remote: Option<String>,
    /// A file holding the token that `d2l serve` requires and a remote backend presents [also:
    /// $D2L_TOKEN].
    #[arg(long, global = true, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
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
/// `$D2L_REQUIRE_GPU`); for `remote`, device 0 of the server of `--remote`.
pub fn device(global: &Global) -> Result<(Backend, Device, Option<Adapter>), Failure> {
    let backend = d2l::backend::resolve(global.backend)?;
    let spec = match backend {
        Backend::Remote => DeviceSpec::Served(remote_url(global)?),
        local => DeviceSpec::Local(local),
    };
    let (device, adapter) = open(&spec, global)?;
    Ok((backend, device, adapter))
}

/// Opens the device `spec` names (a served one presenting the token of `--token-file` or
/// `$D2L_TOKEN`), checked as [`device`] checks it.
pub fn open(spec: &DeviceSpec, global: &Global) -> Result<(Device, Option<Adapter>), Failure> {
    let device = spec.open(token(global)?)?;
    let backend = spec.backend();
    let adapter = d2l::backend::adapter(&device);
    if global.require_gpu || d2l::backend::gpu_required_by_env() {
        d2l::backend::require_gpu(backend, adapter.as_ref())?;
    } else if let Some(software) = adapter.as_ref().filter(|a| a.is_software()) {
        eprintln!(
            "warning: {backend} runs on a software adapter, {} ({}), not a GPU; \
             --require-gpu makes this an error",
            software.name, software.driver
        );
    }
    Ok((device, adapter))
}

/// The server of the remote backend: `--remote`, else `$D2L_REMOTE`.
pub fn remote_url(global: &Global) -> Result<String, Failure> {
    global
        .remote
        .clone()
        .or_else(|| std::env::var(REMOTE_ENV).ok())
        .ok_or_else(|| Failure::Usage(d2l::backend::BackendError::NoRemote.to_string()))
}

/// The token: the contents of `--token-file`, else `$D2L_TOKEN`, else none.
pub fn token(global: &Global) -> Result<Option<String>, Failure> {
    #[cfg(feature = "remote")]
    {
        d2l::remote::token(global.token_file.as_deref()).map_err(|e| Failure::Usage(e.to_string()))
    }
    #[cfg(not(feature = "remote"))]
    {
        match &global.token_file {
            Some(_) => Err(Failure::Usage(
                "--token-file is for served devices: this build has no `remote` feature"
                    .to_string(),
            )),
            None => Ok(None),
        }
    }
}

/// The environment of a verb: the backend's device, the data, progress shown unless
/// `--quiet`.
pub fn env(global: &Global) -> Result<Env, Failure> {
    let (backend, device, adapter) = device(global)?;
    let remote = match backend {
        Backend::Remote => Some(remote_url(global)?),
        _ => None,
    };
    Ok(env_of(global, backend, device, adapter, remote))
}

/// The environment of a data-parallel run on `devices` (`--devices`, which `--backend` does
/// not override: `cargo xtask` gives it for the build): the model and the evaluation on the
/// first, every batch split across all of them.
pub fn env_on(global: &Global, devices: &[DeviceSpec]) -> Result<Env, Failure> {
    if global.remote.is_some() {
        return Err(Failure::Usage(
            "--devices names its servers itself: give it without --remote".into(),
        ));
    }
    let (first, others) = devices
        .split_first()
        .ok_or_else(|| Failure::Usage("--devices lists no device".into()))?;
    let (device, adapter) = open(first, global)?;
    let remote = match first {
        DeviceSpec::Served(url) => Some(url.clone()),
        _ => None,
    };
    let mut env = env_of(global, first.backend(), device, adapter, remote);
    env.data_parallel = others
        .iter()
        .map(|spec| Ok((spec.to_string(), open(spec, global)?.0)))
        .collect::<Result<_, Failure>>()?;
    Ok(env)
}

fn env_of(
    global: &Global,
    backend: Backend,
    device: Device,
    adapter: Option<Adapter>,
    remote: Option<String>,
) -> Env {
    let mut env = Env::new(backend.name(), device);
    env.adapter = adapter;
    env.remote = remote;
    env.data_dir = d2l::data::data_dir(global.data_dir.clone());
    env.progress = !global.quiet;
    env
}

/// `value` as one line of JSON: what a verb prints.
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("what a verb prints serialises")
}
