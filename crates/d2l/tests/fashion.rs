#![cfg(feature = "flex")]
//! The Fashion-MNIST classifiers trained end to end, as `cargo xtask train` does, to the
//! book's accuracy.
//!
//! References (shared/REFERENCE.md, PyTorch on the same recipes on this kind of machine):
//! softmax regression 0.825 (batch 256, lr 0.1, 10 epochs, W ~ N(0, 0.01²); the book: "caps
//! out around 83%"), MLP 784-256-10 0.849, dropout MLP 784-256-256-10 0.860 (lr 0.5). The
//! acceptance bars are 0.82, 0.845 and 0.855; runs are seeded (42), so these are the same
//! numbers every time on a given backend and CPU.

mod common;

use common::{options, run_serial};
use d2l::Backend;
use d2l::experiments::{Experiment, Summary};
use d2l::models::Init;

fn check_book_accuracy(experiment: Experiment, backend: Backend, bar: f64) -> Summary {
    let runs = tempfile::tempdir().unwrap();
    let summary = run_serial(&options(experiment, backend, &runs)).unwrap();
    assert_eq!(summary.epochs, 10);
    let test_acc = summary.result("test_acc");
    assert!(
        test_acc >= bar,
        "{experiment} on {backend}: test accuracy {test_acc} < {bar}"
    );
    assert!(summary.result("train_loss") < 0.5, "{summary:?}");
    summary
}

#[test]
fn softmax_reaches_the_book_accuracy_on_flex() {
    check_book_accuracy(Experiment::Softmax, Backend::Flex, 0.82);
}

#[test]
fn softmax_scratch_reaches_the_book_accuracy_on_flex() {
    check_book_accuracy(Experiment::SoftmaxScratch, Backend::Flex, 0.82);
}

#[test]
fn mlp_reaches_the_book_accuracy_on_flex() {
    check_book_accuracy(Experiment::Mlp, Backend::Flex, 0.845);
}

#[test]
fn mlp_scratch_reaches_the_book_accuracy_on_flex() {
    check_book_accuracy(Experiment::MlpScratch, Backend::Flex, 0.845);
}

/// At lr 0.5 the test accuracy of the dropout MLPs swings by a point or two from one epoch to
/// the next (0.80–0.86 over epochs 6–10 of one run), so the final epoch of a single run is a
/// draw: over the seeds below it spans 0.847–0.870 for `dropout-scratch`. The recipe is judged
/// by the mean over five seeds (the default 42 and 1–4), each run must be a sane one.
fn check_mean_accuracy(experiment: Experiment, bar: f64) {
    let seeds = [42, 1, 2, 3, 4];
    let accuracies: Vec<f64> = seeds
        .iter()
        .map(|&seed| {
            let runs = tempfile::tempdir().unwrap();
            let mut options = options(experiment, Backend::Flex, &runs);
            options.overrides.seed = Some(seed);
            run_serial(&options).unwrap().result("test_acc")
        })
        .collect();
    let mean = accuracies.iter().sum::<f64>() / accuracies.len() as f64;
    assert!(
        mean >= bar,
        "{experiment}: mean test accuracy {mean} < {bar} over seeds {seeds:?}: {accuracies:?}"
    );
    assert!(
        accuracies.iter().all(|&a| a > 0.83),
        "{experiment}: {accuracies:?}"
    );
}

#[test]
fn dropout_reaches_the_book_accuracy_on_flex() {
    check_mean_accuracy(Experiment::Dropout, 0.855);
}

#[test]
fn dropout_scratch_reaches_the_book_accuracy_on_flex() {
    check_mean_accuracy(Experiment::DropoutScratch, 0.855);
}

#[cfg(feature = "ndarray")]
#[test]
fn softmax_reaches_the_book_accuracy_on_ndarray() {
    check_book_accuracy(Experiment::Softmax, Backend::NdArray, 0.82);
}

#[cfg(feature = "ndarray")]
#[test]
fn softmax_scratch_reaches_the_book_accuracy_on_ndarray() {
    check_book_accuracy(Experiment::SoftmaxScratch, Backend::NdArray, 0.82);
}

/// The MLPs train on ndarray too (two epochs: the backend is checked, not the recipe).
#[cfg(feature = "ndarray")]
#[test]
fn the_mlps_train_on_ndarray() {
    for experiment in [Experiment::MlpScratch, Experiment::Dropout] {
        let runs = tempfile::tempdir().unwrap();
        let mut options = options(experiment, Backend::NdArray, &runs);
        options.overrides.epochs = Some(2);
        let acc = run_serial(&options).unwrap().result("test_acc");
        assert!(acc > 0.75, "{experiment}: {acc}");
    }
}

/// `--init xavier` reaches the model and trains as well as the book's initialisation.
#[test]
fn xavier_initialisation_is_used_and_trains() {
    let runs = tempfile::tempdir().unwrap();
    let mut options = options(Experiment::Mlp, Backend::Flex, &runs);
    options.overrides.epochs = Some(2);
    options.overrides.init = Some(Init::XavierUniform);
    let summary = run_serial(&options).unwrap();
    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(summary.run_dir.join("config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(config["model"]["init"], "XavierUniform", "{config}");
    assert!(summary.result("test_acc") > 0.8, "{summary:?}");
}

#[test]
fn a_run_folder_holds_config_metrics_curves_weights_predictions_and_summary() {
    let runs = tempfile::tempdir().unwrap();
    let mut options = options(Experiment::SoftmaxScratch, Backend::Flex, &runs);
    options.overrides.epochs = Some(2);
    options.overrides.lr = Some(0.2);
    let summary = run_serial(&options).unwrap();
    let dir = &summary.run_dir;
    assert!(dir.starts_with(runs.path()));
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    assert!(name.starts_with("softmax-scratch-"), "{name}");

    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["learner"]["epochs"], 2);
    assert_eq!(config["learner"]["lr"], 0.2);
    assert_eq!(config["learner"]["batch_size"], 256);
    assert_eq!(config["model"]["num_inputs"], 784);

    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let lines: Vec<&str> = metrics.lines().collect();
    assert_eq!(lines[0], "epoch,train_loss,train_acc,test_acc,seconds");
    assert_eq!(lines.len(), 3, "{metrics}");
    assert!(lines[2].starts_with("2,"));

    for file in ["curves.svg", "model.bpk", "summary.json"] {
        let len = std::fs::metadata(dir.join(file)).unwrap().len();
        assert!(len > 0, "{file} is empty");
    }
    // d2l's predict_ch3: the first test images titled "true / predicted"; the first two test
    // images are an ankle boot and a pullover.
    let grid = std::fs::read_to_string(dir.join("predictions.svg")).unwrap();
    assert_eq!(
        grid.matches("<text").count(),
        2 * 8,
        "8 images, two lines each"
    );
    assert!(grid.contains(">ankle boot</text>") && grid.contains(">pullover</text>"));
}

#[test]
fn a_missing_data_directory_is_an_error_naming_the_file() {
    let runs = tempfile::tempdir().unwrap();
    let mut options = options(Experiment::Softmax, Backend::Flex, &runs);
    options.data_dir = Some(runs.path().join("nowhere"));
    let message = run_serial(&options).unwrap_err().to_string();
    assert!(
        message.contains("nowhere/fashion-mnist/train-images-idx3-ubyte.gz"),
        "{message}"
    );
}
