//! Data moving between the host and a device: the uploads and read-backs of the training path
//! go through here, counted, and the one question that chooses between the host path and the
//! device path of this workspace's crates ([`is_accelerator`]).
//!
//! On an accelerator (a GPU through wgpu, CUDA, ...) every read-back waits for the device's
//! queue to drain and every upload is a copy across a bus, so the training loop keeps both out
//! of the per-batch work: splits are resident on the device, batches are taken there, dropout
//! masks are drawn there, and an epoch's sums come back in one read. The CPU backends (flex,
//! ndarray) have no queue to drain and no bus; there the host path measures faster and stays.
//!
//! The counters ([`counts`]) are process-wide: a test that holds a loop to a number of reads or
//! uploads runs alone in its process.

use burn::tensor::kind::Basic;
use burn::tensor::{Device, Tensor, TensorCreationOptions, TensorData, TensorReadError};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

static UPLOADS: AtomicUsize = AtomicUsize::new(0);
static READS: AtomicUsize = AtomicUsize::new(0);

/// How many uploads and read-backs went through this module in this process so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Transfers {
    /// Host data made into tensors on a device ([`upload`]).
    pub uploads: usize,
    /// Tensors read back to the host ([`read`]).
    pub reads: usize,
}

impl std::ops::Sub for Transfers {
    type Output = Transfers;

    fn sub(self, earlier: Transfers) -> Transfers {
        Transfers {
            uploads: self.uploads - earlier.uploads,
            reads: self.reads - earlier.reads,
        }
    }
}

/// The transfers counted so far; subtract two of them to count what happened between.
pub fn counts() -> Transfers {
    Transfers {
        uploads: UPLOADS.load(Ordering::Relaxed),
        reads: READS.load(Ordering::Relaxed),
    }
}

/// `data` as a tensor on the device of `options` (a device, or a device and a dtype), counted
/// as one upload.
pub fn upload<const D: usize, K: Basic>(
    data: TensorData,
    options: impl Into<TensorCreationOptions>,
) -> Tensor<D, K> {
    UPLOADS.fetch_add(1, Ordering::Relaxed);
    Tensor::from_data(data, options)
}

/// The values of `tensor` on the host as `f32`, counted as one read; an error when the device
/// failed to compute them (out of memory, a lost GPU).
pub fn read<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, TensorReadError> {
    READS.fetch_add(1, Ordering::Relaxed);
    tensor.try_to_vec_as::<f32>()
}

/// Whether `device` is an accelerator with memory of its own, that is a device whose memory
/// Burn manages in pools (the cubecl backends: wgpu, software Vulkan included, CUDA, ROCm,
/// Metal), as opposed to a CPU backend working in host memory (flex, ndarray).
///
/// Asked once per device (the first answer drains the device's queue), then remembered.
///
/// A device of Burn's remote backend reports no memory pool: the application that connects one
/// says it is an accelerator with [`treat_as_accelerator`].
pub fn is_accelerator(device: &Device) -> bool {
    let mut known = known();
    if let Some((_, answer)) = known.iter().find(|(d, _)| d == device) {
        return *answer;
    }
    let answer = device.memory_pool_usage().is_some();
    known.push((device.clone(), answer));
    answer
}

/// Makes [`is_accelerator`] answer `true` for `device` (with or without autodiff) from now on:
/// for a device of Burn's remote backend, where every read-back crosses the network and every
/// operation is queued to another machine, so the device path (splits resident there, one read
/// per epoch) is the one to take although the device reports no memory pool.
pub fn treat_as_accelerator(device: &Device) {
    let mut known = known();
    known.retain(|(d, _)| d != device);
    known.push((device.clone(), true));
}

/// The devices asked about so far, and their answers.
fn known() -> std::sync::MutexGuard<'static, Vec<(Device, bool)>> {
    static KNOWN: Mutex<Vec<(Device, bool)>> = Mutex::new(Vec::new());
    KNOWN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One test: the answers are process-wide, and the device is the only flex one.
    #[test]
    fn the_cpu_backend_is_not_an_accelerator_unless_treated_as_one() {
        let device = Device::flex();
        assert!(!is_accelerator(&device));
        assert!(!is_accelerator(&device.clone().autodiff()));
        treat_as_accelerator(&device.clone().autodiff());
        assert!(is_accelerator(&device));
        assert!(is_accelerator(&device.autodiff()));
    }

    #[test]
    fn uploads_and_reads_are_counted_and_round_trip() {
        let device = Device::flex();
        let before = counts();
        let t: Tensor<1> = upload(TensorData::new(vec![1.0f32, 2.5], [2]), &device);
        assert_eq!(read(t).unwrap(), vec![1.0, 2.5]);
        let done = counts() - before;
        // Other tests of this binary may transfer meanwhile: at least ours were counted.
        assert!(done.uploads >= 1 && done.reads >= 1, "{done:?}");
    }
}
