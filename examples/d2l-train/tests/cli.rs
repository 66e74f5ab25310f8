//! The binaries as a user runs them (what `cargo xtask train` and `cargo xtask bench` run,
//! built here with the test build's features).

use std::process::Command;

fn train() -> Command {
    Command::new(env!("CARGO_BIN_EXE_d2l-train"))
}

#[test]
fn help_lists_experiments_backends_and_overrides() {
    let output = train().arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
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
        "--init",
        "--weight-decay",
        "--k",
        "--model",
        "--hidden",
        "--dropout",
        "--recipe",
        "--epochs",
        "--lr",
        "--batch-size",
        "--seed",
        "--backend",
        "--data-dir",
        "Backends compiled into this binary",
    ] {
        assert!(help.contains(needle), "help lacks {needle}:\n{help}");
    }
}

#[test]
fn training_writes_the_run_folder_and_prints_a_json_summary() {
    let runs = tempfile::tempdir().unwrap();
    let output = train()
        .args(["softmax", "--epochs", "1", "--quiet", "--runs-dir"])
        .arg(runs.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line = stdout.lines().last().unwrap();
    let summary: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(summary["experiment"], "softmax");
    assert_eq!(summary["epochs"], 1);
    assert!(summary["test_acc"].as_f64().unwrap() > 0.7, "{summary}");
    let dir = std::path::PathBuf::from(summary["run_dir"].as_str().unwrap());
    for file in [
        "config.json",
        "metrics.csv",
        "curves.svg",
        "model.bpk",
        "summary.json",
    ] {
        assert!(
            dir.join(file).is_file(),
            "{file} missing in {}",
            dir.display()
        );
    }
}

/// Every experiment as `cargo xtask train <name>` runs it, shortened, with its own options.
#[test]
fn every_experiment_trains_from_the_command_line() {
    let runs = tempfile::tempdir().unwrap();
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
        let output = train()
            .arg(experiment)
            .args(args)
            .args(["--quiet", "--runs-dir"])
            .arg(runs.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{experiment}: {stderr}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        let summary: serde_json::Value =
            serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
        assert_eq!(summary["experiment"], experiment);
        assert!(
            summary[result].as_f64().is_some_and(f64::is_finite),
            "{experiment}: {summary}"
        );
    }
}

#[test]
fn options_that_do_not_apply_or_do_not_parse_are_refused() {
    let output = train().args(["mlp", "--k", "3"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--k does not apply to mlp"), "{stderr}");
    let output = train()
        .args(["house", "--model", "forest"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("linear, mlp"), "{stderr}");
    let output = train().args(["mlp", "--init", "he"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_unknown_experiment_or_missing_data_is_a_clear_error() {
    let output = train().arg("mlp-9000").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown experiment 'mlp-9000'"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let output = train()
        .args(["--quiet", "--data-dir"])
        .arg(dir.path())
        .arg("--runs-dir")
        .arg(dir.path().join("runs"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("train-images-idx3-ubyte.gz"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_benchmark_writes_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench.json");
    let output = Command::new(env!("CARGO_BIN_EXE_d2l-bench"))
        .args(["--epochs", "1", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(report["burn"]["load_seconds"].as_f64().unwrap() > 0.0);
    assert!(report["burn"]["load_uncached_seconds"].as_f64().unwrap() > 0.0);
    assert!(report["burn"]["softmax_epoch_seconds"].as_f64().unwrap() > 0.0);
    assert!(report["pytorch"].is_null(), "no reference script was given");
}
