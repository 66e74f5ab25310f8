//! What the parts of the Learner share: the loop's settings, the record of an epoch, why
//! training stops, and the observer told about every epoch. Every other module of this crate
//! may use this one; it uses none of them.

use burn::config::Config;
use burn::tensor::{ExecutionError, TensorReadError};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The hyper-parameters of the loop, with the book's defaults (d2l 3.6/4.2: batch 256,
/// lr 0.1, 10 epochs).
#[derive(Config, Debug, PartialEq)]
pub struct LearnerConfig {
    /// Passes over the training data.
    #[config(default = 10)]
    pub epochs: usize,
    /// Examples per minibatch.
    #[config(default = 256)]
    pub batch_size: usize,
    /// Learning rate.
    #[config(default = 0.1)]
    pub lr: f64,
    /// Seed of the shuffles (and, set by the caller on the device, of the initialisation).
    #[config(default = 42)]
    pub seed: u64,
}

/// What one epoch measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the examples of the epoch.
    pub train_loss: f64,
    /// The metric over the training examples, measured while training (d2l's `train_acc`).
    pub train_metric: f64,
    /// The metric on the held-out split after the epoch, evaluated with the model in
    /// validation mode; `None` without a held-out split.
    pub test_metric: Option<f64>,
    /// Wall-clock seconds of the epoch (training pass and evaluation).
    pub seconds: f64,
}

/// Why training stopped early.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A batch's loss was NaN or infinite.
    #[error(
        "training diverged at epoch {epoch}, batch {batch} of {batches}: the loss is {loss}; \
         try a smaller learning rate"
    )]
    Diverged {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based batch within the epoch.
        batch: usize,
        /// Batches per epoch.
        batches: usize,
        /// The batch's mean loss.
        loss: f64,
    },
    /// The device failed to compute or return results (out of memory, a lost GPU, a server
    /// gone).
    #[error("the device failed: {0}")]
    Device(String),
    /// The device failed during an epoch; its checkpoint is the one before.
    #[error("the device failed in epoch {epoch}: {message}")]
    DeviceInEpoch {
        /// The epoch (1-based).
        epoch: usize,
        /// What failed.
        message: String,
    },
    /// An observer failed.
    #[error("{0}")]
    Observer(String),
    /// A checkpoint could not be used: damaged, or written by another configuration.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// Its file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A stop was requested ([`interrupt_flag`](crate::interrupt_flag)); the epoch's
    /// checkpoint is saved.
    #[error("interrupted after epoch {epoch} of {epochs}; its checkpoint is saved")]
    Interrupted {
        /// Epochs done.
        epoch: usize,
        /// Epochs planned.
        epochs: usize,
    },
    /// A file of the run folder could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl From<TensorReadError> for TrainError {
    fn from(error: TensorReadError) -> Self {
        TrainError::Device(error.to_string())
    }
}

impl From<ExecutionError> for TrainError {
    fn from(error: ExecutionError) -> Self {
        TrainError::Device(error.to_string())
    }
}

impl TrainError {
    /// A [`TrainError::Device`] as one of `epoch`; any other error as it is.
    pub fn in_epoch(self, epoch: usize) -> TrainError {
        match self {
            TrainError::Device(message) => TrainError::DeviceInEpoch { epoch, message },
            other => other,
        }
    }

    /// Maps an I/O error on `path` to [`TrainError::Io`].
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> TrainError {
        let path = path.into();
        move |source| TrainError::Io { path, source }
    }
}

/// Told about every finished epoch, in order.
pub trait Observer {
    /// Called after each epoch; an error stops training.
    fn on_epoch(&mut self, record: &EpochRecord) -> Result<(), TrainError>;
}
