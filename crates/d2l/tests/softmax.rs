#![cfg(feature = "flex")]
//! Softmax regression trained end to end, as `cargo xtask train` does, to the book's accuracy.
//!
//! Reference: the d2l book's softmax regression "caps out around 83%"; PyTorch on the same
//! recipe (batch 256, lr 0.1, 10 epochs, W ~ N(0, 0.01²)) reaches 0.825 on this kind of
//! machine (shared/REFERENCE.md). The acceptance bar is 0.82.

use d2l::Backend;
use d2l::experiments::{Experiment, RunOptions, Summary, run};

fn train(experiment: Experiment, backend: Backend) -> (Summary, tempfile::TempDir) {
    let runs = tempfile::tempdir().unwrap();
    let mut options = RunOptions::new(experiment);
    options.backend = Some(backend);
    options.runs_dir = runs.path().to_path_buf();
    options.progress = false;
    (run(&options).unwrap(), runs)
}

fn check_book_accuracy(experiment: Experiment, backend: Backend) {
    let (summary, _runs) = train(experiment, backend);
    assert_eq!(summary.epochs, 10);
    assert!(
        summary.test_acc >= 0.82,
        "{experiment} on {backend}: test accuracy {} < 0.82",
        summary.test_acc
    );
    assert!(summary.train_loss < 0.5, "{summary:?}");
}

#[test]
fn softmax_reaches_the_book_accuracy_on_flex() {
    check_book_accuracy(Experiment::Softmax, Backend::Flex);
}

#[test]
fn softmax_scratch_reaches_the_book_accuracy_on_flex() {
    check_book_accuracy(Experiment::SoftmaxScratch, Backend::Flex);
}

#[cfg(feature = "ndarray")]
#[test]
fn softmax_reaches_the_book_accuracy_on_ndarray() {
    check_book_accuracy(Experiment::Softmax, Backend::NdArray);
}

#[cfg(feature = "ndarray")]
#[test]
fn softmax_scratch_reaches_the_book_accuracy_on_ndarray() {
    check_book_accuracy(Experiment::SoftmaxScratch, Backend::NdArray);
}

#[test]
fn a_run_folder_holds_config_metrics_curves_weights_and_summary() {
    let runs = tempfile::tempdir().unwrap();
    let mut options = RunOptions::new(Experiment::SoftmaxScratch);
    options.backend = Some(Backend::Flex);
    options.runs_dir = runs.path().to_path_buf();
    options.progress = false;
    options.overrides.epochs = Some(2);
    options.overrides.lr = Some(0.2);
    let summary = run(&options).unwrap();
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
}

#[test]
fn a_missing_data_directory_is_an_error_naming_the_file() {
    let runs = tempfile::tempdir().unwrap();
    let mut options = RunOptions::new(Experiment::Softmax);
    options.backend = Some(Backend::Flex);
    options.runs_dir = runs.path().to_path_buf();
    options.data_dir = Some(runs.path().join("nowhere"));
    let message = run(&options).unwrap_err().to_string();
    assert!(
        message.contains("nowhere/fashion-mnist/train-images-idx3-ubyte.gz"),
        "{message}"
    );
}
