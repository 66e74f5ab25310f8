//! Checkpoints and resume, on a small problem: a run stopped and resumed is the run that did
//! not stop, a damaged or foreign checkpoint is an error naming its file, and Ctrl-C's flag
//! stops a fit after a checkpointed epoch.
//!
//! The device's generator and the interrupt flag are per process: the checks run one at a
//! time, in this test binary of their own.

use burn::optim::AdamConfig;
use burn::tensor::{Device, Int, Tensor, TensorData};
use d2l_learner::{
    Accuracy, EpochRecord, Learner, LearnerConfig, RunDir, Scale, TensorDataset, TrainError,
    Updater, interrupt_flag,
};
use d2l_models::{Mlp, MlpConfig, softmax_cross_entropy};
use std::path::Path;
use std::sync::atomic::Ordering;

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Two overlapping blobs: class = (x0 > x1), 200 examples.
fn blobs(device: &Device) -> TensorDataset<Tensor<1, Int>> {
    let n = 200;
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for i in 0..n {
        let (a, b) = ((i * 37 % 101) as f32 / 101.0, (i * 59 % 97) as f32 / 97.0);
        x.extend([a, b]);
        y.push(i64::from(a > b));
    }
    TensorDataset::new(
        Tensor::from_data(TensorData::new(x, [n, 2]), device),
        Tensor::from_data(TensorData::new(y, [n]), device),
    )
}

/// An MLP with dropout (it draws from the device's generator every batch), initialised from
/// seed 7, trained with Adam (it has a state).
fn fit(dir: &RunDir, epochs: usize, lr: f64) -> Result<(Mlp, Vec<EpochRecord>), TrainError> {
    let device = Device::flex();
    device.seed(7);
    let model = MlpConfig::new()
        .with_num_inputs(2)
        .with_hidden(vec![16])
        .with_dropout(vec![0.5])
        .with_num_outputs(2)
        .init(&device.clone().autodiff());
    let data = blobs(&device);
    let config = LearnerConfig::new()
        .with_epochs(epochs)
        .with_batch_size(32)
        .with_lr(lr);
    let adam = Updater::from(AdamConfig::new().init());
    Learner::new(config, &softmax_cross_entropy, &Accuracy, adam)
        .progress(false)
        .fit_into(dir, "", Scale::Linear, model, &data, Some(&data))
}

fn weights(model: &Mlp) -> Vec<f32> {
    model
        .layers
        .iter()
        .flat_map(|layer| layer.weight.val().try_to_vec_as::<f32>().unwrap())
        .collect()
}

/// Every column of `metrics.csv` but the seconds.
fn metrics(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("metrics.csv"))
        .unwrap()
        .lines()
        .map(|line| line.rsplit_once(',').unwrap().0.to_string())
        .collect()
}

#[test]
fn resumed_runs_equal_straight_ones_and_bad_checkpoints_are_named() {
    let _alone = alone();
    let root = tempfile::tempdir().unwrap();

    let straight = RunDir::create(root.path(), "straight").unwrap();
    let (model, history) = fit(&straight, 4, 0.05).unwrap();

    let split = RunDir::create(root.path(), "split").unwrap();
    fit(&split, 2, 0.05).unwrap();
    let (resumed, resumed_history) = fit(&split, 4, 0.05).unwrap();
    assert_eq!(weights(&resumed), weights(&model), "bit for bit");
    let strip = |h: &[EpochRecord]| -> Vec<_> {
        h.iter()
            .map(|r| (r.epoch, r.train_loss, r.train_metric, r.test_metric))
            .collect()
    };
    assert_eq!(strip(&resumed_history), strip(&history));
    assert_eq!(metrics(split.path()), metrics(straight.path()));
    assert_eq!(metrics(split.path()).len(), 5);
    // Only the last checkpoint is kept, and it is named.
    let checkpoints: Vec<String> = std::fs::read_dir(split.path().join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(checkpoints.len(), 2, "{checkpoints:?}");
    assert!(
        checkpoints.contains(&"epoch-4".to_string()),
        "{checkpoints:?}"
    );

    // A finished run is not trained again.
    let (again, again_history) = fit(&split, 4, 0.05).unwrap();
    assert_eq!(weights(&again), weights(&model));
    assert_eq!(again_history, resumed_history);

    // Another learning rate, or fewer epochs than done: the checkpoint's state is named.
    let err = fit(&split, 4, 0.1).unwrap_err().to_string();
    assert!(
        err.contains("epoch-4/state.json") && err.contains("lr 0.05"),
        "{err}"
    );
    let err = fit(&split, 3, 0.05).unwrap_err().to_string();
    assert!(err.contains("4 epochs are done"), "{err}");

    // A damaged model file.
    std::fs::write(
        split.path().join("checkpoints/epoch-4/model.bpk"),
        b"not a model",
    )
    .unwrap();
    let err = fit(&split, 4, 0.05).unwrap_err();
    assert!(matches!(err, TrainError::Checkpoint { .. }), "{err}");
    assert!(err.to_string().contains("epoch-4/model.bpk"), "{err}");
    // A damaged pointer.
    std::fs::write(split.path().join("checkpoints/latest.json"), b"{").unwrap();
    let err = fit(&split, 4, 0.05).unwrap_err().to_string();
    assert!(err.contains("checkpoints/latest.json"), "{err}");
}

#[test]
fn an_interrupt_stops_after_a_checkpointed_epoch_and_the_run_resumes() {
    let _alone = alone();
    let root = tempfile::tempdir().unwrap();
    let straight = RunDir::create(root.path(), "straight").unwrap();
    let (model, _) = fit(&straight, 3, 0.05).unwrap();

    let dir = RunDir::create(root.path(), "interrupted").unwrap();
    interrupt_flag().store(true, Ordering::SeqCst);
    let err = fit(&dir, 3, 0.05).unwrap_err();
    interrupt_flag().store(false, Ordering::SeqCst);
    assert!(
        matches!(
            err,
            TrainError::Interrupted {
                epoch: 1,
                epochs: 3
            }
        ),
        "{err}"
    );
    assert_eq!(metrics(dir.path()).len(), 2, "the header and epoch 1");
    assert!(!dir.path().join("model.bpk").exists());
    let (resumed, _) = fit(&dir, 3, 0.05).unwrap();
    assert_eq!(weights(&resumed), weights(&model));
}
