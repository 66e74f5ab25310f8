//! Kernels launched per training step and per evaluation pass by the Fashion-MNIST
//! classifiers, and per step by the house K-fold, on a device that counts its launches
//! (`d2l::runtime::KernelLog` on wgpu).
//!
//! Every launch costs a GPU a few microseconds of the host's time and a dispatch, whatever the
//! kernel does: at batch 256 the book's networks are a millisecond of arithmetic per epoch on a
//! data-centre GPU, so their epochs are bound by launches (PyTorch's eager loop launches 27
//! kernels per MLP step, 39 with dropout: `../shared/gpu/README.md`). These counts are what the
//! kernel-count tests hold and what `d2l kernels` prints.

use burn::tensor::{Device, Int, Tensor};
use d2l_data::{FashionMnist, KaggleHouse};
use d2l_learner::{
    Accuracy, Learner, Model, RunDir, TensorDataset, TrainError, evaluate_with,
    evaluation_batch_size,
};
use d2l_models::LinearLayers;
use serde::Serialize;
use std::path::Path;

use crate::Error;
use crate::book::WithNetwork;
use crate::experiment::Run;
use crate::fashion::ClassifierConfig;
use crate::house::{HouseConfig, HouseData};

/// A classifier's kernels, counted after a warm-up (compilation and autotuning launch kernels
/// of their own, once per process).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KernelCounts {
    /// Kernels per training batch: the batch gathered from the resident split, the forward
    /// pass, the loss and the running sums, the backward pass and the update.
    pub per_batch: f64,
    /// Kernels of one evaluation pass over the test split (10,000 examples, in the Learner's
    /// evaluation batches: one on an accelerator), counted apart from the training steps.
    pub eval_pass: usize,
    /// Kernels of an epoch besides its batches and its evaluation: the permutation, the
    /// epoch's sums, their read.
    pub per_epoch_besides: f64,
    /// A whole epoch of the book's recipe (235 batches of 256 and the evaluation pass).
    pub book_epoch: f64,
}

/// Training batches of the two measured epochs (their difference gives the per-batch count).
/// Neither is under four: Burn's fusion settles on its plans for a step after the first
/// batches of a run, which can launch a few kernels fewer (or more) than the steady ones.
const BATCHES: [usize; 2] = [4, 8];

/// Counts the kernels of `config`'s network on `data` (the test split whole, the training
/// split's first batches), on `device` (without autodiff), with `launches` telling how many
/// kernels the device has launched so far.
pub fn count_kernels(
    config: &ClassifierConfig,
    data: &FashionMnist,
    device: &Device,
    launches: &dyn Fn() -> Result<usize, String>,
) -> Result<KernelCounts, Error> {
    let batch = config.learner.batch_size;
    let count = |what: &str| launched(launches, what);
    let split = |batches: usize| {
        FashionMnist {
            train: data.train.head(batches * batch),
            test: data.test.clone(),
        }
        .datasets(device)
    };
    let small = split(BATCHES[0]);
    let large = split(BATCHES[1]);
    // Warm-up: every kernel of training and evaluation compiled, every shape tuned.
    fit(config, 2, &small, None)?;
    let mut epochs = [0.0; 2];
    for (epoch, data) in epochs.iter_mut().zip([&small, &large]) {
        let start = count("before one epoch")?;
        fit(config, 1, data, None)?;
        let one = count("after one epoch")?;
        fit(config, 2, data, None)?;
        let two = count("after two epochs")?;
        *epoch = (two - one) as f64 - (one - start) as f64;
    }
    let per_batch = (epochs[1] - epochs[0]) / (BATCHES[1] - BATCHES[0]) as f64;
    // One evaluation pass of the trained network over the test split, as the Learner runs it.
    let mut before = 0;
    let mut counted = |forward: &dyn Fn(Tensor<2>) -> Tensor<2>| -> Result<(), Error> {
        before = count("before an evaluation pass")?;
        evaluate_with(
            forward,
            &small.1,
            &Accuracy,
            evaluation_batch_size(batch, device),
        )?;
        Ok(())
    };
    fit(config, 1, &small, Some(&mut counted))?;
    let eval_pass = count("after an evaluation pass")? - before;
    let per_epoch_besides = epochs[0] - BATCHES[0] as f64 * per_batch - eval_pass as f64;
    let book_batches = data.train.len().div_ceil(batch) as f64;
    Ok(KernelCounts {
        per_batch,
        eval_pass,
        per_epoch_besides,
        book_epoch: book_batches * per_batch + eval_pass as f64 + per_epoch_besides,
    })
}

/// Kernels per fold epoch of d2l 4.10's house K-fold (5 folds; Adam on `Linear(330, 1)`, batch
/// 64): a fold's 19 training batches (1,168 rows, the last batch short), its two evaluation
/// passes (its training rows, its validation fold) and the epoch's sums, or, where the folds
/// train side by side as one model (an accelerator), a fifth of that model's epoch, counted after a
/// warm-up on `device` (without autodiff) with `launches` as in [`count_kernels`], from the
/// difference between K-fold validations of 2 and 4 epochs (the checkpoints and logs written
/// as often in both) of the house data in `data_dir`, into run folders under `runs_dir`.
pub fn count_house_kernels(
    data_dir: &Path,
    device: &Device,
    runs_dir: &Path,
    launches: &dyn Fn() -> Result<usize, String>,
) -> Result<f64, Error> {
    let count = |what: &str| launched(launches, what);
    let config = HouseConfig::new();
    let prepared = HouseData::prepare(&config, &KaggleHouse::load(data_dir)?)?;
    let k_fold = |epochs: usize| -> Result<usize, Error> {
        let mut config = config.clone();
        config.learner.epochs = epochs;
        let dir = RunDir::create(runs_dir, "kernels-house")?;
        let run = Run {
            device,
            dir: &dir,
            data_dir,
            progress: false,
            wait_each_step: false,
            data_parallel: Vec::new(),
        };
        let start = count("before a K-fold")?;
        prepared.k_fold(&config, &run)?;
        Ok(count("after a K-fold")? - start)
    };
    k_fold(1)?; // warm-up: every kernel compiled, every shape tuned
    let (two, four) = (k_fold(2)?, k_fold(4)?);
    Ok((four as f64 - two as f64) / (2 * config.k) as f64)
}

/// The kernels `launches` says the device has launched so far, at the point `what` names (in
/// its error).
fn launched(launches: &dyn Fn() -> Result<usize, String>, what: &str) -> Result<usize, TrainError> {
    launches().map_err(|e| TrainError::Device(format!("counting kernels {what}: {e}")))
}

type Data = TensorDataset<Tensor<1, Int>>;

/// What to do with a trained network's forward pass in validation mode.
type AfterFit<'a> = &'a mut dyn FnMut(&dyn Fn(Tensor<2>) -> Tensor<2>) -> Result<(), Error>;

/// Trains `config`'s network for `epochs` on `(train, test)` as `d2l train` does (no run
/// folder), from the recipe's seed, then hands its validation-mode forward pass to `after`.
fn fit(
    config: &ClassifierConfig,
    epochs: usize,
    (train, test): &(Data, Data),
    after: Option<AfterFit<'_>>,
) -> Result<(), Error> {
    let ad = train.device().autodiff();
    d2l_learner::seed_run(&ad, config.learner.seed);
    let fit = Fit {
        config,
        epochs,
        data: (train, test),
        after,
    };
    config.net.build(&ad, fit)
}

/// A fit of [`fit`], for the network [`Net::build`](crate::fashion::Net::build) makes.
struct Fit<'a, 'b> {
    config: &'a ClassifierConfig,
    epochs: usize,
    data: (&'a Data, &'a Data),
    after: Option<AfterFit<'b>>,
}

impl WithNetwork for Fit<'_, '_> {
    type Output = Result<(), Error>;

    fn with<M: Model + LinearLayers + 'static>(self, model: M) -> Self::Output {
        let loss = self.config.net.loss();
        let learner = self.config.learner.clone().with_epochs(self.epochs);
        let (train, test) = self.data;
        let (model, _) = Learner::new(learner, &loss, &Accuracy, self.config.optimizer.init())
            .progress(false)
            .fit(model, train, Some(test))?;
        match self.after {
            Some(after) => {
                let valid = model.valid();
                after(&|inputs| valid.forward(inputs))
            }
            None => Ok(()),
        }
    }
}
