//! Loaded data as datasets of tensors, and their batches: the one place where a split becomes
//! something a training loop can batch.
//!
//! A split's features are one tensor on the device, or bytes (pixels): on the host for a CPU
//! backend, each batch turned into floats as it is gathered, and resident on an accelerator,
//! packed two to a 32-bit float, each batch unpacked there. Its targets are a tensor on the
//! device. A batch is a `narrow` of the split, put in the pass's order once when shuffled
//! (features on the host are gathered batch by batch): no per-example work in the hot loop,
//! and on an accelerator no upload but one permutation per pass.
//!
//! The adapters from this crate's data: [`Split::dataset`](crate::Split::dataset) and
//! [`FashionMnist::datasets`](crate::FashionMnist::datasets) for Fashion-MNIST,
//! [`Table::dataset`](crate::Table::dataset) for rows of features and regression targets (the house prices).

use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::sync::Arc;

use d2l_device::{is_accelerator, upload};

/// The targets of a dataset, indexed along their first dimension: class indices
/// (`Tensor<1, Int>`) or regression targets (`Tensor<2>`).
///
/// `Send + Sync`, as tensors are: a training loop may gather batches on another thread.
pub trait Targets: Clone + Send + Sync {
    /// Number of examples.
    fn len(&self) -> usize;
    /// Whether there is no example.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The examples at `indices`, in that order.
    fn select(&self, indices: Tensor<1, Int>) -> Self;
    /// `length` examples from `start`.
    fn narrow(&self, start: usize, length: usize) -> Self;
    /// The same values on the autodiff side of their device (untracked).
    fn autodiff(self) -> Self;
    /// The same values on `device` (data-parallel training sends each device its shard).
    fn to_device(self, device: &Device) -> Self;
}

macro_rules! tensor_targets {
    ($($t:ty),+) => {$(
        impl Targets for $t {
            fn len(&self) -> usize {
                self.dims()[0]
            }
            fn select(&self, indices: Tensor<1, Int>) -> Self {
                self.clone().select(0, indices)
            }
            fn narrow(&self, start: usize, length: usize) -> Self {
                self.clone().narrow(0, start, length)
            }
            fn autodiff(self) -> Self {
                Tensor::autodiff(self)
            }
            fn to_device(self, device: &Device) -> Self {
                Tensor::to_device(self, device)
            }
        }
    )+};
}

tensor_targets!(Tensor<1, Int>, Tensor<2>);

/// Features and targets of one split.
///
/// The features live on the device as one tensor ([`new`](Self::new)), or as bytes
/// ([`from_bytes`](Self::from_bytes)): on the host for a CPU backend, where a batch of bytes is
/// gathered and divided into floats, then sent to the device, so that the split never exists in
/// full as floats (a quarter of the memory, nothing to convert when loading); resident on an
/// accelerator, packed two to a 32-bit float (half the memory of floats, and under the buffer
/// limits of software Vulkan), where a pass is put in its shuffled order once and each batch
/// unpacked by the device.
#[derive(Debug, Clone)]
pub struct TensorDataset<T> {
    features: Features,
    targets: T,
}

#[derive(Debug, Clone)]
enum Features {
    Tensor(Tensor<2>),
    Bytes(ByteRows),
    Packed(Box<PackedRows>),
}

/// Rows of `width` bytes on the host, made into `[rows, width]` float tensors on `device`.
#[derive(Debug, Clone)]
struct ByteRows {
    bytes: Arc<Vec<u8>>,
    width: usize,
    divisor: f32,
    device: Device,
}

impl ByteRows {
    /// The rows at `indices`, in that order, each byte divided by the divisor.
    fn tensor(&self, indices: impl ExactSizeIterator<Item = usize>) -> Tensor<2> {
        let (rows, width, divisor) = (indices.len(), self.width, self.divisor);
        let mut values = Vec::with_capacity(rows * width);
        // Compiled for the widest vectors this CPU has (AVX-512 or AVX2, chosen at run time):
        // about 1.4x faster here than the baseline (SSE) build of the same loop. Extending a
        // vector, rather than filling a zeroed one, skips a write of every value.
        pulp::Arch::new().dispatch(|| {
            for i in indices {
                let row = &self.bytes[i * width..(i + 1) * width];
                values.extend(row.iter().map(|&byte| f32::from(byte) / divisor));
            }
        });
        upload(TensorData::new(values, [rows, width]), &self.device)
    }
}

/// Rows of `width` bytes resident on a device, two bytes to a 32-bit float (`lo + 256 hi`, an
/// integer below 2^16, which a float holds exactly; rows padded to an even width), unpacked
/// into floats by the device batch by batch.
///
/// Bytes are not a type every device computes with (software Vulkan has no 8-bit integers);
/// a split of floats, one per byte, would be twice the size (Fashion-MNIST's training images:
/// 188 MB, over software Vulkan's 128 MiB limit on one buffer; packed, 94 MB). Floats rather
/// than integers because the unpacking is then float arithmetic throughout, which Burn fuses
/// into one kernel with the division: four bytes to an integer took three kernels per batch
/// (shifts and masks, a cast to float, the division) on wgpu.
#[derive(Debug, Clone)]
struct PackedRows {
    /// `[rows, width.div_ceil(2)]`.
    words: Tensor<2>,
    /// `[1, 1, 2]`: 1 and 1/256, the scale that brings each byte of a word to its units.
    scales: Tensor<3>,
    width: usize,
    divisor: f32,
}

impl PackedRows {
    fn new(bytes: &[u8], width: usize, divisor: f32, device: &Device) -> Self {
        let words_per_row = width.div_ceil(2);
        let mut words = Vec::with_capacity(bytes.len() / width * words_per_row);
        for row in bytes.chunks_exact(width) {
            for pair in row.chunks(2) {
                let high = pair.get(1).copied().unwrap_or(0);
                words.push(f32::from(pair[0]) + 256.0 * f32::from(high));
            }
        }
        let rows = words.len() / words_per_row;
        let scales: Tensor<1> = upload(TensorData::new(vec![1.0f32, 1.0 / 256.0], [2]), device);
        Self {
            words: upload(TensorData::new(words, [rows, words_per_row]), device),
            scales: scales.reshape([1, 1, 2]),
            width,
            divisor,
        }
    }

    /// The floats of packed rows `[rows, words]`: `[rows, width]`, each byte divided by the
    /// divisor. Every step is exact (scaling by a power of two, whole parts of numbers below
    /// 2^16), so a byte `b` becomes the very float `b as f32 / divisor` of the host path.
    fn unpack(&self, words: Tensor<2>) -> Tensor<2> {
        let [rows, per_row] = words.dims();
        // [word, word / 256]: their whole parts modulo 256 are the low and the high byte.
        let scaled = words.unsqueeze_dim::<3>(2) * self.scales.clone();
        let whole = scaled.clone() - scaled.remainder_scalar(1.0);
        // Divided before the reshape, which would end the fused kernel.
        let values = (whole.remainder_scalar(256.0) / self.divisor).reshape([rows, per_row * 2]);
        match per_row * 2 == self.width {
            true => values,
            false => values.narrow(1, 0, self.width),
        }
    }
}

impl<T: Targets> TensorDataset<T> {
    /// Pairs features `[n, features]` with targets `[n, ..]`.
    ///
    /// # Panics
    /// When they do not hold the same number of examples.
    pub fn new(inputs: Tensor<2>, targets: T) -> Self {
        assert_eq!(
            inputs.dims()[0],
            targets.len(),
            "features and targets must hold the same number of examples"
        );
        Self {
            features: Features::Tensor(inputs),
            targets,
        }
    }

    /// Pairs features given as bytes, `width` per example, with targets; each batch of
    /// features is a `[rows, width]` f32 tensor on `device` holding the bytes divided by
    /// `divisor` (255 turns pixels into d2l's `ToTensor` values in `[0, 1]`).
    ///
    /// The bytes stay on the host for a CPU backend and are uploaded once, packed, to an
    /// accelerator ([`is_accelerator`]); [`from_bytes_in`](Self::from_bytes_in) chooses.
    ///
    /// # Panics
    /// When `width` is zero or the bytes are not `width` per target.
    pub fn from_bytes(
        bytes: Arc<Vec<u8>>,
        width: usize,
        divisor: f32,
        targets: T,
        device: &Device,
    ) -> Self {
        let placement = match is_accelerator(device) {
            true => Placement::Device,
            false => Placement::Host,
        };
        Self::from_bytes_in(placement, bytes, width, divisor, targets, device)
    }

    /// [`from_bytes`](Self::from_bytes) with the bytes kept where `placement` says.
    ///
    /// # Panics
    /// As [`from_bytes`](Self::from_bytes).
    pub fn from_bytes_in(
        placement: Placement,
        bytes: Arc<Vec<u8>>,
        width: usize,
        divisor: f32,
        targets: T,
        device: &Device,
    ) -> Self {
        assert!(width > 0, "examples need one byte at least");
        assert_eq!(
            bytes.len(),
            width * targets.len(),
            "features and targets must hold the same number of examples"
        );
        let features = match placement {
            Placement::Host => Features::Bytes(ByteRows {
                bytes,
                width,
                divisor,
                device: device.clone(),
            }),
            Placement::Device => {
                Features::Packed(Box::new(PackedRows::new(&bytes, width, divisor, device)))
            }
        };
        Self { features, targets }
    }

    /// Whether the features are on the device (a tensor, or resident bytes): a batch is then
    /// taken without any upload.
    pub fn is_resident(&self) -> bool {
        !matches!(self.features, Features::Bytes(_))
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the dataset holds no example.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The targets.
    pub fn targets(&self) -> &T {
        &self.targets
    }

    /// The device the batches are on.
    pub fn device(&self) -> Device {
        match &self.features {
            Features::Tensor(inputs) => inputs.device(),
            Features::Bytes(rows) => rows.device.clone(),
            Features::Packed(rows) => rows.words.device(),
        }
    }

    /// The batches of one pass, in order (the last one may be smaller).
    pub fn batches(&self, batch_size: usize) -> impl Iterator<Item = (Tensor<2>, T)> + '_ {
        assert!(batch_size > 0, "batch size must be positive");
        (0..self.len()).step_by(batch_size).map(move |start| {
            let length = batch_size.min(self.len() - start);
            (self.rows(start, length), self.targets.narrow(start, length))
        })
    }

    /// The batches of one pass in a random order drawn from `rng` (d2l's `shuffle=True`): the
    /// order of [`shuffled_order`](Self::shuffled_order), uploaded once, each batch's indices
    /// a `narrow` of it.
    pub fn shuffled_batches<'a>(
        &'a self,
        batch_size: usize,
        rng: &mut StdRng,
    ) -> impl Iterator<Item = (Tensor<2>, T)> + 'a {
        assert!(batch_size > 0, "batch size must be positive");
        let order = self.shuffled_order(rng);
        let n = order.len();
        let permutation: Tensor<1, Int> =
            upload(TensorData::new(order.clone(), [n]), &self.device());
        // Features on the device are put in the pass's order once (one gather per pass, not one
        // per batch: each launch costs a GPU as much host time as a small kernel's work), and
        // each batch is a `narrow` of them; bytes on the host are gathered batch by batch.
        let features = match &self.features {
            Features::Tensor(inputs) => {
                Features::Tensor(inputs.clone().select(0, permutation.clone()))
            }
            Features::Bytes(rows) => Features::Bytes(rows.clone()),
            Features::Packed(rows) => Features::Packed(Box::new(PackedRows {
                words: rows.words.clone().select(0, permutation.clone()),
                ..(**rows).clone()
            })),
        };
        let targets = self.targets.select(permutation);
        (0..n).step_by(batch_size).map(move |start| {
            let length = batch_size.min(n - start);
            let inputs = match &features {
                Features::Bytes(rows) => {
                    rows.tensor(order[start..start + length].iter().map(|&i| i as usize))
                }
                resident => resident.rows(start, length),
            };
            (inputs, targets.narrow(start, length))
        })
    }

    /// The examples at `indices`, in that order, as one batch: features `[indices.len(),
    /// features]` and their targets. What a data loader that draws examples one by one (Burn's
    /// `DataLoader`) batches with; the loops of this project take [`batches`](Self::batches).
    ///
    /// # Panics
    /// When an index is not below [`len`](Self::len).
    pub fn gather(&self, indices: &[usize]) -> (Tensor<2>, T) {
        if let Some(&index) = indices.iter().find(|&&index| index >= self.len()) {
            panic!("example {index} of a dataset of {}", self.len());
        }
        let order: Vec<i64> = indices.iter().map(|&index| index as i64).collect();
        let selected: Tensor<1, Int> =
            upload(TensorData::new(order, [indices.len()]), &self.device());
        let inputs = match &self.features {
            Features::Tensor(inputs) => inputs.clone().select(0, selected.clone()),
            Features::Bytes(rows) => rows.tensor(indices.iter().copied()),
            Features::Packed(rows) => rows.unpack(rows.words.clone().select(0, selected.clone())),
        };
        (inputs, self.targets.select(selected))
    }

    /// A random permutation of the examples' indices, drawn from `rng`.
    pub fn shuffled_order(&self, rng: &mut StdRng) -> Vec<i64> {
        permutation(self.len(), rng)
    }

    /// Number of batches in one pass.
    pub fn num_batches(&self, batch_size: usize) -> usize {
        self.len().div_ceil(batch_size)
    }

    /// `length` consecutive rows from `start`.
    fn rows(&self, start: usize, length: usize) -> Tensor<2> {
        self.features.rows(start, length)
    }
}

impl Features {
    /// `length` consecutive rows from `start`, as floats on the device.
    fn rows(&self, start: usize, length: usize) -> Tensor<2> {
        match self {
            Features::Tensor(inputs) => inputs.clone().narrow(0, start, length),
            Features::Bytes(rows) => rows.tensor(start..start + length),
            Features::Packed(rows) => rows.unpack(rows.words.clone().narrow(0, start, length)),
        }
    }
}

/// Where the bytes of a dataset made from bytes are kept ([`TensorDataset::from_bytes_in`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// On the host; each batch is converted there and uploaded (the CPU backends).
    Host,
    /// On the device, packed, uploaded once; each batch is unpacked there (accelerators).
    Device,
}

/// A random permutation of `0..len`, drawn from `rng`: the order of a shuffled pass over `len`
/// examples ([`TensorDataset::shuffled_order`]).
pub fn permutation(len: usize, rng: &mut StdRng) -> Vec<i64> {
    let mut order: Vec<i64> = (0..len as i64).collect();
    order.shuffle(rng);
    order
}

/// The random generator for a seed: the same seed gives the same shuffles on every run.
pub fn seeded_rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

#[cfg(test)]
mod tests;
