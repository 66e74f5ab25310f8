//! The unit tests of `learner`.

use super::*;
use crate::evaluate;
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

/// The epochs a run's checkpoints were saved after, and when.
struct Saves(std::cell::RefCell<Vec<(usize, Instant)>>);

impl Checkpointer for Saves {
    fn save<M: Model>(
        &self,
        _: &M,
        _: &Updater,
        _: &LearnerConfig,
        history: &[EpochRecord],
    ) -> Result<(), TrainError> {
        self.0.borrow_mut().push((history.len(), Instant::now()));
        Ok(())
    }

    fn restore<M: Model>(
        &self,
        _: M,
        _: Updater,
        _: &LearnerConfig,
    ) -> Result<Option<crate::checkpoint::Restored<M>>, TrainError> {
        Ok(None)
    }
}

#[test]
fn a_run_is_saved_after_its_first_and_last_epochs_and_at_most_once_a_second_between() {
    let device = Device::flex();
    let data = blobs(&device);
    let config = LearnerConfig::new()
        .with_epochs(40)
        .with_batch_size(16)
        .with_lr(1.0);
    let root = tempfile::tempdir().unwrap();
    let run = RunDir::create(root.path(), "blobs").unwrap();
    let mut log = run.epoch_log("", "acc", Scale::Linear, &[]).unwrap();
    let saves = Saves(Default::default());
    let start = Instant::now();
    Learner::new(config, &cross_entropy, &Accuracy, Updater::Sgd)
        .progress(false)
        .run_epochs(
            model(&device.clone().autodiff()),
            &data,
            Some(&data),
            Vec::new(),
            Some(&saves),
            Some(&mut log),
        )
        .unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let saves = saves.0.into_inner();
    let epochs: Vec<usize> = saves.iter().map(|(epoch, _)| *epoch).collect();
    assert_eq!((epochs[0], epochs[epochs.len() - 1]), (1, 40), "{epochs:?}");
    // Between the first and the last, a save only once SAVE_EVERY has gone by since the one
    // before; 40 epochs of 64 examples take milliseconds each, so a handful at most.
    for pair in saves[..saves.len() - 1].windows(2) {
        assert!(pair[1].1 - pair[0].1 >= SAVE_EVERY, "{epochs:?}");
    }
    assert!(
        epochs.len() <= 2 + (seconds / SAVE_EVERY.as_secs_f64()) as usize,
        "{epochs:?} in {seconds} s"
    );
    // The log was written with the last save: every epoch.
    let csv = std::fs::read_to_string(run.path().join("metrics.csv")).unwrap();
    assert_eq!(csv.lines().count(), 41, "{csv}");
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

/// When an epoch fails and its log cannot be written either, the epoch's error is the one
/// returned (it was the write's before).
#[test]
fn a_failed_epoch_is_reported_when_its_log_cannot_be_written() {
    let device = Device::flex();
    let data = blobs(&device);
    let config = LearnerConfig::new()
        .with_epochs(2)
        .with_batch_size(16)
        .with_lr(1e38);
    let root = tempfile::tempdir().unwrap();
    let run = RunDir::create(root.path(), "blobs").unwrap();
    let mut log = run.epoch_log("", "acc", Scale::Linear, &[]).unwrap();
    // A folder that is not empty where the log's file goes: renaming over it fails.
    let metrics = run.path().join("metrics.csv");
    std::fs::remove_file(&metrics).unwrap();
    std::fs::create_dir_all(metrics.join("in-the-way")).unwrap();
    assert!(
        log.write_history(&[]).is_err(),
        "the log can still be written"
    );
    let optimizer = Updater::from(SgdConfig::new().init());
    let err = Learner::new(config, &cross_entropy, &Accuracy, optimizer)
        .progress(false)
        .run_epochs::<_, Saves>(
            model(&device.clone().autodiff()),
            &data,
            None,
            Vec::new(),
            None,
            Some(&mut log),
        )
        .unwrap_err();
    assert!(
        matches!(err, TrainError::Diverged { epoch: 1, .. }),
        "{err}"
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
