//! The binary as a user runs it (what `cargo xtask train` and `cargo xtask bench` run, built
//! here with the test build's features).

use std::process::Output;

mod common;

use common::{d2l, run};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

/// Trains with `args` after `d2l train` into a fresh folder; the summary line and the folder.
fn train(args: &[&str]) -> (serde_json::Value, tempfile::TempDir) {
    let runs = tempfile::tempdir().unwrap();
    let output = run(d2l(&["train"])
        .args(args)
        .args(["--quiet", "--runs-dir"])
        .arg(runs.path()));
    let line = stdout(&output).lines().last().unwrap().to_string();
    (serde_json::from_str(&line).unwrap(), runs)
}

#[test]
fn train_help_lists_every_experiment_and_the_backends() {
    let output = d2l(&["train", "--help"]).output().unwrap();
    assert!(output.status.success());
    let help = stdout(&output);
    for needle in [
        "softmax-scratch",
        "softmax",
        "mlp-scratch",
        "mlp",
        "weight-decay",
        "dropout-scratch",
        "dropout",
        "numerical-stability",
        "house",
        "d2l 4.10 Kaggle house prices",
        "--backend",
        "--data-dir",
        "--runs-dir",
        "Backends compiled into this binary",
    ] {
        assert!(help.contains(needle), "help lacks {needle}:\n{help}");
    }
}

/// Each experiment's help lists its own options with the defaults of its configuration, and
/// no option of another experiment.
#[test]
fn each_experiment_has_its_own_options_and_shows_their_defaults() {
    let help = |experiment: &str| {
        let output = d2l(&["train", experiment, "--help"]).output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let house = help("house");
    for needle in [
        "--k <K>",
        "[default: 5]",
        "--recipe <RECIPE>",
        "- better:",
        "- mlp:",
        "--model <MODEL>",
        "--hidden",
        "--dropout",
        "--weight-decay",
        // Learning rate and epochs of the book's recipe, and of the better one.
        "[default: 5; --recipe better: 0.003]",
        "[default: 100; --recipe better: 400]",
        "--backend",
    ] {
        assert!(
            house.contains(needle),
            "house help lacks {needle}:\n{house}"
        );
    }
    let softmax = help("softmax");
    assert!(!softmax.contains("--k "), "{softmax}");
    assert!(softmax.contains("--init <INIT>") && softmax.contains("[default: normal]"));
    assert!(softmax.contains("[default: 0.1]"), "{softmax}");
    let dropout = help("dropout");
    assert!(dropout.contains("[default: 0.5]") && dropout.contains("[default: torch]"));
    let weight_decay = help("weight-decay");
    assert!(
        weight_decay.contains("--weight-decay") && weight_decay.contains("[default: 0 and 3 each]")
    );
}

#[test]
fn training_writes_the_run_folder_and_prints_a_json_summary() {
    let (summary, _runs) = train(&["softmax", "--epochs", "1"]);
    assert_eq!(summary["experiment"], "softmax");
    assert_eq!(summary["backend"], "flex");
    assert_eq!(summary["epochs"], 1);
    assert!(summary["test_acc"].as_f64().unwrap() > 0.7, "{summary}");
    let dir = std::path::PathBuf::from(summary["run_dir"].as_str().unwrap());
    for file in [
        "config.json",
        "metrics.csv",
        "curves.svg",
        "model.bpk",
        "predictions.svg",
        "summary.json",
    ] {
        assert!(
            dir.join(file).is_file(),
            "{file} missing in {}",
            dir.display()
        );
    }
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    let command_line = config["provenance"]["command_line"].as_array().unwrap();
    assert!(command_line.iter().any(|a| a == "--epochs"), "{config}");
}

/// With no experiment named, `train` trains the default one, softmax; options may follow.
#[test]
fn train_without_an_experiment_trains_softmax() {
    let (summary, _runs) = train(&["--epochs", "1", "--lr", "0.2"]);
    assert_eq!(summary["experiment"], "softmax");
    assert_eq!(summary["epochs"], 1);
}

/// Every experiment as `cargo xtask train <name>` runs it, shortened, with its own options.
#[test]
fn every_experiment_trains_from_the_command_line() {
    let cases: [(&str, &[&str], &str); 9] = [
        ("softmax-scratch", &["--epochs", "1"], "test_acc"),
        (
            "softmax",
            &["--epochs", "1", "--init", "xavier"],
            "test_acc",
        ),
        ("mlp-scratch", &["--epochs", "1"], "test_acc"),
        (
            "mlp",
            &["--epochs", "1", "--init", "xavier-normal"],
            "test_acc",
        ),
        (
            "weight-decay",
            &["--epochs", "3", "--weight-decay", "3"],
            "w_norm_penalty_3",
        ),
        ("dropout-scratch", &["--epochs", "1"], "test_acc"),
        (
            "dropout",
            &["--epochs", "1", "--init", "normal"],
            "test_acc",
        ),
        ("numerical-stability", &[], "product_max_abs"),
        (
            "house",
            &[
                "--k", "2", "--epochs", "2", "--recipe", "better", "--model", "linear",
            ],
            "valid_log_rmse",
        ),
    ];
    for (experiment, args, result) in cases {
        let (summary, _runs) = train(&[&[experiment], args].concat());
        assert_eq!(summary["experiment"], experiment);
        assert!(
            summary[result].as_f64().is_some_and(f64::is_finite),
            "{experiment}: {summary}"
        );
        if experiment == "numerical-stability" {
            // The binary counts its heap: d2l 4.7's training step against inference, measured.
            let train = summary["train_step_bytes"].as_u64().unwrap();
            let inference = summary["inference_bytes"].as_u64().unwrap();
            assert!(train > 2 * inference && inference > 0, "{summary}");
        }
    }
}

/// The default experiment's options belong after an experiment's name when one is named; the
/// global options go anywhere and mean the same on every verb.
#[test]
fn options_go_after_the_experiment_and_global_ones_anywhere() {
    let output = d2l(&["train", "--epochs", "1", "mlp"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--epochs comes before the experiment's name: put it after mlp"),
        "{}",
        stderr(&output)
    );
    let missing = tempfile::tempdir().unwrap();
    for args in [
        &["evaluate", "--quiet"][..],
        &["--quiet", "export"],
        &["predict", "--input", "x.png", "--quiet"],
    ] {
        let output = d2l(args).arg(missing.path()).output().unwrap();
        // Not a usage error: the options parse, the run folder has no config.json.
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("config.json"),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn a_named_run_folder_is_created_once() {
    let runs = tempfile::tempdir().unwrap();
    let named = |runs: &std::path::Path| {
        d2l(&["train", "--quiet", "--run-name", "mine", "--runs-dir"])
            .arg(runs)
            .args(["house", "--k", "2", "--epochs", "1"])
            .output()
            .unwrap()
    };
    let first = named(runs.path());
    assert!(first.status.success(), "{}", stderr(&first));
    let summary: serde_json::Value =
        serde_json::from_str(stdout(&first).lines().last().unwrap()).unwrap();
    assert_eq!(
        summary["run_dir"],
        runs.path().join("mine").to_str().unwrap()
    );
    let again = named(runs.path());
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("exists already"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn options_another_experiment_takes_or_out_of_range_values_are_usage_errors() {
    let usage_error = |args: &[&str], needle: &str| {
        let output = d2l(args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        let stderr = stderr(&output);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    };
    usage_error(
        &["train", "softmax", "--k", "3"],
        "unexpected argument '--k'",
    );
    usage_error(
        &["train", "mlp", "--init", "he"],
        "[possible values: normal, xavier",
    );
    usage_error(
        &["train", "house", "--model", "forest"],
        "[possible values: linear, mlp]",
    );
    // Negative numbers parse, and are refused for what they are.
    usage_error(
        &["train", "softmax", "--lr", "-1"],
        "invalid value '-1' for '--lr <LR>'",
    );
    usage_error(&["train", "softmax", "--epochs", "0"], "at least 1");
    usage_error(&["train", "house", "--k", "1"], "at least 2 folds");
    usage_error(&["train", "house", "--dropout", "1"], "[0, 1)");
    usage_error(&["train", "house", "--hidden", "8"], "--model mlp");
    usage_error(&["train", "mlp-9000"], "unrecognized subcommand 'mlp-9000'");
}

#[test]
fn missing_data_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = d2l(&["train", "--quiet", "--data-dir"])
        .arg(dir.path())
        .arg("--runs-dir")
        .arg(dir.path().join("runs"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(stderr.contains("train-images-idx3-ubyte.gz"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_benchmark_writes_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench.json");
    let output = d2l(&["bench", "--epochs", "1", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let burn = &report["burn"];
    for figure in [
        "load_seconds",
        "load_uncached_seconds",
        "softmax_epoch_seconds",
        "house_kfold_seconds",
        "house_first_epoch_seconds",
        "house_kfold_steady_seconds",
    ] {
        assert!(burn[figure].as_f64().unwrap() > 0.0, "{figure}: {report}");
    }
    assert!(report["pytorch"].is_null(), "no reference script was given");
    // The recipes ran through their experiments into run folders beside the report.
    let runs: Vec<String> = std::fs::read_dir(dir.path().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    for recipe in ["bench-softmax-", "bench-dropout-scratch-", "bench-house-"] {
        assert!(
            runs.iter().any(|r| r.starts_with(recipe)),
            "{recipe}: {runs:?}"
        );
    }
}

/// A wgpu run records the adapter it ran on (config.json and summary); on a software adapter
/// (lavapipe, as in CI) it warns, and `--require-gpu` makes that an error before anything runs.
#[cfg(feature = "wgpu")]
#[test]
fn a_wgpu_run_names_its_adapter_and_a_gpu_can_be_required() {
    let runs = tempfile::tempdir().unwrap();
    let output = run(
        d2l(&["--backend", "wgpu", "train", "--quiet", "--runs-dir"])
            .arg(runs.path())
            .args(["house", "--k", "2", "--epochs", "1"]),
    );
    let summary: serde_json::Value =
        serde_json::from_str(stdout(&output).lines().last().unwrap()).unwrap();
    let adapter = &summary["adapter"];
    assert!(!adapter["name"].as_str().unwrap().is_empty(), "{summary}");
    let kind = adapter["kind"].as_str().unwrap();
    assert!(
        ["discrete", "integrated", "virtual", "cpu", "other"].contains(&kind),
        "{kind}"
    );
    let run_dir = std::path::PathBuf::from(summary["run_dir"].as_str().unwrap());
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("config.json")).unwrap())
            .unwrap();
    assert_eq!(&config["provenance"]["adapter"], adapter);

    let required = d2l(&["--backend", "wgpu", "--require-gpu", "train", "--runs-dir"])
        .arg(runs.path())
        .args(["house", "--k", "2", "--epochs", "1"])
        .output()
        .unwrap();
    if kind == "cpu" {
        assert!(
            stderr(&output).contains("warning: wgpu runs on a software adapter"),
            "{}",
            stderr(&output)
        );
        assert_eq!(required.status.code(), Some(1));
        let message = stderr(&required);
        assert!(
            message.contains("a GPU is required")
                && message.contains(adapter["name"].as_str().unwrap()),
            "{message}"
        );
    } else {
        assert!(required.status.success(), "{}", stderr(&required));
    }
}

#[test]
fn a_gpu_requirement_refuses_the_cpu_backends() {
    for args in [
        &[
            "--backend",
            "flex",
            "--require-gpu",
            "train",
            "house",
            "--k",
            "2",
        ][..],
        &["--backend", "flex", "train", "house", "--k", "2"][..],
    ] {
        let mut command = d2l(args);
        if !args.contains(&"--require-gpu") {
            command.env("D2L_REQUIRE_GPU", "1");
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&output).contains("flex runs on the CPU"),
            "{}",
            stderr(&output)
        );
    }
}

/// `d2l kernels` counts a recipe's launches on wgpu (software Vulkan in CI) into JSON, keeps the
/// log where `D2L_KERNEL_LOG` says, and refuses what it cannot count.
#[test]
fn kernels_counts_a_recipe_on_wgpu_and_refuses_what_it_cannot_count() {
    let refused = d2l(&["--backend", "flex", "kernels"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("--backend wgpu"),
        "{}",
        stderr(&refused)
    );
    let unknown = d2l(&["--backend", "wgpu", "kernels", "--recipes", "weight-decay"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("weight-decay is neither a Fashion-MNIST experiment nor house"),
        "{}",
        stderr(&unknown)
    );
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("kernels.log");
    let output = run(
        d2l(&["--backend", "wgpu", "kernels", "--recipes", "softmax"]).env("D2L_KERNEL_LOG", &log),
    );
    let report: serde_json::Value =
        serde_json::from_str(stdout(&output).lines().last().unwrap()).unwrap();
    let softmax = &report["kernels"]["softmax"];
    let per_batch = softmax["per_batch"].as_f64().unwrap();
    assert!(
        per_batch >= 5.0,
        "a forward, a backward, an update: {report}"
    );
    assert!(softmax["eval_pass"].as_u64().unwrap() > 0, "{report}");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged
            .lines()
            .filter(|l| l.starts_with("Executing "))
            .count()
            > 100
    );
}
