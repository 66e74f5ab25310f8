//! Offline, checksum-verified loaders for the datasets of *Dive into Deep Learning*
//! chapters 3–4.
//!
//! Fashion-MNIST ([`FashionMnist`]) and Kaggle's house prices ([`KaggleHouse`], with d2l's
//! preprocessing as a fitted [`Preprocessor`]) are covered, and [`dataset`] turns them into
//! [`TensorDataset`]s whose batches a training loop gathers by index.
//!
//! The data ships in the repository under `datasets/` (see its `README.md` for sources,
//! licences and SHA-256 digests); nothing is downloaded. Every loader checks the digest and the
//! structure of what it reads, and its errors name the file and what is wrong.
//!
//! ```no_run
//! use d2l_data::{FashionMnist, data_dir};
//!
//! let data = FashionMnist::load(&data_dir(None))?;
//! assert_eq!(data.train.len(), 60_000);
//! println!("first label: {}", d2l_data::CLASS_NAMES[data.train.label(0) as usize]);
//! let (train, test) = data.datasets(&burn::tensor::Device::default());
//! assert_eq!((train.len(), test.len()), (60_000, 10_000));
//! # Ok::<(), d2l_data::DataError>(())
//! ```

pub mod cache;
pub mod checksum;
pub mod dataset;
mod error;
pub mod fashion_mnist;
pub mod idx;
pub mod kaggle_house;
pub mod table;

pub use cache::Cache;
pub use dataset::{Placement, Targets, TensorDataset};
pub use error::{DataError, Result};
pub use fashion_mnist::{CLASS_NAMES, FashionMnist, IMAGE_PIXELS, NUM_CLASSES, Split};
pub use kaggle_house::{KaggleHouse, PreprocessOptions, Preprocessor};
pub use table::Table;

use std::path::PathBuf;

/// The environment variable that points the loaders at another data directory.
pub const DATA_DIR_ENV: &str = "D2L_DATA_DIR";

/// The data directory: `explicit` if given, else `$D2L_DATA_DIR`, else the repository's
/// `datasets/` folder.
pub fn data_dir(explicit: Option<PathBuf>) -> PathBuf {
    explicit
        .or_else(|| std::env::var_os(DATA_DIR_ENV).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_directory_wins() {
        assert_eq!(data_dir(Some(PathBuf::from("/x"))), PathBuf::from("/x"));
    }

    #[test]
    fn the_default_directory_is_the_repositorys_datasets_folder() {
        if std::env::var_os(DATA_DIR_ENV).is_none() {
            assert!(data_dir(None).join("fashion-mnist").is_dir());
        }
    }
}
