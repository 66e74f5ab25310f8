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
//! - **How far Burn's fusion searches** ([`FUSION_MAX_BLOCKS`]): how many independent blocks of
//!   queued operations its beam search keeps open at once (`$D2L_FUSION_BLOCKS`, default 3;
//!   Burn's own default is 5). Fewer blocks let it fuse the training step's tail into a few
//!   kernels every batch, where five made it settle, after the first batches, on plans that
//!   launch the backward pass's fills and products one by one.
//! - **How hard CubeCL's autotune works** ([`AUTOTUNE_LEVEL`]): how many candidate kernels it
//!   compiles and times for each new matrix-product and reduction shape, part of a first
//!   epoch's time on empty caches (`$CUBECL_AUTOTUNE_LEVEL`, CubeCL's own variable, still
//!   chooses).
//!
//! A `cubecl.toml` (or a `burn.toml` with a `[cubecl]` table) in the working directory or above
//! it is the user's own configuration: it is read first, as CubeCL would, and only the kernel
//! log is added to it. Likewise a `burn.toml` there is the user's fusion configuration, taken as
//! it is.

use burn::BurnConfig;
use burn::tensor::Device;
use cubecl_runtime::config::cache::CacheConfig;
use cubecl_runtime::config::profiling::ProfilingLogLevel;
use cubecl_runtime::config::{CubeClRuntimeConfig, RuntimeConfig};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// CubeCL's autotune levels, for [`RuntimeSettings::autotune_level`].
pub use cubecl_runtime::config::autotune::AutotuneLevel;

/// The environment variable naming the folder where compiled kernels and autotune results are
/// kept (default: CubeCL's global cache folder, `~/.cache/cubecl` on Linux).
pub const CACHE_DIR_ENV: &str = "D2L_CACHE_DIR";

/// The environment variable naming a file to log every kernel launch to ([`KernelLog`]).
pub const KERNEL_LOG_ENV: &str = "D2L_KERNEL_LOG";

/// The environment variable setting how many independent blocks Burn's fusion search keeps
/// open ([`FUSION_MAX_BLOCKS`] when unset).
pub const FUSION_BLOCKS_ENV: &str = "D2L_FUSION_BLOCKS";

/// How many independent blocks of operations Burn's fusion search explores at once, unless
/// `$D2L_FUSION_BLOCKS` or the user's `burn.toml` says otherwise.
///
/// Measured with `d2l kernels` on software Vulkan (lavapipe, the book's recipes, kernels per
/// training batch; the search runs on the host, so the plans it settles on do not depend on
/// the GPU):
///
/// | blocks | softmax | mlp | dropout |
/// |---|---|---|---|
/// | 1 | 22 | 31 | 42 |
/// | 2 | 18 | 26 | 38 |
/// | **3** | **16** | **22** | **33** |
/// | 4 | 19 | 26 | 39 |
/// | 5 (Burn's default) | 17 | 28 | 40 |
/// | 8 | 34-35 | 43 | 46 |
///
/// With five or more the search found a good plan for the first batches, then settled on plans
/// that launch the backward pass's fills, scalings and products as kernels of their own; with
/// fewer it fuses less. (With the plain cross-entropy instead of the fused one of
/// `d2l_models::softmax_cross_entropy`, three blocks gave 19, 26 and 37, five 20, 34 and 45.)
pub const FUSION_MAX_BLOCKS: usize = 3;

/// The environment variable, CubeCL's own, choosing the autotune level ([`AUTOTUNE_LEVEL`]
/// when unset): `minimal`, `balanced`, `extensive` or `full`.
pub const AUTOTUNE_LEVEL_ENV: &str = "CUBECL_AUTOTUNE_LEVEL";

/// How hard CubeCL's autotune works on each new matrix-product or reduction shape, unless
/// `$CUBECL_AUTOTUNE_LEVEL` or the user's `cubecl.toml` says otherwise.
///
/// Measured on software Vulkan (lavapipe, 2 cores): `train mlp --epochs 3` from empty caches,
/// CubeCL's and Mesa's, as on a fresh machine, levels alternated, two rounds (seconds):
///
/// | level | first epoch | steady epochs |
/// |---|---|---|
/// | minimal | 137.5, 134.4 | 7.6-8.1 |
/// | **balanced** (CubeCL's default) | **111.9, 109.9** | 7.7-8.2 |
/// | extensive | 111.9, 104.4 | 7.3-7.8 |
///
/// Minimal took longer, not shorter; extensive matched balanced within the rounds' spread; no
/// level changed the steady epochs or the accuracy (0.8086 after three epochs at every
/// level). On an NVIDIA H200 one cold first epoch took 44.4 s at minimal against 47.6 s at
/// balanced (`../shared/gpu/README.md`), steady epochs not measured: the device check
/// measures both (`LEVELS="minimal balanced" run.sh`) before this changes for GPUs.
pub const AUTOTUNE_LEVEL: AutotuneLevel = AutotuneLevel::Balanced;

/// The runtime's settings.
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    /// Where compiled kernels and autotune results are kept; `None`: CubeCL's global cache.
    pub cache_dir: Option<PathBuf>,
    /// A file that gets one line per kernel launch; `None`: no log.
    pub kernel_log: Option<PathBuf>,
    /// How many independent blocks Burn's fusion search keeps open ([`FUSION_MAX_BLOCKS`]).
    pub fusion_max_blocks: usize,
    /// How hard CubeCL's autotune works ([`AUTOTUNE_LEVEL`]).
    pub autotune_level: AutotuneLevel,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        Self {
            cache_dir: None,
            kernel_log: None,
            fusion_max_blocks: FUSION_MAX_BLOCKS,
            autotune_level: AUTOTUNE_LEVEL,
        }
    }
}

impl PartialEq for RuntimeSettings {
    fn eq(&self, other: &Self) -> bool {
        // CubeCL's level has no `PartialEq` of its own: a field-less enum, compared by variant.
        self.cache_dir == other.cache_dir
            && self.kernel_log == other.kernel_log
            && self.fusion_max_blocks == other.fusion_max_blocks
            && std::mem::discriminant(&self.autotune_level)
                == std::mem::discriminant(&other.autotune_level)
    }
}

impl RuntimeSettings {
    /// The settings `$D2L_CACHE_DIR`, `$D2L_KERNEL_LOG`, `$D2L_FUSION_BLOCKS` and
    /// `$CUBECL_AUTOTUNE_LEVEL` give (unset, empty or, for the blocks, not a positive number:
    /// the defaults; the level as CubeCL reads it).
    pub fn from_env() -> Self {
        let path = |name| {
            std::env::var_os(name)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        };
        let blocks = std::env::var(FUSION_BLOCKS_ENV)
            .ok()
            .and_then(|value| value.trim().parse::<usize>().ok())
            .filter(|&blocks| blocks > 0);
        Self {
            cache_dir: path(CACHE_DIR_ENV),
            kernel_log: path(KERNEL_LOG_ENV),
            fusion_max_blocks: blocks.unwrap_or(FUSION_MAX_BLOCKS),
            // Set: read by CubeCL's own parser (a value it does not know leaves its default).
            autotune_level: match std::env::var_os(AUTOTUNE_LEVEL_ENV) {
                Some(_) => {
                    CubeClRuntimeConfig::default()
                        .override_from_env()
                        .autotune
                        .level
                }
                None => AUTOTUNE_LEVEL,
            },
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

    /// CubeCL's configuration with these settings over `base`: the cache folder and the
    /// autotune level unless the user's file chose them (`user_file`), the kernel log when one
    /// is asked for.
    fn apply(&self, mut base: CubeClRuntimeConfig, user_file: bool) -> CubeClRuntimeConfig {
        if !user_file || self.cache_dir.is_some() {
            base.environment.path = self.cache_config();
        }
        if !user_file {
            base.autotune.level = self.autotune_level.clone();
        }
        if let Some(log) = &self.kernel_log {
            let logger = &mut base.profiling.logger;
            logger.level = ProfilingLogLevel::Minimal;
            logger.file = Some(log.clone());
            logger.append = true;
        }
        base
    }

    /// Burn's configuration with these settings: its defaults but for the fusion search's
    /// blocks.
    fn burn_config(&self) -> BurnConfig {
        let mut config =
            serde_json::to_value(BurnConfig::default()).expect("Burn's configuration serialises");
        config["fusion"]["beam_search"]["max_blocks"] = self.fusion_max_blocks.into();
        serde_json::from_value(config).expect("Burn's configuration with the search's blocks")
    }
}

/// Configures the runtime with `settings` before any wgpu device has been used; `false` (and
/// nothing changed) when the runtime's configuration was already read or set in this process.
///
/// Burn's own configuration (the fusion search) is set here too, unless the user has a
/// `burn.toml`, which Burn then reads as it would.
pub fn configure(settings: &RuntimeSettings) -> bool {
    if !user_burn_file() {
        BurnConfig::try_set(settings.burn_config().override_from_env());
    }
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
    find_upwards(&["cubecl.toml", "CubeCL.toml", "burn.toml", "Burn.toml"])
}

/// Whether the user has a Burn configuration file (`burn.toml` or `Burn.toml`) in the working
/// directory or above, which Burn reads itself.
fn user_burn_file() -> bool {
    find_upwards(&["burn.toml", "Burn.toml"]).is_some()
}

/// The first of `names` found in the working directory, else in the nearest folder above it.
fn find_upwards(names: &[&str]) -> Option<PathBuf> {
    let mut dir = std::env::current_dir().ok()?;
    loop {
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
            ..RuntimeSettings::default()
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

    #[test]
    fn settings_set_the_autotune_level_unless_the_users_file_does() {
        let level = |config: &CubeClRuntimeConfig| std::mem::discriminant(&config.autotune.level);
        let ours = RuntimeSettings::default().apply(CubeClRuntimeConfig::default(), false);
        assert_eq!(level(&ours), std::mem::discriminant(&AUTOTUNE_LEVEL));
        let full = RuntimeSettings {
            autotune_level: AutotuneLevel::Full,
            ..RuntimeSettings::default()
        };
        let config = full.apply(CubeClRuntimeConfig::default(), false);
        assert_eq!(level(&config), std::mem::discriminant(&AutotuneLevel::Full));
        assert!(full != RuntimeSettings::default());
        // A user's cubecl.toml keeps its own level.
        let mut user = CubeClRuntimeConfig::default();
        user.autotune.level = AutotuneLevel::Extensive;
        let config = full.apply(user, true);
        assert_eq!(
            level(&config),
            std::mem::discriminant(&AutotuneLevel::Extensive)
        );
    }

    #[test]
    fn settings_set_the_fusion_search_and_keep_burns_other_defaults() {
        let default = RuntimeSettings::default().burn_config();
        assert_eq!(default.fusion().beam_search.max_blocks, FUSION_MAX_BLOCKS);
        let wide = RuntimeSettings {
            fusion_max_blocks: 8,
            ..RuntimeSettings::default()
        };
        let config = wide.burn_config();
        assert_eq!(config.fusion().beam_search.max_blocks, 8);
        let burn = BurnConfig::default();
        assert_eq!(
            config.fusion().growth_patience,
            burn.fusion().growth_patience
        );
        assert_eq!(
            config.fusion().beam_search.max_explorations,
            burn.fusion().beam_search.max_explorations
        );
    }
}
