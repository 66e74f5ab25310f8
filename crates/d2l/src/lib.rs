//! *Dive into Deep Learning*, chapters 3–4, in Rust on Burn.
//!
//! This facade re-exports the project's crates and adds the one thing they leave to the
//! application: the backend chosen by cargo feature ([`backend`]).
//!
//! | crate | what it holds |
//! |---|---|
//! | [`devices`] (`d2l-device`) | which device is an accelerator, the adapter a GPU device runs on, the counted uploads and reads |
//! | [`data`] (`d2l-data`) | Fashion-MNIST and Kaggle house loading, checksums, preprocessing, datasets of tensors |
//! | [`models`] (`d2l-models`) | the `Model` trait, softmax and linear regression, MLPs, dropout, initialisers, hand-written ops |
//! | [`learner`] (`d2l-learner`) | the generic training loop, updaters, metrics, run folders |
//! | [`experiments`] (`d2l-experiments`) | the book's experiments end to end, the registry of the command line, the benchmark |
//!
//! Train the concise softmax regression of d2l 3.7 for one epoch on the backend the build and
//! `D2L_BACKEND` choose:
//!
//! ```no_run
//! use d2l::experiments::{Env, Experiment, softmax::Softmax, train};
//!
//! let (backend, device) = d2l::device(None)?;
//! let mut config = Softmax::book_config();
//! config.learner.epochs = 1;
//! let summary = train::<Softmax>(&config, &Env::new(backend.name(), device))?;
//! println!("test accuracy {:.3} in {}", summary.results.test_acc, summary.run_dir.display());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Linked for its `x86-v4` feature only: AVX-512 matrix products in Burn's CPU backend (see the
// workspace Cargo.toml).
use gemm as _;

pub mod backend;
#[cfg(feature = "remote")]
pub mod remote;
#[cfg(feature = "wgpu")]
pub mod runtime;
mod spec;

pub use backend::{Backend, device};
/// Burn's runtime device, which [`device`] returns.
pub use burn::tensor::Device;
pub use d2l_data as data;
pub use d2l_device as devices;
pub use d2l_experiments as experiments;
pub use d2l_learner as learner;
pub use d2l_models as models;
pub use spec::DeviceSpec;
