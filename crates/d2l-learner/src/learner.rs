//! The training loop: one for every model, loss, metric and updater.

use burn::tensor::{Device, Tensor};
use d2l_data::dataset::{Targets, TensorDataset, seeded_rng};
use d2l_device::{is_accelerator, read};
use d2l_models::Model;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::checkpoint::{Checkpointer, Checkpoints};
use crate::evaluation::{evaluation_batch_size, metric_sum};
use crate::interrupt::interrupt_requested;
use crate::metrics::{BatchSums, Metric};
use crate::plot::Scale;
use crate::prefetch::prefetch;
use crate::record::{EpochRecord, LearnerConfig, Observer, TrainError};
use crate::run::{EpochLog, RunDir};
use crate::seeding::{epoch_seed, seed_as_a_fit_ends};
use crate::{Loss, Updater};

/// The loop. Build it from a config, a loss, a metric and an updater, then [`fit`](Self::fit)
/// a model.
pub struct Learner<'a, T> {
    config: LearnerConfig,
    loss: &'a dyn Loss<T>,
    metric: &'a dyn Metric<T>,
    updater: Updater,
    observers: Vec<&'a mut dyn Observer>,
    progress: bool,
    evaluate_train: bool,
    evaluate_in_training_mode: bool,
    wait_each_step: bool,
    replicas: Vec<Device>,
}

/// Whether no epoch has started on an accelerator in this process yet (its kernels are compiled
/// as they are first launched).
static FIRST_ACCELERATOR_EPOCH: AtomicBool = AtomicBool::new(true);

/// How many training batches are gathered ahead of the one being trained.
const PREFETCH: usize = 2;

/// How often a run folder's checkpoint and log (metrics file, curves) are written: after the
/// first epoch, each epoch ending at least this long after the last write, the last epoch and
/// the one an interrupt stops. A write takes milliseconds (files made, synced, renamed; curves
/// drawn), more than a house epoch: `train house` (flex, 2 cores, alternated, 3 rounds) took
/// 4.8–6.9 s writing after every epoch, 2.2–2.9 s so. A killed run resumes from the last write.
pub const SAVE_EVERY: Duration = Duration::from_secs(1);

impl<'a, T: Targets> Learner<'a, T> {
    /// A learner with progress bars on (they hide themselves when stderr is not a terminal).
    pub fn new(
        config: LearnerConfig,
        loss: &'a dyn Loss<T>,
        metric: &'a dyn Metric<T>,
        updater: Updater,
    ) -> Self {
        Self {
            config,
            loss,
            metric,
            updater,
            observers: Vec::new(),
            progress: true,
            evaluate_train: false,
            evaluate_in_training_mode: false,
            wait_each_step: false,
            replicas: Vec::new(),
        }
    }

    /// Trains data-parallel: each batch is split between the model's device and `others`
    /// (devices without autodiff: local ones, served ones), each computing its shard's
    /// gradients with a replica of the model, added up on the model's device for one update
    /// (see [`crate::parallel`]). The batch size stays the whole batch's: two devices at 256
    /// take 128 rows each and make the run one device makes at 256. Evaluation and
    /// checkpoints stay on the model's device. No other device: one-device training.
    pub fn data_parallel(mut self, others: Vec<Device>) -> Self {
        self.replicas = others;
        self
    }

    /// Measures the training metric after each epoch over the whole training set, with the
    /// model in validation mode (d2l 4.10's `log_rmse(net, train_features, train_labels)`),
    /// instead of on the fly while training (d2l 3.6's `train_acc`, the default).
    pub fn evaluate_train(mut self, on: bool) -> Self {
        self.evaluate_train = on;
        self
    }

    /// Evaluates with the model as it trains (on the autodiff device, dropout on) instead of
    /// in validation mode: the pitfall of evaluating a dropout network without PyTorch's
    /// `net.eval()`, which d2l's own code avoids. Off by default; turn it on only to show
    /// what it does to the held-out metric.
    pub fn evaluate_in_training_mode(mut self, on: bool) -> Self {
        self.evaluate_in_training_mode = on;
        self
    }

    /// Waits for the device to finish each training step before recording the next one (a
    /// [`Device::sync`](burn::tensor::Device::sync): nothing is read back). Off by default,
    /// which is right for a GPU: the host records the next steps while the device computes.
    ///
    /// Turn it on for a device that computes on the host's own cores, a software adapter
    /// (lavapipe's llvmpipe): there the thread that hands work to Burn's device thread spins
    /// on its full queue and takes a core from the kernels. Measured on lavapipe (2 cores,
    /// alternated, second epochs): dropout MLP 67–69 s an epoch without waiting, 58–59 s
    /// with; MLP 46–47 s, 38–44 s. The experiments of `d2l-experiments` turn it on for a
    /// software adapter.
    pub fn wait_each_step(mut self, on: bool) -> Self {
        self.wait_each_step = on;
        self
    }

    /// Adds an observer told about each finished epoch.
    pub fn observer(mut self, observer: &'a mut dyn Observer) -> Self {
        self.observers.push(observer);
        self
    }

    /// Turns the per-epoch progress bar on or off.
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    /// The loop's configuration.
    pub fn config(&self) -> &LearnerConfig {
        &self.config
    }

    /// Trains `model` for the configured epochs (d2l's `train_ch3`).
    ///
    /// `model` must live on an autodiff device (`device.autodiff()`) and the datasets on the
    /// same device without autodiff. After each epoch the model is evaluated on `test` in
    /// validation mode ([`Module::valid`](burn::module::Module::valid): no autodiff, dropout
    /// off; see [`evaluate_in_training_mode`](Self::evaluate_in_training_mode)). Returns the
    /// trained model and one record per epoch; stops with [`TrainError::Diverged`] at the
    /// first epoch whose loss is not finite.
    ///
    /// Randomness is a function of the seed and the epoch, so that a run can continue from any
    /// epoch as if it had not stopped: the shuffle of epoch `e` is the `e`-th drawn from the
    /// seed; the device's generator (dropout masks) goes on from the caller's seed in epoch 1
    /// (which also draws the initial parameters, Burn initialising them when first used), is
    /// seeded at the start of every later epoch `e` with [`epoch_seed`]`(seed, e)`, and with
    /// `epoch_seed(seed, epochs + 1)` when the fit ends, so that whatever follows (the next
    /// fold's initialisation) draws the same numbers whether the fit ran or was restored.
    pub fn fit<M: Model>(
        &mut self,
        model: M,
        train: &TensorDataset<T>,
        test: Option<&TensorDataset<T>>,
    ) -> Result<(M, Vec<EpochRecord>), TrainError> {
        self.run_epochs::<M, Checkpoints>(model, train, test, Vec::new(), None, None)
    }

    /// [`fit`](Self::fit) into a run folder, resumable: the epochs go to `<prefix>metrics.csv`
    /// and `<prefix>curves.svg` (the metric named as this learner's, plotted on `scale`) and
    /// to a checkpoint ([`crate::checkpoint`]), written after the first epoch, then as often
    /// as [`SAVE_EVERY`] allows, after the last epoch and when training stops (when an epoch
    /// fails, the log alone, and the epoch's error is returned even if that write fails: the
    /// checkpoint stays the last one written); the trained model, in
    /// validation mode, goes to `<prefix>model.bpk`. The empty prefix is the run's own
    /// training; `fold-1-` or `penalty-lambda-3-` name one of several.
    ///
    /// Where the folder already holds a checkpoint of `prefix` (a run resumed in its folder),
    /// `model` and the optimizer are restored from it and training continues after its epoch,
    /// exactly as if it had not stopped (a finished training run is not trained again, unless
    /// the config asks for more epochs); the metrics file is written again from its history.
    /// When [`interrupt_flag`](crate::interrupt_flag) is set, the fit stops after the current
    /// epoch's checkpoint with [`TrainError::Interrupted`].
    ///
    /// Returns the trained model in validation mode and the whole history.
    pub fn fit_into<M: Model>(
        &mut self,
        run_dir: &RunDir,
        prefix: &str,
        scale: Scale,
        model: M,
        train: &TensorDataset<T>,
        test: Option<&TensorDataset<T>>,
    ) -> Result<(M, Vec<EpochRecord>), TrainError> {
        let checkpoints = Checkpoints::new(run_dir, prefix);
        let restored = checkpoints.restore(model.clone(), self.updater.clone(), &self.config)?;
        let (model, done) = match restored {
            Some((model, updater, history)) => {
                self.updater = updater;
                (model, history)
            }
            None => (model, Vec::new()),
        };
        let mut log = run_dir.epoch_log(prefix, self.metric.name(), scale, &done)?;
        let (model, history) =
            self.run_epochs(model, train, test, done, Some(&checkpoints), Some(&mut log))?;
        let model = model.valid();
        run_dir.save_weights(model.clone(), prefix)?;
        Ok((model, history))
    }

    fn run_epochs<M: Model, C: Checkpointer>(
        &mut self,
        mut model: M,
        train: &TensorDataset<T>,
        test: Option<&TensorDataset<T>>,
        mut history: Vec<EpochRecord>,
        checkpoints: Option<&C>,
        mut run_log: Option<&mut EpochLog>,
    ) -> Result<(M, Vec<EpochRecord>), TrainError> {
        let config = self.config.clone();
        let first = history.len() + 1;
        let mut written = Instant::now();
        let device = train.device();
        let mut rng = seeded_rng(config.seed);
        // The shuffles of the epochs done, drawn again so that the next one is the same.
        for _ in 0..history.len() {
            train.shuffled_order(&mut rng);
        }
        for epoch in history.len() + 1..=config.epochs {
            // Epoch 1 draws on from where the caller seeded the device (Burn draws a
            // parameter's initial values when it is first used, in the first forward pass).
            if epoch > 1 {
                device.seed(epoch_seed(config.seed, epoch));
            }
            let start = Instant::now();
            let trained =
                self.train_epoch(model, train, epoch, &mut rng)
                    .and_then(|(trained, sums)| {
                        let record =
                            self.evaluate_epoch(&trained, train, test, sums, epoch, start)?;
                        Ok((trained, record))
                    });
            let record = match trained {
                Ok((trained, record)) => {
                    model = trained;
                    record
                }
                Err(error) => {
                    // The epochs done since the last write keep their lines in the log. The
                    // epoch's error is the one to report: a log that cannot be written too is
                    // written again from the checkpoint when the run resumes.
                    if let Some(log) = run_log.as_deref_mut() {
                        log.write_history(&history).ok();
                    }
                    return Err(error.in_epoch(epoch));
                }
            };
            history.push(record.clone());
            let stop = checkpoints.is_some() && interrupt_requested() && epoch < config.epochs;
            let due = [first, config.epochs].contains(&epoch) || stop;
            if due || written.elapsed() >= SAVE_EVERY {
                // The checkpoint first: the run's log can always be written again from it.
                if let Some(checkpoints) = checkpoints {
                    checkpoints.save(&model, &self.updater, &config, &history)?;
                }
                if let Some(log) = run_log.as_deref_mut() {
                    log.write_history(&history)?;
                }
                written = Instant::now();
            }
            for observer in &mut self.observers {
                observer.on_epoch(&record)?;
            }
            if stop {
                return Err(TrainError::Interrupted {
                    epoch,
                    epochs: config.epochs,
                });
            }
        }
        seed_as_a_fit_ends(&device, config.seed, config.epochs);
        Ok((model, history))
    }

    /// Epoch `epoch`'s training: one pass over `train` in the order drawn from `rng`, with a
    /// progress bar. Returns the trained model and the pass's sums, on the device.
    fn train_epoch<M: Model>(
        &mut self,
        model: M,
        train: &TensorDataset<T>,
        epoch: usize,
        rng: &mut StdRng,
    ) -> Result<(M, PassSums), TrainError> {
        let device = train.device();
        let batches = train.num_batches(self.config.batch_size);
        let bar = self.progress_bar(epoch, batches, is_accelerator(&device));
        let shuffled = train.shuffled_batches(self.config.batch_size, rng);
        // An accelerator takes its batches from resident data, on this thread (another
        // thread's work would flush this one's stream every batch); a CPU backend gathers
        // the next batches on a second core meanwhile.
        let (model, loss, metric) = match is_accelerator(&device) {
            true => self.train_pass(model, shuffled, &device, &bar)?,
            false => prefetch(shuffled, PREFETCH, |batches| {
                self.train_pass(model, batches, &device, &bar)
            })?,
        };
        bar.finish_and_clear();
        Ok((model, PassSums { loss, metric }))
    }

    /// Epoch `epoch`'s evaluation after its training pass (`sums`): the training metric
    /// (running, or measured now over `train`) and the held-out one on `test`, in validation
    /// mode unless asked otherwise, read in one go with the loss. Stops with
    /// [`TrainError::Diverged`], naming the first bad batch, when the loss is not finite.
    fn evaluate_epoch<M: Model>(
        &self,
        model: &M,
        train: &TensorDataset<T>,
        test: Option<&TensorDataset<T>>,
        sums: PassSums,
        epoch: usize,
        start: Instant,
    ) -> Result<EpochRecord, TrainError> {
        let config = &self.config;
        let device = train.device();
        let n = train.len();
        let eval_batch = evaluation_batch_size(config.batch_size, &device);
        let valid = model.valid();
        let training_mode = |inputs: Tensor<2>| model.forward(inputs.autodiff()).inner();
        let forward: &dyn Fn(Tensor<2>) -> Tensor<2> = match self.evaluate_in_training_mode {
            true => &training_mode,
            false => &|inputs| valid.forward(inputs),
        };
        // The epoch's sums stay on the device until one read: the training loss, the
        // training metric (running, or evaluated after the epoch), the held-out metric.
        let mut totals = vec![sums.loss.totals(&device)];
        totals.push(match &sums.metric {
            Some(running) => running.totals(&device),
            None => metric_sum(forward, train, self.metric, eval_batch),
        });
        if let Some(test) = test {
            totals.push(metric_sum(forward, test, self.metric, eval_batch));
        }
        let totals = read(Tensor::cat(totals, 0))?;
        let (loss_sum, train_sum) = (f64::from(totals[0]), f64::from(totals[1]));
        if !loss_sum.is_finite() {
            // The per-batch detail, read only now, locates the first non-finite batch.
            let rows = sums.loss.read()?;
            let at = rows.iter().position(|row| !row[0].is_finite()).unwrap_or(0);
            let size = config.batch_size.min(n - at * config.batch_size);
            return Err(TrainError::Diverged {
                epoch,
                batch: at + 1,
                batches: train.num_batches(config.batch_size),
                loss: rows.get(at).map_or(loss_sum, |row| row[0]) / size as f64,
            });
        }
        let test_metric = test.map(|test| self.metric.finish(f64::from(totals[2]), test.len()));
        Ok(EpochRecord {
            epoch,
            train_loss: loss_sum / n as f64,
            train_metric: self.metric.finish(train_sum, n),
            test_metric,
            seconds: start.elapsed().as_secs_f64(),
        })
    }

    // ANCHOR: train_pass
    /// One pass over the training batches on `device`: the trained model, the batches' loss
    /// sums and, unless the metric is measured after the epoch, their metric sums.
    fn train_pass<M: Model>(
        &mut self,
        mut model: M,
        batches: impl Iterator<Item = (Tensor<2>, T)>,
        device: &Device,
        bar: &ProgressBar,
    ) -> Result<(M, BatchSums, Option<BatchSums>), TrainError> {
        let mut loss_sums = BatchSums::new(device);
        // The running metric, unless it is measured after the epoch instead.
        let mut metric_sums = (!self.evaluate_train).then(|| BatchSums::new(device));
        let devices: Vec<Device> = std::iter::once(device.clone())
            .chain(self.replicas.iter().cloned())
            .collect();
        for (inputs, targets) in batches {
            if devices.len() > 1 {
                let metric = metric_sums.is_some().then_some(self.metric);
                let step = crate::parallel::step(
                    &mut self.updater,
                    self.loss,
                    metric,
                    model,
                    inputs,
                    targets,
                    &devices,
                    self.config.lr,
                );
                model = step.model;
                loss_sums.push([step.losses]);
                if let (Some(sums), Some(terms)) = (&mut metric_sums, step.terms) {
                    sums.push([terms]);
                }
                bar.inc(1);
                continue;
            }
            let targets = targets.autodiff();
            let output = model.forward(inputs.autodiff());
            let losses = self.loss.forward(output.clone(), targets.clone());
            // The loss's running sum before the metric's: in this order Burn's fusion merges
            // the sum with the loss's kernels on wgpu (the other way round, one launch more,
            // and the backward pass's fills launched alone).
            loss_sums.push([losses.clone()]);
            if let Some(sums) = &mut metric_sums {
                sums.push([self.metric.terms(output.detach(), targets)]);
            }
            let objective = match model.penalty() {
                Some(penalty) => losses + penalty,
                None => losses,
            };
            model = self.updater.step(model, objective, self.config.lr);
            if self.wait_each_step {
                device.sync()?;
            }
            bar.inc(1);
        }
        Ok((model, loss_sums, metric_sums))
    }
    // ANCHOR_END: train_pass

    /// The epoch's progress bar; the first epoch of a process on an accelerator says that it
    /// compiles the GPU's kernels (half a minute on a GPU, minutes on software Vulkan).
    fn progress_bar(&self, epoch: usize, batches: usize, accelerator: bool) -> ProgressBar {
        let compiling = accelerator && FIRST_ACCELERATOR_EPOCH.swap(false, Ordering::Relaxed);
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(batches as u64);
        bar.set_style(
            ProgressStyle::with_template("epoch {msg} [{bar:30}] {pos}/{len} batches {elapsed}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        let note = match compiling {
            true => " (compiling GPU kernels: first epoch only)",
            false => "",
        };
        bar.set_message(format!("{epoch}/{}{note}", self.config.epochs));
        bar
    }
}

/// A training pass's sums, left on the device: the loss per batch and, unless the metric is
/// measured after the epoch, the metric's.
struct PassSums {
    loss: BatchSums,
    metric: Option<BatchSums>,
}

#[cfg(test)]
mod tests;
