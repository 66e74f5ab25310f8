//! A run's life as a user lives it, through the binary: train, interrupt (Ctrl-C, or a kill),
//! resume, evaluate, predict, list and compare.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

use common::{d2l, run};

fn json(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

/// Trains with `args` after `d2l train` into `runs`; the summary.
fn train(runs: &Path, args: &[&str]) -> serde_json::Value {
    json(&run(d2l(&["train", "--quiet", "--runs-dir"])
        .arg(runs)
        .args(args)))
}

fn run_dir(summary: &serde_json::Value) -> PathBuf {
    PathBuf::from(summary["run_dir"].as_str().unwrap())
}

/// `<prefix>metrics.csv` without its seconds column.
fn metrics(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_to_string(dir.join(format!("{prefix}metrics.csv")))
        .unwrap()
        .lines()
        .map(|line| line.rsplit_once(',').unwrap().0.to_string())
        .collect()
}

/// The bytes of the tensors of a burnpack file: every parameter, without the ids.
fn weights(path: &Path) -> Vec<f32> {
    use burn::module::Module;
    use d2l::models::SoftmaxConfig;
    let device = burn::tensor::Device::flex();
    let model = SoftmaxConfig::new().init(&device).load_file(path);
    let mut values = model.linear.weight.val().try_to_vec_as::<f32>().unwrap();
    values.extend(
        model
            .linear
            .bias
            .unwrap()
            .val()
            .try_to_vec_as::<f32>()
            .unwrap(),
    );
    values
}

/// Waits until the run under `runs` has a checkpoint of at least `epoch`; its folder.
fn wait_for_checkpoint(runs: &Path, epoch: u64) -> PathBuf {
    for _ in 0..600 {
        if let Some(dir) = std::fs::read_dir(runs).ok().and_then(|mut e| e.next()) {
            let dir = dir.unwrap().path();
            let latest = std::fs::read_to_string(dir.join("checkpoints/latest.json"));
            let done = latest
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v["epoch"].as_u64());
            if done.is_some_and(|done| done >= epoch) {
                return dir;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no checkpoint of epoch {epoch} under {}", runs.display());
}

/// Four epochs straight, and two then a resume to four, give the same metrics and weights; a
/// larger `--epochs` extends a finished run; only `--epochs` may change.
#[test]
fn a_resumed_run_is_the_run_that_did_not_stop() {
    let runs = tempfile::tempdir().unwrap();
    for experiment in ["softmax", "dropout-scratch"] {
        let straight = train(runs.path(), &[experiment, "--epochs", "4"]);
        let split = train(runs.path(), &[experiment, "--epochs", "2"]);
        let dir = run_dir(&split);
        let resumed = json(&run(d2l(&["train", "--quiet", "--resume"])
            .arg(&dir)
            .args(["--epochs", "4"])));
        assert_eq!(run_dir(&resumed), dir);
        assert_eq!(resumed["epochs"], 4);
        assert_eq!(metrics(&dir, ""), metrics(&run_dir(&straight), ""));
        assert_eq!(resumed["test_acc"], straight["test_acc"], "{experiment}");
        assert_eq!(
            resumed["train_loss"], straight["train_loss"],
            "{experiment}"
        );
        if experiment == "softmax" {
            assert_eq!(
                weights(&dir.join("model.bpk")),
                weights(&run_dir(&straight).join("model.bpk"))
            );
        }
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap())
                .unwrap();
        assert_eq!(config["learner"]["epochs"], 4);
        assert_eq!(config["resumed"].as_array().unwrap().len(), 1, "{config}");
    }
    let softmax = train(runs.path(), &["softmax", "--epochs", "1"]);
    let output = d2l(&["train", "--resume"])
        .arg(run_dir(&softmax))
        .args(["--lr", "0.3"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("only --epochs may change, not --lr"),
        "{stderr}"
    );
    let output = d2l(&["train", "mlp", "--resume"])
        .arg(run_dir(&softmax))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is a run of softmax, not of mlp"));
}

/// A run killed mid-epoch resumes from its last checkpoint to the straight run's end; a
/// damaged checkpoint is then an error naming its file.
#[test]
fn a_killed_run_resumes_and_a_damaged_checkpoint_is_named() {
    let straight_runs = tempfile::tempdir().unwrap();
    let straight = train(straight_runs.path(), &["mlp", "--epochs", "3"]);
    let runs = tempfile::tempdir().unwrap();
    let mut child = d2l(&["train", "mlp", "--epochs", "3", "--quiet", "--runs-dir"])
        .arg(runs.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let dir = wait_for_checkpoint(runs.path(), 1);
    child.kill().unwrap(); // SIGKILL: no chance to save anything more
    child.wait().unwrap();
    assert!(!dir.join("summary.json").exists());
    let table =
        String::from_utf8(run(d2l(&["runs", "--runs-dir"]).arg(runs.path())).stdout).unwrap();
    assert!(
        table.contains("interrupted") && table.contains("/3"),
        "{table}"
    );

    let resumed = json(&run(d2l(&["train", "--quiet", "--resume"]).arg(&dir)));
    assert_eq!(metrics(&dir, ""), metrics(&run_dir(&straight), ""));
    assert_eq!(resumed["test_acc"], straight["test_acc"]);

    std::fs::write(dir.join("checkpoints/epoch-3/model.bpk"), b"damaged").unwrap();
    let output = d2l(&["train", "--quiet", "--resume"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("checkpoints/epoch-3/model.bpk"), "{stderr}");
}

/// Ctrl-C finishes the epoch, saves its checkpoint and says how to resume.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_after_a_checkpointed_epoch() {
    let runs = tempfile::tempdir().unwrap();
    let child = d2l(&["train", "mlp", "--epochs", "50", "--runs-dir"])
        .arg(runs.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let dir = wait_for_checkpoint(runs.path(), 1);
    run(Command::new("kill").args(["-INT", &child.id().to_string()]));
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopping after this epoch"), "{stderr}");
    assert!(
        stderr.contains("--resume") && stderr.contains("interrupted after epoch"),
        "{stderr}"
    );
    let done = metrics(&dir, "").len() - 1;
    assert!((1..50).contains(&done), "{done} epochs");
    assert!(
        dir.join(format!("checkpoints/epoch-{done}/model.bpk"))
            .is_file()
    );
}

/// The house K-fold resumes fold by fold: a finished fold is not trained again.
#[test]
fn the_house_k_fold_resumes_at_fold_granularity() {
    let runs = tempfile::tempdir().unwrap();
    let args = ["house", "--k", "3", "--epochs", "4"];
    let straight = train(runs.path(), &args);
    let split = train(runs.path(), &args);
    let dir = run_dir(&split);
    // As if killed during fold 3: its checkpoint, the final model's and the summary are gone.
    let checkpoints = dir.join("checkpoints");
    for name in ["fold-3-latest.json", "latest.json"] {
        std::fs::remove_file(checkpoints.join(name)).unwrap();
    }
    std::fs::remove_file(dir.join("summary.json")).unwrap();
    let fold_1 = std::fs::read_to_string(dir.join("fold-1-metrics.csv")).unwrap();
    let resumed = json(&run(d2l(&["train", "--quiet", "--resume"]).arg(&dir)));
    // Fold 1 was restored, seconds and all, not trained again.
    assert_eq!(
        std::fs::read_to_string(dir.join("fold-1-metrics.csv")).unwrap(),
        fold_1
    );
    for key in ["valid_log_rmse", "train_log_rmse", "final_train_log_rmse"] {
        assert_eq!(resumed[key], straight[key], "{key}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("submission.csv")).unwrap(),
        std::fs::read_to_string(run_dir(&straight).join("submission.csv")).unwrap()
    );
}

/// `evaluate` gives the run's own figure exactly on its backend, and within tolerance on the
/// others; `predict` classifies the test images as the run does, and a PNG.
#[test]
fn evaluate_and_predict_a_fashion_mnist_run() {
    let runs = tempfile::tempdir().unwrap();
    let summary = train(runs.path(), &["softmax", "--epochs", "1"]);
    let dir = run_dir(&summary);
    let evaluated = json(&run(d2l(&["evaluate"]).arg(&dir)));
    assert_eq!(evaluated["test_acc"], summary["test_acc"], "{evaluated}");
    let test_acc = summary["test_acc"].as_f64().unwrap();
    for backend in ["ndarray", "wgpu"] {
        let other = json(&run(d2l(&["evaluate", "--backend", backend]).arg(&dir)));
        let acc = other["test_acc"].as_f64().unwrap();
        // The logits round differently; a handful of the 10 000 images may change class.
        assert!(
            (acc - test_acc).abs() <= 5e-4,
            "{backend}: {acc} vs {test_acc}"
        );
        assert_eq!(other["backend"], backend);
    }

    let images = d2l::data::data_dir(None).join("fashion-mnist/t10k-images-idx3-ubyte.gz");
    let out = runs.path().join("test-predictions.csv");
    let predicted = json(&run(d2l(&["predict"])
        .arg(&dir)
        .arg("--input")
        .arg(&images)
        .arg("--out")
        .arg(&out)));
    assert_eq!(predicted["rows"], 10_000);
    let csv = std::fs::read_to_string(&out).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("index,class,label,probability"));
    let labels = d2l::data::FashionMnist::load(&d2l::data::data_dir(None))
        .unwrap()
        .test;
    let hits = lines
        .enumerate()
        .filter(|(i, line)| {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells[0], i.to_string());
            let p: f64 = cells[3].parse().unwrap();
            assert!((0.1..=1.0).contains(&p), "{line}");
            cells[1].parse::<u8>().unwrap() == labels.label(*i)
        })
        .count();
    // The same predictions as the evaluation: the accuracy of the CSV is the run's.
    assert!((hits as f64 / 10_000.0 - test_acc).abs() < 1e-12, "{hits}");
    let grid = std::fs::read_to_string(out.with_extension("svg")).unwrap();
    assert_eq!(grid.matches("<text").count(), 16);
}

/// `predict` on the bundled `test.csv` reproduces the run's submission; a bad row is named.
#[test]
fn predict_prices_houses_as_the_submission_did() {
    let runs = tempfile::tempdir().unwrap();
    let summary = train(runs.path(), &["house", "--k", "2", "--epochs", "5"]);
    let dir = run_dir(&summary);
    let evaluated = json(&run(d2l(&["evaluate"]).arg(&dir)));
    assert_eq!(
        evaluated["final_train_log_rmse"],
        summary["final_train_log_rmse"]
    );

    let test = d2l::data::data_dir(None).join("kaggle-house/test.csv");
    let predicted = json(&run(d2l(&["predict"]).arg(&dir).arg("--input").arg(&test)));
    assert_eq!(predicted["rows"], 1459);
    let out = PathBuf::from(predicted["out"].as_str().unwrap());
    assert_eq!(out, dir.join("predictions-test.csv"));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        std::fs::read_to_string(dir.join("submission.csv")).unwrap()
    );

    let text = std::fs::read_to_string(&test).unwrap();
    let mut lines: Vec<String> = text.lines().take(3).map(String::from).collect();
    let mut cells: Vec<String> = lines[2].split(',').map(String::from).collect();
    cells[3] = "far".to_string(); // LotFrontage
    lines[2] = cells.join(",");
    let bad = runs.path().join("bad.csv");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let output = d2l(&["predict"])
        .arg(&dir)
        .arg("--input")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.csv") && stderr.contains("line 3") && stderr.contains("LotFrontage"),
        "{stderr}"
    );
}

/// `runs` lists every run with its state; `compare` tells what differs and plots the curves.
#[test]
fn runs_are_listed_and_compared() {
    let runs = tempfile::tempdir().unwrap();
    let a = train(runs.path(), &["softmax", "--epochs", "2"]);
    let b = train(runs.path(), &["softmax", "--epochs", "2", "--lr", "0.3"]);
    let c = train(runs.path(), &["weight-decay", "--epochs", "2"]);
    let table =
        String::from_utf8(run(d2l(&["runs", "--runs-dir"]).arg(runs.path())).stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 5, "{table}");
    assert!(
        lines[0].starts_with("run") && lines[0].contains("headline"),
        "{table}"
    );
    let first = a["run_dir"].as_str().unwrap().rsplit('/').next().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(first) && l.contains("2/2") && l.contains("test_acc 0."))
    );
    assert!(
        table.contains("weight-decay") && table.contains("complete"),
        "{table}"
    );

    let plot = runs.path().join("compare.svg");
    let output = run(d2l(&["compare"])
        .arg(run_dir(&a))
        .arg(run_dir(&b))
        .arg("--out")
        .arg(&plot));
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(
        table.contains("learner.lr") && table.contains("0.3"),
        "{table}"
    );
    assert!(table.contains("test_acc"), "{table}");
    assert!(
        !table.contains("learner.batch_size"),
        "only what differs: {table}"
    );
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(
        svg.contains("learner.lr=0.1") && svg.contains("learner.lr=0.3"),
        "{svg}"
    );
    let mixed = run(d2l(&["compare"])
        .arg(run_dir(&a))
        .arg(run_dir(&c))
        .arg("--out")
        .arg(&plot));
    assert!(String::from_utf8_lossy(&mixed.stdout).contains("experiment"));
    let output = d2l(&["compare"]).arg(run_dir(&a)).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// `export` writes the mlp as d2l's PyTorch network holds it: `1.weight` `[256, 784]`, `1.bias`,
/// `3.weight` `[10, 256]`, `3.bias`. Read back by the SafeTensors crate and put into a Burn MLP
/// again (each weight transposed back), it classifies the test split as `evaluate` does.
#[test]
fn export_writes_the_weights_under_pytorchs_names() {
    use burn::module::Param;
    use burn::nn::Linear;
    use burn::tensor::{Device, Tensor, TensorData};
    use safetensors::SafeTensors;

    let runs = tempfile::tempdir().unwrap();
    let summary = train(runs.path(), &["mlp", "--epochs", "1"]);
    let dir = run_dir(&summary);
    let exported = json(&run(d2l(&["export"]).arg(&dir)));
    let out = dir.join("model.safetensors");
    assert_eq!(exported["out"], out.to_str().unwrap(), "{exported}");
    assert_eq!(
        exported["network"],
        "nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))"
    );
    assert_eq!(exported["parameters"], 784 * 256 + 256 + 256 * 10 + 10);

    let buffer = std::fs::read(&out).unwrap();
    let file = SafeTensors::deserialize(&buffer).unwrap();
    let mut names = file.names();
    names.sort();
    assert_eq!(names, ["1.bias", "1.weight", "3.bias", "3.weight"]);
    let device = Device::flex();
    let tensor = |name: &str| {
        let view = file.tensor(name).unwrap();
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        (view.shape().to_vec(), values)
    };
    let layer = |index: usize| {
        let (shape, weight) = tensor(&format!("{index}.weight"));
        let (bias_shape, bias) = tensor(&format!("{index}.bias"));
        assert_eq!(bias_shape, [shape[0]]);
        let weight = Tensor::<2>::from_data(TensorData::new(weight, shape), &device);
        Linear {
            weight: Param::from_tensor(weight.transpose()),
            bias: Some(Param::from_tensor(Tensor::from_data(
                TensorData::new(bias, bias_shape),
                &device,
            ))),
        }
    };
    assert_eq!(tensor("1.weight").0, [256, 784]);
    assert_eq!(tensor("3.weight").0, [10, 256]);
    let mut net = d2l::models::MlpConfig::new().init(&device);
    net.layers = vec![layer(1), layer(3)];
    let test = d2l::data::FashionMnist::load(&d2l::data::data_dir(None))
        .unwrap()
        .test
        .dataset(&device);
    let accuracy = d2l::learner::evaluate(&net, &test, &d2l::learner::Accuracy, 2048).unwrap();
    let test_acc = summary["test_acc"].as_f64().unwrap();
    assert!(
        (accuracy - test_acc).abs() < 1e-12,
        "{accuracy} vs {test_acc}"
    );

    let decay = train(runs.path(), &["weight-decay", "--epochs", "1"]);
    let output = d2l(&["export"]).arg(run_dir(&decay)).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("weight-decay has no saved model to export"),
        "{stderr}"
    );
}
