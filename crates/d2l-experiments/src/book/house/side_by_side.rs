//! The K-fold on an accelerator: the folds' linear models trained side by side as one model, so
//! that a step launches its kernels once for all the folds instead of once per fold.
//!
//! A house step on a GPU is ten small kernels whose launches cost the host more than their work
//! costs the device: five folds trained one after the other launch five times what one model of
//! five folds launches. The arithmetic stays each fold's own. Fold `i`'s weights are row `i` of
//! `[folds, inputs, 1]` weights and its batch row `i` of a `[folds, batch, inputs]` batch (its
//! own rows, in the order the fold trained alone draws them); the objective is the folds' mean
//! losses added up, whose gradient with respect to fold `i`'s parameters is fold `i`'s alone;
//! Adam updates element by element. Each fold starts from the parameters it draws alone, and
//! the device's generator is left as the folds trained one by one leave it, so the final model
//! that follows starts from the same parameters too.
//!
//! Each fold's metrics, curves and weights go to the run folder as `fold-<i>-*` at the end (or
//! when training fails); no checkpoint is written: interrupted, the K-fold (seconds on a GPU)
//! runs again from its start on resuming and gives the same folds.

use burn::module::{Module, ModuleMapper, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Tensor, TensorData};
use d2l_data::dataset::{permutation, seeded_rng};
use d2l_data::{Table, TensorDataset};
use d2l_device::read;
use d2l_learner::{
    EpochRecord, Model, RunDir, Scale, TrainError, Updater, interrupt_requested, seed_as_a_fit_ends,
};
use d2l_models::LinearLayers;
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Instant;

use super::train::{Trainer, build, k_fold_rows, lasso, loss};
use crate::Error;
use crate::book::WithNetwork;

/// The folds' linear models as one: fold `i`'s weights are `w[i]`, its bias `b[i]`.
#[derive(Module, Debug)]
pub(super) struct Folds {
    /// Weights, `[folds, inputs, 1]`.
    pub(super) w: Param<Tensor<3>>,
    /// Biases, `[folds, 1, 1]`.
    pub(super) b: Param<Tensor<3>>,
    /// The weight of the lasso's L1 penalty on each fold's weights (0 for none).
    pub(super) l1: f64,
}

impl Folds {
    /// Each fold's outputs for its own batch.
    ///
    /// # Shapes
    /// - inputs: `[folds, batch, inputs]`
    /// - output: `[folds, batch, 1]`
    pub(super) fn forward(&self, inputs: Tensor<3>) -> Tensor<3> {
        inputs.matmul(self.w.val()) + self.b.val()
    }

    /// The folds' penalties added up.
    fn penalty(&self) -> Option<Tensor<1>> {
        (self.l1 != 0.0).then(|| self.w.val().abs().sum() * self.l1)
    }
}

/// Each fold's history, and the seconds of each epoch (all the folds').
pub(super) type Histories = (Vec<Vec<EpochRecord>>, Vec<f64>);

/// d2l's `k_fold` with the folds side by side: trains every fold of `table` as `trainer` says,
/// writes each fold's `fold-<i>-*` files into `run_dir`, and returns their histories.
pub(super) fn k_fold(
    trainer: &Trainer<'_>,
    table: &Table,
    run_dir: &RunDir,
) -> Result<Histories, Error> {
    let (config, device) = (trainer.config, trainer.device);
    let k = config.k;
    let folds: Vec<_> = (0..k).map(|i| k_fold_rows(table.len(), k, i)).collect();
    let all = table.all(device);
    let stacked = |rows: Vec<usize>| {
        let (x, y) = all.gather(&rows);
        let per_fold = rows.len() / k;
        (x.reshape([k, per_fold, table.width()]), y)
    };
    let splits = Splits {
        train: stacked(folds.iter().flat_map(|f| f.0.clone()).collect()),
        valid: stacked(folds.iter().flat_map(|f| f.1.clone()).collect()),
    };
    let train_rows: Vec<&[usize]> = folds.iter().map(|f| f.0.as_slice()).collect();
    let mut histories = vec![Vec::new(); k];
    let mut seconds = Vec::new();
    let trained = train(
        trainer,
        &all,
        &train_rows,
        &splits,
        &mut histories,
        &mut seconds,
    );
    // What was trained is written also when training failed, every fold's log that can be;
    // a failed epoch's error is reported before a failed write's.
    let metric = config.metric().name();
    let mut written = Ok(());
    for (i, history) in histories.iter().enumerate() {
        let prefix = format!("fold-{}-", i + 1);
        let log = run_dir.epoch_log(&prefix, metric, Scale::Log, history);
        if written.is_ok() {
            written = log.map(drop);
        }
    }
    let folds = trained?;
    written?;
    let (w, b) = (read(folds.w.val().inner()), read(folds.b.val().inner()));
    let (w, b) = (w.map_err(TrainError::from)?, b.map_err(TrainError::from)?);
    let width = table.width();
    for i in 0..k {
        let save = SaveFold {
            run_dir,
            prefix: format!("fold-{}-", i + 1),
            weight: w[i * width..(i + 1) * width].to_vec(),
            bias: b[i],
        };
        build(config, width, trainer.mean_target, device, save)?;
    }
    // The generator as the last fold trained alone leaves it, for the final model.
    seed_as_a_fit_ends(device, config.learner.seed, config.learner.epochs);
    Ok((histories, seconds))
}

/// Each fold's rows for the evaluations, fold after fold: inputs `[folds, rows, inputs]`,
/// targets `[folds * rows, 1]`.
struct Splits {
    train: (Tensor<3>, Tensor<2>),
    valid: (Tensor<3>, Tensor<2>),
}

/// The epochs: fills each fold's history and the epochs' seconds; returns the trained folds.
fn train(
    trainer: &Trainer<'_>,
    all: &TensorDataset<Tensor<2>>,
    train_rows: &[&[usize]],
    splits: &Splits,
    histories: &mut [Vec<EpochRecord>],
    seconds: &mut Vec<f64>,
) -> Result<Folds, Error> {
    let (config, device) = (trainer.config, trainer.device);
    let learner = &config.learner;
    let (k, n, width) = (train_rows.len(), train_rows[0].len(), trainer.width);
    let batch_size = learner.batch_size;
    let batches = n.div_ceil(batch_size);
    let mut folds = initial(trainer, k);
    let mut updater = config.optimizer.init();
    let loss = loss(config);
    let mut rng = seeded_rng(learner.seed);
    let bar = epochs_bar(trainer.progress, k, learner.epochs);
    for epoch in 1..=learner.epochs {
        let start = Instant::now();
        let order = permutation(n, &mut rng);
        // Batch after batch, each fold's rows of the batch in turn: every batch is a
        // `narrow` of one gather per epoch.
        let mut rows = Vec::with_capacity(k * n);
        for chunk in order.chunks(batch_size) {
            for fold in train_rows {
                rows.extend(chunk.iter().map(|&j| fold[j as usize]));
            }
        }
        let (x, y) = all.gather(&rows);
        let mut losses = Losses::default();
        for (b, size) in (0..batches).map(|b| (b, batch_size.min(n - b * batch_size))) {
            let at = b * batch_size * k;
            let inputs = x.clone().narrow(0, at, k * size).reshape([k, size, width]);
            let output = folds.forward(inputs.autodiff()).reshape([k * size, 1]);
            let batch = loss.forward(output, y.clone().narrow(0, at, k * size).autodiff());
            losses.push(batch.clone().detach().inner(), k);
            // Each fold's per-example losses and `size` times its penalty, as one fold's loop
            // adds its penalty to each example's loss.
            let total = match folds.penalty() {
                Some(penalty) => batch.sum() + penalty * size as f64,
                None => batch.sum(),
            };
            folds = update(&mut updater, folds, total, learner.lr, size);
            if trainer.wait_each_step {
                device.sync().map_err(TrainError::from)?;
            }
        }
        let records = evaluate(trainer, &folds, splits, losses, (epoch, batches, n))?;
        let elapsed = start.elapsed().as_secs_f64();
        for (history, mut record) in histories.iter_mut().zip(records) {
            record.seconds = elapsed / k as f64;
            history.push(record);
        }
        seconds.push(elapsed);
        bar.inc(1);
        bar.set_message("");
        if interrupt_requested() && epoch < learner.epochs {
            let epochs = learner.epochs;
            return Err(TrainError::Interrupted { epoch, epochs }.into());
        }
    }
    bar.finish_and_clear();
    Ok(folds)
}

/// The K-fold's progress bar, an epoch of every fold a step (hidden without `progress`).
fn epochs_bar(progress: bool, k: usize, epochs: usize) -> ProgressBar {
    if !progress {
        return ProgressBar::hidden();
    }
    let template =
        format!("{k} folds side by side, epoch {{pos}}/{{len}} [{{bar:30}}] {{elapsed}} {{msg}}");
    let bar = ProgressBar::new(epochs as u64);
    bar.set_style(
        ProgressStyle::with_template(&template)
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message("(the first epoch compiles the kernels)");
    bar
}

/// The folds' parameters as each fold draws them alone: the first from the device's generator
/// as the caller left it, each later one after the generator is seeded as a fit leaves it.
fn initial(trainer: &Trainer<'_>, k: usize) -> Folds {
    let (config, device) = (trainer.config, trainer.device);
    let ad = device.clone().autodiff();
    let (mut weights, mut biases) = (Vec::new(), Vec::new());
    for i in 0..k {
        if i > 0 {
            seed_as_a_fit_ends(device, config.learner.seed, config.learner.epochs);
        }
        let (w, b) = build(config, trainer.width, trainer.mean_target, &ad, FirstLayer);
        weights.push(w.inner());
        biases.push(b.inner().reshape([1, 1]));
    }
    Folds {
        w: Param::from_tensor(Tensor::stack::<3>(weights, 0).autodiff()),
        b: Param::from_tensor(Tensor::stack::<3>(biases, 0).autodiff()),
        l1: lasso(config),
    }
}

/// One update of every fold from `total`, the sum over the folds of each one's per-example
/// losses (and `size` times its penalty): an optimizer steps on each fold's mean (`total /
/// size`), d2l's hand-written SGD on the sum, as [`Updater::step`] does for one model.
fn update(updater: &mut Updater, folds: Folds, total: Tensor<1>, lr: f64, size: usize) -> Folds {
    let objective = match updater {
        Updater::Sgd => total,
        Updater::Optimizer(_) => total / size as f64,
    };
    let grads = GradientsParams::from_grads(objective.backward(), &folds);
    updater.apply(folds, grads, lr, size)
}

/// Epoch `epoch` of `batches` over `n` rows per fold, evaluated: each fold's training loss, its
/// metric over its training rows and over its validation rows, read in one go. Stops with
/// [`TrainError::Diverged`], naming the first bad batch, when a fold's loss is not finite.
fn evaluate(
    trainer: &Trainer<'_>,
    folds: &Folds,
    splits: &Splits,
    losses: Losses,
    (epoch, batches, n): (usize, usize, usize),
) -> Result<Vec<EpochRecord>, Error> {
    let metric = trainer.config.metric();
    let valid = folds.valid();
    let k = splits.train.0.dims()[0];
    let sums = |(x, y): &(Tensor<3>, Tensor<2>)| {
        let [_, rows, _] = x.dims();
        let output = valid.forward(x.clone()).reshape([k * rows, 1]);
        let terms = metric.terms(output, y.clone()).reshape([k, rows]);
        terms.sum_dim(1).reshape([k])
    };
    let parts = vec![losses.totals(k), sums(&splits.train), sums(&splits.valid)];
    let values = read(Tensor::cat(parts, 0)).map_err(TrainError::from)?;
    let n_valid = splits.valid.0.dims()[1];
    if let Some(fold) = values[..k].iter().position(|loss| !loss.is_finite()) {
        let (batch, loss) = losses.first_non_finite(fold, k)?;
        return Err(TrainError::Diverged {
            epoch,
            batch,
            batches,
            loss,
        }
        .into());
    }
    Ok((0..k)
        .map(|i| EpochRecord {
            epoch,
            train_loss: f64::from(values[i]) / n as f64,
            train_metric: metric.finish(f64::from(values[k + i]), n),
            test_metric: Some(metric.finish(f64::from(values[2 * k + i]), n_valid)),
            seconds: 0.0,
        })
        .collect())
}

/// An epoch's training losses on the device: a running `[folds, batch]` sum per batch size
/// (one addition per batch) and each batch's losses, read only to locate a divergence.
#[derive(Default)]
struct Losses {
    running: Vec<Tensor<2>>,
    batches: Vec<Tensor<1>>,
}

impl Losses {
    /// Records a batch's per-example losses, fold after fold (`[folds * batch]`).
    fn push(&mut self, losses: Tensor<1>, k: usize) {
        let by_fold = losses.clone().reshape([k, losses.dims()[0] / k]);
        match self.running.iter_mut().find(|t| t.dims() == by_fold.dims()) {
            Some(total) => *total = total.clone() + by_fold,
            None => self.running.push(by_fold),
        }
        self.batches.push(losses);
    }

    /// Each fold's total loss, `[folds]`.
    fn totals(&self, k: usize) -> Tensor<1> {
        let mut sums = self
            .running
            .iter()
            .map(|t| t.clone().sum_dim(1).reshape([k]));
        let first = sums.next().expect("one batch at least");
        sums.fold(first, |total, sum| total + sum)
    }

    /// The first batch (from 1) whose loss on `fold` is not finite, with that mean loss.
    fn first_non_finite(self, fold: usize, k: usize) -> Result<(usize, f64), TrainError> {
        for (b, losses) in self.batches.into_iter().enumerate() {
            let values = read(losses)?;
            let size = values.len() / k;
            let sum: f64 = values[fold * size..(fold + 1) * size]
                .iter()
                .map(|&v| f64::from(v))
                .sum();
            if !sum.is_finite() {
                return Ok((b + 1, sum / size as f64));
            }
        }
        Ok((1, f64::NAN))
    }
}

/// The first linear layer's parameters of the model [`build`] makes: weights `[inputs, 1]`,
/// bias `[1]`.
pub(super) struct FirstLayer;

impl WithNetwork for FirstLayer {
    type Output = (Tensor<2>, Tensor<1>);

    fn with<M: Model + LinearLayers + 'static>(self, model: M) -> Self::Output {
        model.linear_layers().remove(0)
    }
}

/// Saves one fold's trained parameters as the model [`build`] makes (`<prefix>model.bpk`).
struct SaveFold<'a> {
    run_dir: &'a RunDir,
    prefix: String,
    weight: Vec<f32>,
    bias: f32,
}

impl WithNetwork for SaveFold<'_> {
    type Output = Result<(), TrainError>;

    fn with<M: Model + LinearLayers + 'static>(self, model: M) -> Self::Output {
        let mut set = SetParameters {
            weight: self.weight,
            bias: self.bias,
        };
        self.run_dir
            .save_weights(model.map(&mut set), &self.prefix)?;
        Ok(())
    }
}

/// Sets a linear model's parameters: its weights (the one 2-d parameter) and its bias.
struct SetParameters {
    weight: Vec<f32>,
    bias: f32,
}

impl ModuleMapper for SetParameters {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let values = match D {
            2 => self.weight.clone(),
            _ => vec![self.bias],
        };
        let data = TensorData::new(values, param.lazy_shape());
        let value = Tensor::from_data(data, &param.lazy_device());
        Param::initialized(param.id, value)
    }
}
