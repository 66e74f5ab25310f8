//! The record of the adapter a GPU backend's device runs on, as run folders and benchmarks
//! keep it. Filled in by the application, which knows the backend (the `d2l` facade asks wgpu).

use serde::{Deserialize, Serialize};

/// The adapter a GPU backend's device runs on, as its driver reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adapter {
    /// The adapter's name (`NVIDIA H200`, `llvmpipe (LLVM 15.0.7, 256 bits)`).
    pub name: String,
    /// `discrete`, `integrated`, `virtual`, `cpu` (a software rasterizer) or `other`.
    pub kind: String,
    /// The driver and its version, as the driver reports them.
    pub driver: String,
}

impl Adapter {
    /// Whether it is software on the CPU rather than a GPU.
    pub fn is_software(&self) -> bool {
        self.kind == "cpu"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_software_rasterizer_is_told_from_a_gpu_and_the_record_round_trips() {
        let lavapipe = Adapter {
            name: "llvmpipe (LLVM 15.0.7, 256 bits)".into(),
            kind: "cpu".into(),
            driver: "llvmpipe Mesa 23.2.1".into(),
        };
        let h200 = Adapter {
            name: "NVIDIA H200".into(),
            kind: "discrete".into(),
            driver: "NVIDIA 580.159.04".into(),
        };
        assert!(lavapipe.is_software());
        assert!(!h200.is_software());
        let json = serde_json::to_string(&h200).unwrap();
        assert_eq!(serde_json::from_str::<Adapter>(&json).unwrap(), h200);
    }
}
