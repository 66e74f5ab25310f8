//! One device of a list, as `--devices` names them: a local backend, wgpu's N-th discrete GPU,
//! or a served device.

use crate::backend::{Backend, BackendError};
use burn::tensor::Device;
use std::fmt;
use std::str::FromStr;

/// One device of a list (`--devices`): a local backend's default device, wgpu's N-th discrete
/// GPU, or device 0 of a `d2l serve` server. Written as `flex`, `wgpu:1`, `ws://HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSpec {
    /// A local backend's default device (`flex`, `ndarray`, `wgpu`).
    Local(Backend),
    /// wgpu's discrete GPU of this index (`wgpu:N`), among the discrete GPUs wgpu finds.
    Gpu(usize),
    /// Device 0 of the server at this address (`ws://HOST:PORT`).
    Served(String),
}

impl DeviceSpec {
    /// The backend the device belongs to.
    pub fn backend(&self) -> Backend {
        match self {
            DeviceSpec::Local(backend) => *backend,
            DeviceSpec::Gpu(_) => Backend::Wgpu,
            DeviceSpec::Served(_) => Backend::Remote,
        }
    }

    /// Opens the device; a served one presenting `token`.
    pub fn open(&self, token: Option<String>) -> Result<Device, BackendError> {
        match self {
            DeviceSpec::Local(backend) => backend.device(),
            #[cfg(feature = "wgpu")]
            DeviceSpec::Gpu(index) => {
                crate::runtime::configure(&crate::runtime::RuntimeSettings::from_env());
                Ok(Device::wgpu(burn::tensor::DeviceKind::DiscreteGpu(*index)))
            }
            #[cfg(feature = "remote")]
            DeviceSpec::Served(url) => {
                let target = crate::remote::Target::new(url, token)?;
                Ok(crate::remote::connect(&target)?)
            }
            #[allow(unreachable_patterns)]
            other => {
                let _ = token;
                Err(BackendError::NotCompiled {
                    requested: other.backend(),
                    compiled: Backend::compiled(),
                })
            }
        }
    }
}

impl FromStr for DeviceSpec {
    type Err = BackendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let spec = if s.starts_with("ws://") {
            Some(DeviceSpec::Served(s.trim_end_matches('/').to_string()))
        } else if let Some(index) = s.strip_prefix("wgpu:") {
            index.parse().ok().map(DeviceSpec::Gpu)
        } else {
            s.parse()
                .ok()
                .filter(|b| *b != Backend::Remote)
                .map(DeviceSpec::Local)
        };
        spec.ok_or_else(|| BackendError::Spec(s.to_string()))
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSpec::Local(backend) => write!(f, "{backend}"),
            DeviceSpec::Gpu(index) => write!(f, "wgpu:{index}"),
            DeviceSpec::Served(url) => f.write_str(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_lists_name_backends_gpus_and_servers_and_print_back() {
        let list: Vec<DeviceSpec> = ["flex", " wgpu:1", "ws://gpu:3000/"]
            .into_iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(
            list,
            [
                DeviceSpec::Local(Backend::Flex),
                DeviceSpec::Gpu(1),
                DeviceSpec::Served("ws://gpu:3000".to_string())
            ]
        );
        let printed: Vec<String> = list.iter().map(ToString::to_string).collect();
        assert_eq!(printed, ["flex", "wgpu:1", "ws://gpu:3000"]);
        for bad in ["remote", "wgpu:x", "cuda", ""] {
            let err = bad.parse::<DeviceSpec>().unwrap_err().to_string();
            assert!(err.contains("is not a device"), "{bad}: {err}");
        }
    }
}
