//! *Dive into Deep Learning*, chapters 3–4, in Rust on Burn.
//!
//! This facade re-exports the project's crates and adds the two things an application needs on
//! top of them: the backend chosen by cargo feature ([`backend`]) and the experiments of the
//! book wired end to end ([`experiments`]).
//!
//! | crate | what it holds |
//! |---|---|
//! | [`data`] (`d2l-data`) | Fashion-MNIST and Kaggle house loading, checksums, preprocessing |
//! | [`models`] (`d2l-models`) | softmax and linear regression, MLPs, dropout, initialisers, hand-written ops |
//! | [`learner`] (`d2l-learner`) | the generic training loop, updaters, metrics, run folders |
//!
//! Train the concise softmax regression of d2l 3.7 for one epoch:
//!
//! ```no_run
//! use d2l::experiments::{Experiment, RunOptions, run};
//!
//! let mut options = RunOptions::new(Experiment::Softmax);
//! options.overrides.epochs = Some(1);
//! let summary = run(&options)?;
//! println!("test accuracy {:.3} in {}", summary.result("test_acc"), summary.run_dir.display());
//! # Ok::<(), d2l::experiments::Error>(())
//! ```

// Linked for its `x86-v4` feature only: AVX-512 matrix products in Burn's CPU backend (see the
// workspace Cargo.toml).
use gemm as _;

pub mod backend;
pub mod bench;
pub mod experiments;

pub use backend::{Backend, device};
pub use d2l_data as data;
pub use d2l_learner as learner;
pub use d2l_models as models;

/// The README's Rust examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
