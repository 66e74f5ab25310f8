//! The one place where cargo features become a [`Device`].
//!
//! Backends are a build decision (the `flex`, `ndarray` and `wgpu` features of this crate,
//! forwarded to Burn); which compiled backend runs is a runtime value: an explicit choice, else
//! the `D2L_BACKEND` environment variable, else the first compiled one. `remote` (feature
//! `remote`) is a device another process serves ([`crate::remote`]); [`crate::DeviceSpec`] names
//! one device of either kind, as `--devices` lists them.

use burn::tensor::Device;
use d2l_device::Adapter;
use std::fmt;
use std::str::FromStr;

/// The environment variable naming the backend when none is given explicitly.
pub const BACKEND_ENV: &str = "D2L_BACKEND";

/// The environment variable naming the server of the remote backend (`ws://HOST:PORT`).
pub const REMOTE_ENV: &str = "D2L_REMOTE";

/// A backend this project can be built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Burn's pure-Rust CPU backend (feature `flex`).
    Flex,
    /// The ndarray CPU backend (feature `ndarray`).
    NdArray,
    /// The wgpu GPU backend (feature `wgpu`): Vulkan, Metal or DX12, or software Vulkan.
    Wgpu,
    /// A device served by `d2l serve` on another machine or process (feature `remote`): Burn's
    /// remote backend over WebSocket, at `$D2L_REMOTE` ([`crate::remote`]).
    Remote,
}

impl Backend {
    /// Every backend, the local ones in order of preference, then the remote one.
    pub const ALL: [Backend; 4] = [
        Backend::Flex,
        Backend::NdArray,
        Backend::Wgpu,
        Backend::Remote,
    ];

    /// The name used by features, flags and `D2L_BACKEND`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::NdArray => "ndarray",
            Backend::Wgpu => "wgpu",
            Backend::Remote => "remote",
        }
    }

    /// Whether this build includes the backend.
    pub fn is_compiled(self) -> bool {
        match self {
            Backend::Flex => cfg!(feature = "flex"),
            Backend::NdArray => cfg!(feature = "ndarray"),
            Backend::Wgpu => cfg!(feature = "wgpu"),
            Backend::Remote => cfg!(feature = "remote"),
        }
    }

    /// The local backends this build includes (`remote` runs on one of another process's).
    pub fn compiled() -> Vec<Backend> {
        Backend::ALL
            .into_iter()
            .filter(|b| b.is_compiled() && *b != Backend::Remote)
            .collect()
    }

    /// The backend's default device (the first GPU wgpu finds, software Vulkan included). For
    /// wgpu, the GPU runtime is configured first (`runtime::configure`); for remote, device 0
    /// of the server at `$D2L_REMOTE`, presenting `$D2L_TOKEN` ([`crate::remote::connect`]).
    pub fn device(self) -> Result<Device, BackendError> {
        match self {
            #[cfg(feature = "remote")]
            Backend::Remote => {
                use crate::remote::{Target, connect, token};
                let url = std::env::var(REMOTE_ENV).map_err(|_| BackendError::NoRemote)?;
                Ok(connect(&Target::new(&url, token(None)?)?)?)
            }
            #[cfg(feature = "flex")]
            Backend::Flex => Ok(Device::flex()),
            // Deprecated upstream in favour of flex; this project still supports and tests it.
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            Backend::NdArray => Ok(Device::ndarray()),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => {
                #[cfg(feature = "vulkan")]
                refuse_software_spirv()?;
                // The runtime's settings (cache folder, kernel log) before the first device;
                // a no-op once the runtime is configured.
                crate::runtime::configure(&crate::runtime::RuntimeSettings::from_env());
                Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice))
            }
            #[allow(unreachable_patterns)]
            missing => Err(BackendError::NotCompiled {
                requested: missing,
                compiled: Backend::compiled(),
            }),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = BackendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Backend::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| BackendError::Unknown(s.to_string()))
    }
}

/// Why no device could be had.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The name is not a backend.
    #[error("unknown backend '{0}': expected one of flex, ndarray, wgpu, remote")]
    Unknown(String),
    /// `remote` without a server to run on.
    #[error("--backend remote needs the server's address: --remote ws://HOST:PORT or $D2L_REMOTE")]
    NoRemote,
    /// A served device could not be used.
    #[cfg(feature = "remote")]
    #[error(transparent)]
    Remote(#[from] crate::remote::RemoteError),
    /// Not a device of `--devices`.
    #[error(
        "'{0}' is not a device: expected a backend (flex, ndarray, wgpu), wgpu:N (the N-th discrete GPU) or a server's ws://HOST:PORT"
    )]
    Spec(String),
    /// The backend was not compiled in.
    #[error(
        "backend '{requested}' is not compiled into this build (compiled: {}); \
         rebuild with `--features {requested}`, or run `cargo xtask <verb> --backend {requested}`",
        list(compiled)
    )]
    NotCompiled {
        /// What was asked for.
        requested: Backend,
        /// What this build has.
        compiled: Vec<Backend>,
    },
    /// A GPU was required and the device is not one.
    #[error("a GPU is required (--require-gpu or {REQUIRE_GPU_ENV}), but {0}")]
    NoGpu(String),
    /// A build with the `vulkan` feature (CubeCL's SPIR-V compiler) found no GPU, only
    /// software adapters, where its kernels crash (lavapipe: a segmentation fault).
    #[cfg(feature = "vulkan")]
    #[error(
        "this build compiles kernels to SPIR-V (the `vulkan` feature), which crashes software \
         Vulkan, and the only adapters here are software ({0}); use a build without the \
         `vulkan` feature (`cargo xtask <verb> --backend wgpu`)"
    )]
    SoftwareSpirv(String),
    /// No backend feature at all.
    #[error(
        "no backend is compiled into this build: enable one of the features flex, ndarray, wgpu"
    )]
    NoneCompiled,
}

fn list(backends: &[Backend]) -> String {
    if backends.is_empty() {
        return "none".to_string();
    }
    backends
        .iter()
        .map(|b| b.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolves the backend to run: `requested`, else `$D2L_BACKEND`, else the first compiled one.
pub fn resolve(requested: Option<Backend>) -> Result<Backend, BackendError> {
    if let Some(backend) = requested {
        return Ok(backend);
    }
    if let Ok(name) = std::env::var(BACKEND_ENV) {
        return name.parse();
    }
    Backend::compiled()
        .first()
        .copied()
        .ok_or(BackendError::NoneCompiled)
}

/// The device of the resolved backend (see [`resolve`]).
pub fn device(requested: Option<Backend>) -> Result<(Backend, Device), BackendError> {
    let backend = resolve(requested)?;
    Ok((backend, backend.device()?))
}

/// The environment variable that, set to anything but `0` or nothing, makes a run on anything
/// but a GPU an error (as `--require-gpu` does).
pub const REQUIRE_GPU_ENV: &str = "D2L_REQUIRE_GPU";

/// The adapter `device` runs on, for a wgpu device: its name as Burn's runtime opened it, and
/// its kind and driver as wgpu reports that adapter. `None` for the CPU backends.
pub fn adapter(device: &Device) -> Option<Adapter> {
    #[cfg(feature = "wgpu")]
    {
        let name = device.identity()?.name;
        let info = wgpu_adapters().into_iter().find(|info| info.name == name);
        let (kind, driver) = match info {
            Some(info) => (
                match info.device_type {
                    wgpu::DeviceType::DiscreteGpu => "discrete",
                    wgpu::DeviceType::IntegratedGpu => "integrated",
                    wgpu::DeviceType::VirtualGpu => "virtual",
                    wgpu::DeviceType::Cpu => "cpu",
                    wgpu::DeviceType::Other => "other",
                },
                format!("{} {}", info.driver, info.driver_info)
                    .trim()
                    .to_string(),
            ),
            None => ("other", String::new()),
        };
        Some(Adapter {
            name,
            kind: kind.to_string(),
            driver,
        })
    }
    #[cfg(not(feature = "wgpu"))]
    {
        let _ = device;
        None
    }
}

/// Every adapter wgpu sees, on every graphics API.
#[cfg(feature = "wgpu")]
fn wgpu_adapters() -> Vec<wgpu::AdapterInfo> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::all(),
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapters = block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    adapters.iter().map(wgpu::Adapter::get_info).collect()
}

/// A SPIR-V build's refusal of a machine whose adapters are all software rasterizers (the
/// default device would be one of them).
#[cfg(feature = "vulkan")]
fn refuse_software_spirv() -> Result<(), BackendError> {
    let adapters = wgpu_adapters();
    match adapters
        .iter()
        .all(|info| info.device_type == wgpu::DeviceType::Cpu)
    {
        true => {
            let names: Vec<String> = adapters.into_iter().map(|info| info.name).collect();
            Err(BackendError::SoftwareSpirv(match names.is_empty() {
                true => "none found".to_string(),
                false => names.join(", "),
            }))
        }
        false => Ok(()),
    }
}

/// Polls `future` to its end on this thread (wgpu's native futures are ready at once).
#[cfg(feature = "wgpu")]
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::yield_now();
    }
}

/// Whether `$D2L_REQUIRE_GPU` asks for a GPU.
pub fn gpu_required_by_env() -> bool {
    std::env::var(REQUIRE_GPU_ENV).is_ok_and(|value| !value.is_empty() && value != "0")
}

/// Checks that `backend`'s device, whose adapter is `adapter`, is a GPU: an error naming
/// what it is otherwise (a CPU backend, or a software adapter such as lavapipe's llvmpipe,
/// which wgpu picks when the GPU's Vulkan driver is missing).
pub fn require_gpu(backend: Backend, adapter: Option<&Adapter>) -> Result<(), BackendError> {
    match adapter {
        Some(adapter) if !adapter.is_software() => Ok(()),
        Some(adapter) => Err(BackendError::NoGpu(format!(
            "{backend} runs on a software adapter, {} ({}): install the GPU's Vulkan driver \
             (and check that the container sees the GPU)",
            adapter.name, adapter.driver
        ))),
        None if backend == Backend::Remote => Err(BackendError::NoGpu(
            "the device a server hosts cannot be checked from its client: give --require-gpu to \
             `d2l serve` there instead"
                .to_string(),
        )),
        None => Err(BackendError::NoGpu(format!(
            "{backend} runs on the CPU: use --backend wgpu on a machine with a GPU"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        assert!(!Backend::compiled().contains(&Backend::Remote));
        for backend in Backend::ALL {
            assert_eq!(backend.name().parse::<Backend>().unwrap(), backend);
        }
        assert_eq!("NDARRAY".parse::<Backend>().unwrap(), Backend::NdArray);
        let err = "cuda".parse::<Backend>().unwrap_err().to_string();
        assert!(err.contains("unknown backend 'cuda'"), "{err}");
    }

    #[test]
    fn a_gpu_requirement_refuses_the_cpu_and_software_adapters() {
        let adapter = |kind: &str| Adapter {
            name: "llvmpipe (LLVM 15.0.7, 256 bits)".to_string(),
            kind: kind.to_string(),
            driver: "llvmpipe Mesa 22.3.6".to_string(),
        };
        let err = require_gpu(Backend::Wgpu, Some(&adapter("cpu")))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("software adapter") && err.contains("llvmpipe (LLVM"),
            "{err}"
        );
        assert!(require_gpu(Backend::Wgpu, Some(&adapter("discrete"))).is_ok());
        let err = require_gpu(Backend::Flex, None).unwrap_err().to_string();
        assert!(err.contains("flex runs on the CPU"), "{err}");
    }

    #[test]
    fn compiled_backends_give_devices_and_others_a_clear_error() {
        // remote needs a server: the loopback tests of the command line open its devices.
        for backend in Backend::ALL.into_iter().filter(|b| *b != Backend::Remote) {
            match backend.device() {
                Ok(_) => assert!(backend.is_compiled()),
                Err(err) => {
                    assert!(!backend.is_compiled());
                    assert!(err.to_string().contains("not compiled"), "{err}");
                }
            }
        }
        assert!(
            !Backend::compiled().is_empty(),
            "tests build with a backend"
        );
    }
}
