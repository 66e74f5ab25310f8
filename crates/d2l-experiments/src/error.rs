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
    /// Training was interrupted (Ctrl-C) after a checkpoint: the run can be resumed.
    #[error(
        "interrupted after epoch {epoch} of {epochs}; the run resumes with \
         `cargo xtask train --resume {}`",
        run_dir.display()
    )]
    Interrupted {
        /// The run folder.
        run_dir: PathBuf,
        /// Epochs done in the training run it stopped.
        epoch: usize,
        /// Epochs planned for it.
        epochs: usize,
    },
    /// The device failed mid-run (a lost GPU, a server gone): the checkpoints written before
    /// are kept, and the run resumes from the last of them.
    #[error(
        "the device failed in epoch {epoch}: {message}; the run resumes from its last \
         checkpoint with `cargo xtask train --resume {}`",
        run_dir.display()
    )]
    DeviceFailed {
        /// The run folder.
        run_dir: PathBuf,
        /// The epoch (1-based) the device failed in.
        epoch: usize,
        /// What failed.
        message: String,
    },
    /// A trial of a sweep failed.
    #[error("trial {name:?}: {message}")]
    Trial {
        /// The trial's name.
        name: String,
        /// Why it failed.
        message: String,
    },
    /// A sweep was interrupted (Ctrl-C): its finished trials are kept, and running it again
    /// into its folder finishes the others.
    #[error(
        "the sweep was interrupted with {unfinished} of {trials} trials not finished; run the \
         same command with --dir {} to finish it",
        dir.display()
    )]
    SweepInterrupted {
        /// The sweep folder.
        dir: PathBuf,
        /// Trials not finished.
        unfinished: usize,
        /// Trials in all.
        trials: usize,
    },
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
