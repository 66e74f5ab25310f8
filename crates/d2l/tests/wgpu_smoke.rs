//! The wgpu backend on real hardware or software Vulkan (lavapipe in CI): the cross-entropy
//! computed with its gradient gives flex's values and gradients, a few SGD steps of softmax
//! regression give the same losses as on flex, the dropout MLPs train, and the house K-fold's
//! folds, side by side there, score as flex's one by one.
#![cfg(all(feature = "wgpu", feature = "flex"))]

mod common;

use burn::module::Param;
use burn::optim::SgdConfig;
use burn::tensor::{Device, Int, Tensor, TensorData};
use d2l::Backend;
use d2l::data::FashionMnist;
use d2l::learner::{Model, Updater};
use d2l::models::{SoftmaxConfig, softmax_cross_entropy};

/// The per-step mean losses of `steps` SGD steps over the first batches, in order, starting from
/// weights `w0` (row-major `[784, 10]`) and a zero bias.
fn losses(device: &Device, data: &FashionMnist, w0: &[f32], steps: usize) -> Vec<f32> {
    // Only the batches used, to keep the test short on software Vulkan.
    let subset = FashionMnist {
        train: data.train.head(256 * steps),
        test: data.test.head(256),
    };
    let (train, _) = subset.datasets(device);
    let ad = device.clone().autodiff();
    let mut model = SoftmaxConfig::new().init(&ad);
    model.linear.weight = Param::from_tensor(Tensor::from_data(
        TensorData::new(w0.to_vec(), [784, 10]),
        &ad,
    ));
    model.linear.bias = Some(Param::from_tensor(Tensor::zeros([10], &ad)));
    let mut updater = Updater::from(SgdConfig::new().init());
    let mut out = Vec::new();
    for (x, y) in train.batches(256).take(steps) {
        let l = softmax_cross_entropy(model.forward(x.autodiff()), y.autodiff());
        out.push(l.clone().mean().into_scalar::<f32>());
        model = updater.step(model, l, 0.1);
    }
    out
}

/// The per-example losses of `softmax_cross_entropy` on `logits` (`[rows, 10]`, row-major)
/// and their sum's gradient with respect to the logits, on `device` while training.
fn loss_and_gradient(device: &Device, logits: &[f32], targets: &[i64]) -> (Vec<f32>, Vec<f32>) {
    let ad = device.clone().autodiff();
    let rows = targets.len();
    let z =
        Tensor::<2>::from_data(TensorData::new(logits.to_vec(), [rows, 10]), &ad).require_grad();
    let t = Tensor::<1, Int>::from_data(TensorData::new(targets.to_vec(), [rows]), &ad);
    let losses = softmax_cross_entropy(z.clone(), t);
    let grads = losses.clone().sum().backward();
    let values = losses.try_to_vec_as::<f32>().unwrap();
    (
        values,
        z.grad(&grads).unwrap().try_to_vec_as::<f32>().unwrap(),
    )
}

/// On an accelerator the loss is computed with its gradient (one-hot rows built in float
/// arithmetic, the gradient handed to autodiff as a constant): the values and gradients are the
/// plain `-log_softmax(z)[t]` path's of flex, for scores far apart (a row with a score of 40
/// above the rest, one with all scores equal) and every class as a target.
#[test]
fn the_cross_entropy_on_wgpu_gives_flexs_values_and_gradients() {
    let rows = 30;
    let mut logits: Vec<f32> = (0..rows * 10)
        .map(|i| ((i * 53 % 97) as f32 - 48.0) / 12.0)
        .collect();
    logits[..10].copy_from_slice(&[40.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    logits[10..20].fill(1.5);
    let targets: Vec<i64> = (0..rows as i64).map(|i| (i * 7) % 10).collect();
    let (flex_values, flex_grad) =
        loss_and_gradient(&Backend::Flex.device().unwrap(), &logits, &targets);
    let (wgpu_values, wgpu_grad) =
        loss_and_gradient(&Backend::Wgpu.device().unwrap(), &logits, &targets);
    // The first row's target (0) has the top score by 40: a loss of about e^-40, zero in f32.
    assert!(flex_values[0].abs() < 1e-6, "{flex_values:?}");
    // Equal scores: ln 10 whatever the target.
    assert!(
        (flex_values[1] - 10f32.ln()).abs() < 1e-5,
        "{flex_values:?}"
    );
    for (i, (a, b)) in flex_values.iter().zip(&wgpu_values).enumerate() {
        assert!(
            (a - b).abs() <= 1e-5 * a.abs().max(1.0),
            "loss {i}: flex {a}, wgpu {b}"
        );
    }
    for (i, (a, b)) in flex_grad.iter().zip(&wgpu_grad).enumerate() {
        assert!((a - b).abs() <= 1e-6, "gradient {i}: flex {a}, wgpu {b}");
    }
}

#[test]
fn a_few_steps_on_wgpu_match_flex() {
    let data = FashionMnist::load(&d2l::data::data_dir(None)).unwrap();
    // Deterministic weights shared by both devices: a small fixed pattern around zero.
    let w0: Vec<f32> = (0..7840)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) * 2e-4)
        .collect();
    let flex = losses(&Backend::Flex.device().unwrap(), &data, &w0, 5);
    let wgpu = losses(&Backend::Wgpu.device().unwrap(), &data, &w0, 5);
    assert!(flex[4] < flex[0], "training lowers the loss: {flex:?}");
    for (step, (a, b)) in flex.iter().zip(&wgpu).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * a.abs().max(1.0),
            "step {step}: flex {a} vs wgpu {b}"
        );
    }
}

/// The dropout MLPs (scratch and concise) train through the Learner on wgpu, and evaluation
/// there runs with dropout off: two evaluations of the trained model agree exactly.
#[test]
fn the_dropout_mlps_train_on_wgpu_and_evaluate_deterministically() {
    use d2l::learner::{Accuracy, Learner, LearnerConfig, evaluate};
    use d2l::models::MlpConfig;

    let data = FashionMnist::load(&d2l::data::data_dir(None)).unwrap();
    let subset = FashionMnist {
        train: data.train.head(1024),
        test: data.test.head(512),
    };
    let device = Backend::Wgpu.device().unwrap();
    let (train, test) = subset.datasets(&device);
    let ad = device.clone().autodiff();
    let config = LearnerConfig::new().with_epochs(2).with_lr(0.5);
    let learner = |updater| {
        Learner::new(config.clone(), &softmax_cross_entropy, &Accuracy, updater).progress(false)
    };
    let mlp = MlpConfig::dropout_book();
    let (scratch, history) = learner(Updater::Sgd)
        .fit(mlp.init_scratch(&ad), &train, Some(&test))
        .unwrap();
    assert!(
        history[1].train_loss.is_finite() && history[1].train_loss < 2.3,
        "{history:?}"
    );
    let valid = burn::module::Module::valid(&scratch);
    let a = evaluate(&valid, &test, &Accuracy, 256).unwrap();
    let b = evaluate(&valid, &test, &Accuracy, 256).unwrap();
    assert_eq!(a, b);
    let (_, history) = learner(Updater::from(SgdConfig::new().init()))
        .fit(mlp.init(&ad), &train, Some(&test))
        .unwrap();
    // Below ln(10) ≈ 2.303, the loss of a uniform guess over the ten classes.
    assert!(
        history[1].train_loss.is_finite() && history[1].train_loss < 2.3,
        "{history:?}"
    );
}

/// The house K-fold on wgpu trains its folds side by side, as one model (a fifth of the kernel
/// launches), without checkpoints; flex trains them one by one through the Learner. After 2
/// epochs each fold's log-RMSEs agree (measured: the same to the last digit on lavapipe).
#[test]
fn the_house_folds_side_by_side_on_wgpu_score_as_one_by_one_on_flex() {
    use d2l::experiments::Summary;
    use d2l::experiments::house::{House, HouseResults};

    let runs = tempfile::tempdir().unwrap();
    let mut config = common::config::<House>(|_| {});
    config.learner.epochs = 2;
    let run = |backend| common::train_serial::<House>(&config, &common::env(backend, &runs));
    let (flex, wgpu) = (run(Backend::Flex).unwrap(), run(Backend::Wgpu).unwrap());
    let folds = |summary: &Summary<HouseResults>| summary.results.k_fold.folds.clone();
    let (flex_folds, wgpu_folds) = (folds(&flex), folds(&wgpu));
    assert_eq!(wgpu_folds.len(), 5);
    for (a, b) in flex_folds.iter().zip(&wgpu_folds) {
        for (a, b) in [(a.train, b.train), (a.valid, b.valid)] {
            assert!(
                (a - b).abs() <= 1e-4 * a,
                "flex {flex_folds:?}, wgpu {wgpu_folds:?}"
            );
        }
    }
    let fold_checkpoint =
        |run_dir: &std::path::Path| run_dir.join("checkpoints/fold-1-latest.json").is_file();
    assert!(
        fold_checkpoint(&flex.run_dir),
        "one by one: a checkpoint per fold"
    );
    assert!(!fold_checkpoint(&wgpu.run_dir), "side by side: none");
    assert!(wgpu.run_dir.join("fold-5-model.bpk").is_file());
}
