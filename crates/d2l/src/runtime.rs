//! The settings of Burn's GPU runtime (CubeCL) for the wgpu backend, made in one place before
//! the first wgpu device opens ([`configure`], which [`Backend::device`](crate::Backend::device)
//! calls):
//!
//! - **Where compiled kernels and autotune results are kept**: the user's cache directory
//!   (`$D2L_CACHE_DIR`, else CubeCL's global cache, `~/.cache/cubecl` on Linux), so that every
//!   later run finds them, wherever it is started. CubeCL's own default is the `target/` folder
//!   of the Cargo workspace above the working directory, which a run started elsewhere (the
//!   device-check pack, an installed binary, another checkout) never sees.
//! - **The kernel log** ([`KernelLog`]): one line per kernel launch (CubeCL's profiling logger
//!   at level `minimal`), counted by the kernel-count tests and `d2l kernels`, and written
//!   where `$D2L_KERNEL_LOG` says.
//!
//! A `cubecl.toml` (or a `burn.toml` with a `[cubecl]` table) in the working directory or above
//! it is the user's own configuration: it is read first, as CubeCL would, and only the kernel
//! log is added to it.

use burn::tensor::Device;
use cubecl_runtime::config::cache::CacheConfig;
use cubecl_runtime::config::profiling::ProfilingLogLevel;
use cubecl_runtime::config::{CubeClRuntimeConfig, RuntimeConfig};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The environment variable naming the folder where compiled kernels and autotune results are
/// kept (default: CubeCL's global cache folder, `~/.cache/cubecl` on Linux).
pub const CACHE_DIR_ENV: &str = "D2L_CACHE_DIR";

/// The environment variable naming a file to log every kernel launch to ([`KernelLog`]).
pub const KERNEL_LOG_ENV: &str = "D2L_KERNEL_LOG";

/// The runtime's settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuntimeSettings {
    /// Where compiled kernels and autotune results are kept; `None`: CubeCL's global cache.
    pub cache_dir: Option<PathBuf>,
    /// A file that gets one line per kernel launch; `None`: no log.
    pub kernel_log: Option<PathBuf>,
}

impl RuntimeSettings {
    /// The settings `$D2L_CACHE_DIR` and `$D2L_KERNEL_LOG` give (unset or empty: the defaults).
    pub fn from_env() -> Self {
        let path = |name| {
            std::env::var_os(name)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        };
        Self {
            cache_dir: path(CACHE_DIR_ENV),
            kernel_log: path(KERNEL_LOG_ENV),
        }
    }

    /// The folder compiled kernels and autotune results go to with these settings (unless a
    /// `cubecl.toml` of the user's says otherwise).
    pub fn cache_root(&self) -> PathBuf {
        self.cache_config().root()
    }

    fn cache_config(&self) -> CacheConfig {
        match &self.cache_dir {
            Some(dir) => CacheConfig::Directory(dir.clone()),
            None => CacheConfig::Global,
        }
    }

    /// CubeCL's configuration with these settings over `base`: the cache folder unless the
    /// user's file chose one (`user_file`), the kernel log when one is asked for.
    fn apply(&self, mut base: CubeClRuntimeConfig, user_file: bool) -> CubeClRuntimeConfig {
        if !user_file || self.cache_dir.is_some() {
            base.environment.path = self.cache_config();
        }
        if let Some(log) = &self.kernel_log {
            let logger = &mut base.profiling.logger;
            logger.level = ProfilingLogLevel::Minimal;
            logger.file = Some(log.clone());
            logger.append = true;
        }
        base
    }
}

/// Configures the runtime with `settings` before any wgpu device has been used; `false` (and
/// nothing changed) when the runtime's configuration was already read or set in this process.
pub fn configure(settings: &RuntimeSettings) -> bool {
    let user_file = user_config_file().is_some();
    let base = match user_file {
        true => CubeClRuntimeConfig::from_current_dir(),
        false => CubeClRuntimeConfig::default(),
    };
    CubeClRuntimeConfig::try_set(settings.apply(base.override_from_env(), user_file))
}

/// The user's CubeCL configuration file, searched as CubeCL does: `cubecl.toml` or
/// `CubeCL.toml`, else `burn.toml` or `Burn.toml`, in the working directory or above.
pub fn user_config_file() -> Option<PathBuf> {
    let mut dir = std::env::current_dir().ok()?;
    loop {
        let names = ["cubecl.toml", "CubeCL.toml", "burn.toml", "Burn.toml"];
        if let Some(found) = names.iter().map(|n| dir.join(n)).find(|p| p.is_file()) {
            return Some(found);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// Why a kernel log could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KernelLogError {
    /// The runtime was configured (a wgpu device used) before the log was asked for.
    #[error(
        "the GPU runtime is already configured in this process: start the kernel log before \
         the first wgpu device is used"
    )]
    TooLate,
    /// The log file could not be read or created.
    #[error("kernel log {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The device failed while the log waited for it.
    #[error("the device failed: {0}")]
    Device(String),
}

/// The kernels launched on wgpu devices in this process, one line per launch in a file
/// (CubeCL's profiling logger at `minimal`: `Executing <kernel>`), counted between two points.
///
/// ```no_run
/// use d2l::runtime::KernelLog;
///
/// let log = KernelLog::start(&std::env::temp_dir().join("kernels.log"))?;
/// let device = d2l::Backend::Wgpu.device()?;
/// let before = log.launches(&device)?;
/// // ... one training step ...
/// let step = log.launches(&device)? - before;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct KernelLog {
    path: PathBuf,
}

impl KernelLog {
    /// Starts logging every launch to `path` (emptied first), with the other settings from the
    /// environment ([`RuntimeSettings::from_env`]). Call it before the first wgpu device is
    /// used: the runtime reads its configuration once per process.
    pub fn start(path: &Path) -> Result<Self, KernelLogError> {
        let io = |source| KernelLogError::Io {
            path: path.to_path_buf(),
            source,
        };
        std::fs::write(path, "").map_err(io)?;
        let settings = RuntimeSettings {
            kernel_log: Some(path.to_path_buf()),
            ..RuntimeSettings::from_env()
        };
        match configure(&settings) {
            true => Ok(Self {
                path: path.to_path_buf(),
            }),
            false => Err(KernelLogError::TooLate),
        }
    }

    /// The log of the launches of this process when `$D2L_KERNEL_LOG` named one (and it was
    /// read when the runtime was configured).
    pub fn from_env() -> Option<Self> {
        RuntimeSettings::from_env()
            .kernel_log
            .map(|path| Self { path })
    }

    /// The kernels launched so far, by name, in order, once `device` has finished its work and
    /// the logger has written every line (it writes from another thread).
    pub fn kernels(&self, device: &Device) -> Result<Vec<String>, KernelLogError> {
        device
            .sync()
            .map_err(|e| KernelLogError::Device(e.to_string()))?;
        // The logger writes each line as its own thread receives it: read until two reads
        // 50 ms apart agree (bounded, so a stuck logger cannot hang a test).
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = self.read()?;
        loop {
            std::thread::sleep(Duration::from_millis(50));
            let now = self.read()?;
            if now.len() == last.len() || Instant::now() > deadline {
                return Ok(now);
            }
            last = now;
        }
    }

    /// How many kernels were launched so far ([`kernels`](Self::kernels)).
    pub fn launches(&self, device: &Device) -> Result<usize, KernelLogError> {
        Ok(self.kernels(device)?.len())
    }

    fn read(&self) -> Result<Vec<String>, KernelLogError> {
        let text = std::fs::read_to_string(&self.path).map_err(|source| KernelLogError::Io {
            path: self.path.clone(),
            source,
        })?;
        Ok(text
            .lines()
            .filter_map(|line| line.strip_prefix("Executing "))
            .map(str::to_string)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_choose_the_cache_folder_and_add_the_kernel_log() {
        let settings = RuntimeSettings {
            cache_dir: Some(PathBuf::from("/tmp/d2l-cache")),
            kernel_log: Some(PathBuf::from("/tmp/kernels.log")),
        };
        assert_eq!(settings.cache_root(), PathBuf::from("/tmp/d2l-cache"));
        let config = settings.apply(CubeClRuntimeConfig::default(), false);
        assert_eq!(
            config.environment.path.root(),
            PathBuf::from("/tmp/d2l-cache")
        );
        assert_eq!(
            config.profiling.logger.file,
            Some(PathBuf::from("/tmp/kernels.log"))
        );
        // Without a folder of its own, the global cache (not the workspace's target/).
        let global = RuntimeSettings::default();
        let config = global.apply(CubeClRuntimeConfig::default(), false);
        assert_eq!(config.environment.path.root(), CacheConfig::Global.root());
        assert!(config.profiling.logger.file.is_none());
        // A user's cubecl.toml keeps its own cache choice.
        let mut user = CubeClRuntimeConfig::default();
        user.environment.path = CacheConfig::Local;
        let config = global.apply(user, true);
        assert!(matches!(config.environment.path, CacheConfig::Local));
    }
}
