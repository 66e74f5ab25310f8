//! The one error type of the experiments.

use burn::tensor::TensorReadError;
use d2l_data::DataError;
use d2l_learner::TrainError;
use std::path::PathBuf;

/// Why an experiment could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An option is out of range, or needs another one (a usage error).
    #[error("{0}")]
    Option(String),
    /// A dataset could not be loaded.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Training stopped, or the run folder could not be written.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// A saved config could not be read back.
    #[error("cannot load {path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl From<TensorReadError> for Error {
    fn from(error: TensorReadError) -> Self {
        Error::Train(error.into())
    }
}
