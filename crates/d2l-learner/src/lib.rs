//! A generic Learner for the models of *Dive into Deep Learning* chapters 3–4.
//!
//! One loop ([`Learner::fit`], d2l's `train_ch3`) trains any [`Model`] with any [`Loss`] and
//! [`Metric`], updating parameters either by hand ([`Updater::Sgd`], d2l's `sgd`) or with a Burn
//! optimizer ([`Updater::Optimizer`]). Data are `d2l-data`'s [`TensorDataset`]s: a split kept
//! as tensors on the device (or its pixels as bytes, on the host for a CPU backend, resident on
//! an accelerator), batched by gather; on a CPU backend the next batches are gathered on a
//! second thread while one trains, on an accelerator they are taken on the device. An epoch's
//! sums stay on the device until one read at its end.
//! Each epoch is evaluated in validation mode; [`Learner::fit_into`] writes it to a [`RunDir`]
//! as metrics, curves and a [`checkpoint`] from which an interrupted run resumes exactly
//! (Ctrl-C through [`interrupt_flag`]), then saves the weights. A non-finite loss stops
//! training with an error naming epoch and batch.
//!
//! ```
//! use burn::module::{Module, Param};
//! use burn::tensor::{Device, Int, Tensor, TensorData, activation::log_softmax};
//! use d2l_learner::{Accuracy, Learner, LearnerConfig, Model, TensorDataset, Updater};
//!
//! #[derive(Module, Debug)]
//! struct Net {
//!     w: Param<Tensor<2>>,
//! }
//!
//! impl Model for Net {
//!     fn forward(&self, x: Tensor<2>) -> Tensor<2> {
//!         x.matmul(self.w.val())
//!     }
//! }
//!
//! fn cross_entropy(output: Tensor<2>, y: Tensor<1, Int>) -> Tensor<1> {
//!     -log_softmax(output, 1).gather(1, y.unsqueeze_dim(1)).squeeze_dim::<1>(1)
//! }
//!
//! let device = Device::default();
//! // Class 1 where the first feature is larger than the second.
//! let x = Tensor::<2>::from_data([[1.0, 0.0], [0.0, 1.0], [0.9, 0.2], [0.1, 0.8]], &device);
//! let y = Tensor::<1, Int>::from_data(TensorData::new(vec![1i64, 0, 1, 0], [4]), &device);
//! let data = TensorDataset::new(x, y);
//!
//! let net = Net { w: Param::from_tensor(Tensor::zeros([2, 2], &device.clone().autodiff())) };
//! let config = LearnerConfig::new().with_epochs(20).with_batch_size(2).with_lr(0.5);
//! let (_net, history) = Learner::new(config, &cross_entropy, &Accuracy, Updater::Sgd)
//!     .progress(false)
//!     .fit(net, &data, Some(&data))?;
//! assert_eq!(history.last().unwrap().test_metric, Some(1.0));
//! # Ok::<(), d2l_learner::TrainError>(())
//! ```

#[cfg(feature = "burn-train")]
pub mod burn_train;
pub mod checkpoint;
pub mod evaluation;
mod interrupt;
pub mod learner;
pub mod loss;
pub mod metrics;
pub mod parallel;
pub mod plot;
pub mod prefetch;
pub mod record;
pub mod run;
pub mod seeding;
pub mod updater;

pub use checkpoint::{CheckpointState, Checkpointer, Checkpoints};
pub use d2l_data::{Targets, TensorDataset};
pub use d2l_models::Model;
pub use evaluation::{evaluate, evaluate_with, evaluation_batch_size};
pub use interrupt::{interrupt_flag, interrupt_requested};
pub use learner::Learner;
pub use loss::Loss;
pub use metrics::{Accuracy, LogRmse, LogTargetRmse, MeanLoss, Metric};
pub use plot::{Curve, Scale, plot_lines};
pub use record::{EpochRecord, LearnerConfig, Observer, TrainError};
pub use run::{EpochLog, RunDir};
pub use seeding::{epoch_seed, seed_as_a_fit_ends, seed_run};
pub use updater::{Updater, UpdaterConfig};
