//! Device facts shared by the d2l crates, in one place: which Burn device is an accelerator
//! ([`is_accelerator`], the one question that chooses between the host path and the device
//! path of the loaders, models and Learner), the uploads and read-backs between host and
//! device, counted ([`upload`], [`read`], [`counts`]), and the record of the adapter a GPU
//! device runs on ([`Adapter`]).
//!
//! It names no backend: the application picks one (the `d2l` facade, by cargo feature).
//!
//! ```
//! use burn::tensor::{Device, Tensor, TensorData};
//! use d2l_device::{counts, is_accelerator, read, upload};
//!
//! let device = Device::flex();
//! assert!(!is_accelerator(&device));
//! let before = counts();
//! let t: Tensor<1> = upload(TensorData::new(vec![1.0f32, 2.0], [2]), &device);
//! assert_eq!(read(t)?, vec![1.0, 2.0]);
//! assert!((counts() - before).reads >= 1);
//! # Ok::<(), burn::tensor::TensorReadError>(())
//! ```

mod adapter;
mod transfer;

pub use adapter::Adapter;
pub use transfer::{Transfers, counts, is_accelerator, read, treat_as_accelerator, upload};
