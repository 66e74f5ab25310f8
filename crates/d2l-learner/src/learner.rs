//! The training loop: one for every model, loss, metric and updater.

use burn::tensor::{Device, Tensor};
use d2l_data::dataset::{Targets, TensorDataset, seeded_rng};
use d2l_device::{is_accelerator, read};
use d2l_models::Model;
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::checkpoint::Checkpoints;
use crate::interrupt::interrupt_requested;
use crate::metrics::{BatchSums, Metric};
use crate::plot::Scale;
use crate::prefetch::prefetch;
use crate::record::{EpochRecord, LearnerConfig, Observer, TrainError};
use crate::run::{EpochLog, RunDir};
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
}

/// The least batch size of evaluation passes on a CPU backend ([`evaluation_batch_size`]).
const EVAL_BATCH: usize = 2048;

/// The least batch size of evaluation passes on an accelerator ([`evaluation_batch_size`]).
const ACCELERATOR_EVAL_BATCH: usize = 16_384;

/// Whether no epoch has started on an accelerator in this process yet (its kernels are compiled
/// as they are first launched).
static FIRST_ACCELERATOR_EPOCH: AtomicBool = AtomicBool::new(true);

/// How many training batches are gathered ahead of the one being trained.
const PREFETCH: usize = 2;

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
        }
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
        self.run_epochs(model, train, test, Vec::new(), None)
    }

    /// [`fit`](Self::fit) into a run folder, resumable: each epoch goes to
    /// `<prefix>metrics.csv` and `<prefix>curves.svg` (the metric named as this learner's,
    /// plotted on `scale`) and to a checkpoint ([`crate::checkpoint`]); the trained model, in
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
        let mut hook = CheckpointHook {
            checkpoints: &checkpoints,
            log: &mut log,
        };
        let (model, history) = self.run_epochs(model, train, test, done, Some(&mut hook))?;
        let model = model.valid();
        run_dir.save_weights(model.clone(), prefix)?;
        Ok((model, history))
    }

    fn run_epochs<M: Model>(
        &mut self,
        mut model: M,
        train: &TensorDataset<T>,
        test: Option<&TensorDataset<T>>,
        mut history: Vec<EpochRecord>,
        mut hook: Option<&mut CheckpointHook<'_>>,
    ) -> Result<(M, Vec<EpochRecord>), TrainError> {
        let config = self.config.clone();
        let device = train.device();
        let mut rng = seeded_rng(config.seed);
        // The shuffles of the epochs done, drawn again so that the next one is the same.
        for _ in 0..history.len() {
            train.shuffled_order(&mut rng);
        }
        let batches = train.num_batches(config.batch_size);
        for epoch in history.len() + 1..=config.epochs {
            // Epoch 1 draws on from where the caller seeded the device (Burn draws a
            // parameter's initial values when it is first used, in the first forward pass).
            if epoch > 1 {
                device.seed(epoch_seed(config.seed, epoch));
            }
            let start = Instant::now();
            let bar = self.progress_bar(epoch, batches, is_accelerator(&device));
            let shuffled = train.shuffled_batches(config.batch_size, &mut rng);
            // An accelerator takes its batches from resident data, on this thread (another
            // thread's work would flush this one's stream every batch); a CPU backend gathers
            // the next batches on a second core meanwhile.
            let (trained, loss_sums, metric_sums) = match is_accelerator(&device) {
                true => self.train_pass(model, shuffled, &device, &bar)?,
                false => prefetch(shuffled, PREFETCH, |batches| {
                    self.train_pass(model, batches, &device, &bar)
                })?,
            };
            model = trained;
            bar.finish_and_clear();
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
            let mut sums = vec![loss_sums.totals(&device)];
            sums.push(match &metric_sums {
                Some(running) => running.totals(&device),
                None => metric_sum(forward, train, self.metric, eval_batch),
            });
            if let Some(test) = test {
                sums.push(metric_sum(forward, test, self.metric, eval_batch));
            }
            let sums = read(Tensor::cat(sums, 0))?;
            let (loss_sum, train_sum) = (f64::from(sums[0]), f64::from(sums[1]));
            if !loss_sum.is_finite() {
                // The per-batch detail, read only now, locates the first non-finite batch.
                let rows = loss_sums.read()?;
                let at = rows.iter().position(|row| !row[0].is_finite()).unwrap_or(0);
                let size = config.batch_size.min(n - at * config.batch_size);
                return Err(TrainError::Diverged {
                    epoch,
                    batch: at + 1,
                    batches,
                    loss: rows.get(at).map_or(loss_sum, |row| row[0]) / size as f64,
                });
            }
            let train_metric = self.metric.finish(train_sum, n);
            let test_metric = test.map(|test| self.metric.finish(f64::from(sums[2]), test.len()));
            let record = EpochRecord {
                epoch,
                train_loss: loss_sum / n as f64,
                train_metric,
                test_metric,
                seconds: start.elapsed().as_secs_f64(),
            };
            history.push(record.clone());
            if let Some(hook) = hook.as_deref_mut() {
                hook.checkpoints
                    .save(&model, &self.updater, &config, &history)?;
                hook.log.on_epoch(&record)?;
            }
            for observer in &mut self.observers {
                observer.on_epoch(&record)?;
            }
            if hook.is_some() && interrupt_requested() && epoch < config.epochs {
                return Err(TrainError::Interrupted {
                    epoch,
                    epochs: config.epochs,
                });
            }
        }
        device.seed(epoch_seed(config.seed, config.epochs + 1));
        Ok((model, history))
    }

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
        for (inputs, targets) in batches {
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

/// What [`Learner::fit_into`] does after each epoch: the checkpoint, then the metrics file.
struct CheckpointHook<'a> {
    checkpoints: &'a Checkpoints<'a>,
    log: &'a mut EpochLog,
}

/// Seeds `device`'s generator (initial parameters, which Burn draws when a model is first
/// used, and dropout masks) with `seed` at the start of a run: every seeding of a device in
/// this project is here or in [`Learner::fit`] (each later epoch with [`epoch_seed`], and the
/// end of a fit), so that a run's randomness follows from its seed alone and a resumed run is
/// the run that did not stop. Seeding `device` seeds its autodiff side too.
pub fn seed_run(device: &Device, seed: u64) {
    device.seed(seed);
}

/// The seed of the device's generator for `epoch` of a loop seeded with `seed` (SplitMix64 of
/// the two, so that neighbouring seeds and epochs give unrelated streams).
pub fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    let mut z = seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The batch size of an evaluation pass on `device` after training with batches of
/// `batch_size`: at least 2048 rows per forward pass on a CPU backend, and 16,384 on an
/// accelerator ([`is_accelerator`]), where every batch costs the same handful of kernel
/// launches whatever its size: Fashion-MNIST's test split is then one batch, not five. The
/// metric is the same (a sum over examples); fewer, larger products are faster.
pub fn evaluation_batch_size(batch_size: usize, device: &Device) -> usize {
    match is_accelerator(device) {
        true => batch_size.max(ACCELERATOR_EVAL_BATCH),
        false => batch_size.max(EVAL_BATCH),
    }
}

/// The metric of `model` over `data`, in order, in batches of `batch_size` (d2l's
/// `evaluate_accuracy`). Pass a model in validation mode (`model.valid()`) and a dataset on
/// the same device.
pub fn evaluate<M: Model, T: Targets>(
    model: &M,
    data: &TensorDataset<T>,
    metric: &dyn Metric<T>,
    batch_size: usize,
) -> Result<f64, TrainError> {
    evaluate_with(&|inputs| model.forward(inputs), data, metric, batch_size)
}

/// [`evaluate`] with any forward pass (a model chosen at run time, for example).
pub fn evaluate_with<T: Targets>(
    forward: &dyn Fn(Tensor<2>) -> Tensor<2>,
    data: &TensorDataset<T>,
    metric: &dyn Metric<T>,
    batch_size: usize,
) -> Result<f64, TrainError> {
    let total = read(metric_sum(forward, data, metric, batch_size))?;
    Ok(metric.finish(f64::from(total[0]), data.len()))
}

/// The sum of `metric`'s terms over `data`, in batches of `batch_size`, left on the device.
///
/// # Shapes
/// - result: `[1]`
fn metric_sum<T: Targets>(
    forward: &dyn Fn(Tensor<2>) -> Tensor<2>,
    data: &TensorDataset<T>,
    metric: &dyn Metric<T>,
    batch_size: usize,
) -> Tensor<1> {
    let mut sums = BatchSums::new(&data.device());
    for (inputs, targets) in data.batches(batch_size) {
        sums.push([metric.terms(forward(inputs), targets)]);
    }
    sums.totals(&data.device())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Accuracy;
    use burn::module::{Module, Param};
    use burn::optim::SgdConfig;
    use burn::tensor::activation::log_softmax;
    use burn::tensor::{Device, Int, Tensor, TensorData};

    /// A linear classifier with hand-held parameters.
    #[derive(Module, Debug)]
    struct Linear2 {
        w: Param<Tensor<2>>,
        b: Param<Tensor<1>>,
    }

    impl Model for Linear2 {
        fn forward(&self, inputs: Tensor<2>) -> Tensor<2> {
            inputs.matmul(self.w.val()) + self.b.val().unsqueeze()
        }
    }

    fn cross_entropy(output: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
        -log_softmax(output, 1)
            .gather(1, targets.unsqueeze_dim(1))
            .squeeze_dim::<1>(1)
    }

    /// Two separable blobs: class = (x0 > x1).
    fn blobs(device: &Device) -> TensorDataset<Tensor<1, Int>> {
        let n = 64;
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..n {
            let a = (i % 8) as f32 / 8.0;
            let b = (i / 8) as f32 / 8.0;
            x.extend([a, b]);
            y.push(i64::from(a > b));
        }
        TensorDataset::new(
            Tensor::from_data(TensorData::new(x, [n, 2]), device),
            Tensor::from_data(TensorData::new(y, [n]), device),
        )
    }

    fn model(device: &Device) -> Linear2 {
        Linear2 {
            w: Param::from_tensor(Tensor::zeros([2, 2], device)),
            b: Param::from_tensor(Tensor::zeros([2], device)),
        }
    }

    struct Recorder(Vec<usize>);

    impl Observer for Recorder {
        fn on_epoch(&mut self, record: &EpochRecord) -> Result<(), TrainError> {
            self.0.push(record.epoch);
            Ok(())
        }
    }

    #[test]
    fn fit_learns_a_separable_problem_and_reports_every_epoch() {
        let device = Device::flex();
        let data = blobs(&device);
        let config = LearnerConfig::new()
            .with_epochs(30)
            .with_batch_size(16)
            .with_lr(1.0);
        let mut recorder = Recorder(Vec::new());
        let (_, history) = Learner::new(config, &cross_entropy, &Accuracy, Updater::Sgd)
            .observer(&mut recorder)
            .progress(false)
            .fit(model(&device.clone().autodiff()), &data, Some(&data))
            .unwrap();
        assert_eq!(recorder.0, (1..=30).collect::<Vec<_>>());
        let last = history.last().unwrap();
        assert!(last.train_loss < history[0].train_loss);
        assert!(last.test_metric.unwrap() > 0.85, "{last:?}");
    }

    #[test]
    fn a_diverging_run_names_the_epoch_and_the_batch() {
        let device = Device::flex();
        let data = blobs(&device);
        let config = LearnerConfig::new()
            .with_epochs(20)
            .with_batch_size(16)
            .with_lr(1e38);
        let optimizer = Updater::from(SgdConfig::new().init());
        let err = Learner::new(config, &cross_entropy, &Accuracy, optimizer)
            .progress(false)
            .fit(model(&device.clone().autodiff()), &data, None)
            .unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, TrainError::Diverged { batch, batches: 4, .. } if batch >= 1),
            "{message}"
        );
        assert!(
            message.contains("epoch") && message.contains("batch"),
            "{message}"
        );
    }

    /// A model whose data loss has no gradient, with a penalty `lambda * ‖w‖² / 2`.
    #[derive(Module, Debug)]
    struct Decaying {
        w: Param<Tensor<2>>,
        lambda: f64,
    }

    impl Model for Decaying {
        fn forward(&self, inputs: Tensor<2>) -> Tensor<2> {
            inputs.matmul(self.w.val())
        }
        fn penalty(&self) -> Option<Tensor<1>> {
            Some(self.w.val().square().sum() * (self.lambda / 2.0))
        }
    }

    #[test]
    fn the_penalty_shapes_the_update_but_not_the_reported_loss() {
        let device = Device::flex();
        let data = blobs(&device);
        let ad = device.clone().autodiff();
        let model = Decaying {
            w: Param::from_tensor(Tensor::ones([2, 2], &ad)),
            lambda: 1.0,
        };
        let zero_loss =
            |output: Tensor<2>, _: Tensor<1, Int>| output.sum_dim(1).squeeze_dim::<1>(1) * 0.0;
        let config = LearnerConfig::new()
            .with_epochs(1)
            .with_batch_size(16)
            .with_lr(0.1);
        let (model, history) = Learner::new(config, &zero_loss, &Accuracy, Updater::Sgd)
            .progress(false)
            .fit(model, &data, None)
            .unwrap();
        // Four steps of w <- w - lr * lambda * w.
        let w = model.w.val().try_to_vec_as::<f32>().unwrap();
        let expected = 0.9f32.powi(4);
        assert!(w.iter().all(|v| (v - expected).abs() < 1e-6), "{w:?}");
        assert_eq!(history[0].train_loss, 0.0);
    }

    #[test]
    fn fit_into_logs_every_epoch_and_saves_the_weights_under_its_prefix() {
        let device = Device::flex();
        let data = blobs(&device);
        let root = tempfile::tempdir().unwrap();
        let run = RunDir::create(root.path(), "blobs").unwrap();
        let config = LearnerConfig::new()
            .with_epochs(3)
            .with_batch_size(16)
            .with_lr(1.0);
        let (model, history) = Learner::new(config, &cross_entropy, &Accuracy, Updater::Sgd)
            .progress(false)
            .fit_into(
                &run,
                "fold-2-",
                Scale::Linear,
                model(&device.clone().autodiff()),
                &data,
                Some(&data),
            )
            .unwrap();
        assert_eq!(history.len(), 3);
        assert!(
            !model.w.val().is_require_grad(),
            "returned in validation mode"
        );
        let csv = std::fs::read_to_string(run.path().join("fold-2-metrics.csv")).unwrap();
        assert_eq!(csv.lines().count(), 4, "{csv}");
        assert!(csv.starts_with("epoch,train_loss,train_acc,test_acc,seconds\n"));
        for file in ["fold-2-curves.svg", "fold-2-model.bpk"] {
            assert!(run.path().join(file).is_file(), "{file}");
        }
        let names: Vec<String> = std::fs::read_dir(run.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
    }

    #[test]
    fn evaluate_train_measures_the_trained_model_on_the_whole_training_set() {
        let device = Device::flex();
        let data = blobs(&device);
        let config = LearnerConfig::new()
            .with_epochs(3)
            .with_batch_size(16)
            .with_lr(1.0);
        let (model, history) = Learner::new(config, &cross_entropy, &Accuracy, Updater::Sgd)
            .progress(false)
            .evaluate_train(true)
            .fit(model(&device.clone().autodiff()), &data, Some(&data))
            .unwrap();
        let last = history.last().unwrap();
        let after = evaluate(&model.valid(), &data, &Accuracy, 64).unwrap();
        assert_eq!(last.train_metric, after);
        assert_eq!(last.test_metric, Some(after), "same split, same number");
    }
}
