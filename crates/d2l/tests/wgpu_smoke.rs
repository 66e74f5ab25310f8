//! The wgpu backend on real hardware or software Vulkan (lavapipe in CI): a few SGD steps of
//! softmax regression give the same losses as on flex, and the dropout MLPs train.
#![cfg(all(feature = "wgpu", feature = "flex"))]

use burn::module::Param;
use burn::optim::SgdConfig;
use burn::tensor::{Device, Tensor, TensorData};
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
