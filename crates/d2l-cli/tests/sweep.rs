//! `d2l sweep` as a user runs it: a grid, a sweep file (the one shipped), parallel trials, and
//! a sweep run again into its folder.

use std::path::Path;
use std::process::Output;

mod common;

use common::{d2l, run};

/// `d2l sweep house` into `dir` with `args` (sweep options, then the grid).
fn sweep(dir: &Path, args: &[&str]) -> Output {
    run(d2l(&["sweep", "house", "--dir"]).arg(dir).args(args))
}

/// `results.csv` of a sweep without its last column (seconds).
fn results(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("results.csv"))
        .unwrap()
        .lines()
        .map(|line| line.rsplit_once(',').unwrap().0.to_string())
        .collect()
}

const GRID: [&str; 8] = [
    "--k", "2", "--epochs", "3", "--lr", "5,1", "--hidden", "5,16",
];

/// Four trials of the MLP, two folds and three epochs each.
fn grid() -> Vec<&'static str> {
    [&["--model", "mlp", "--dropout", "0"], &GRID[..]].concat()
}

#[test]
fn a_grid_sweep_ranks_its_trials_and_parallel_equals_sequential() {
    let root = tempfile::tempdir().unwrap();
    let (one, two) = (root.path().join("one"), root.path().join("two"));
    let sequential = sweep(&one, &[&["--jobs", "1"], &grid()[..]].concat());
    sweep(&two, &[&["--jobs", "2"], &grid()[..]].concat());
    assert_eq!(
        results(&one),
        results(&two),
        "the same figures, whatever --jobs"
    );

    let csv = results(&one);
    assert_eq!(csv.len(), 5, "{csv:?}");
    assert!(
        csv[0].starts_with("trial,model,dropout,k,epochs,lr,hidden,"),
        "{}",
        csv[0]
    );
    assert!(
        csv[1].starts_with("lr=5 hidden=5,mlp,0,2,3,5,5,"),
        "{}",
        csv[1]
    );
    for trial in [
        "lr_5_hidden_5",
        "lr_5_hidden_16",
        "lr_1_hidden_5",
        "lr_1_hidden_16",
    ] {
        assert!(one.join(trial).join("summary.json").is_file(), "{trial}");
    }
    let markdown = std::fs::read_to_string(one.join("results.md")).unwrap();
    assert!(markdown.contains("| best |"), "{markdown}");
    let svg = std::fs::read_to_string(one.join("curves.svg")).unwrap();
    assert!(svg.contains("lr=1 hidden=16") && svg.contains("mean of 2 folds"));

    let stdout = String::from_utf8_lossy(&sequential.stdout);
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["trials"], 4);
    assert_eq!(last["run_dir"], one.to_str().unwrap());
    // The best is the trial with the lowest mean validation log-RMSE.
    let best = last["best"].as_str().unwrap();
    let best_summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(one.join(best.replace([' ', '='], "_")).join("summary.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(best_summary["valid_log_rmse"], last["valid_log_rmse"]);
    for trial in [
        "lr_5_hidden_5",
        "lr_5_hidden_16",
        "lr_1_hidden_5",
        "lr_1_hidden_16",
    ] {
        let summary: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(one.join(trial).join("summary.json")).unwrap(),
        )
        .unwrap();
        assert!(summary["valid_log_rmse"].as_f64() >= last["valid_log_rmse"].as_f64());
    }
}

#[test]
fn a_sweep_run_again_skips_finished_trials_and_resumes_interrupted_ones() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("sweep");
    let grid = grid();
    sweep(&dir, &grid);
    let before = results(&dir);
    // One trial stopped before its summary (as a kill would leave it): its checkpoints stay.
    std::fs::remove_file(dir.join("lr_1_hidden_5/summary.json")).unwrap();
    let again = sweep(&dir, &grid);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(stderr.matches("already done").count(), 3, "{stderr}");
    assert!(stderr.contains("\"lr=1 hidden=5\": done in"), "{stderr}");
    assert_eq!(results(&dir), before);
    let config = std::fs::read_to_string(dir.join("lr_1_hidden_5/config.json")).unwrap();
    assert!(
        config.contains("\"resumed\""),
        "resumed, not retrained: {config}"
    );

    // The same folder with other settings for a trial is refused before anything runs.
    let other = d2l(&["sweep", "house", "--dir"])
        .arg(&dir)
        .args(["--model", "mlp", "--dropout", "0.5"])
        .args(GRID)
        .output()
        .unwrap();
    assert!(!other.status.success());
    let message = String::from_utf8_lossy(&other.stderr);
    assert!(message.contains("configured otherwise"), "{message}");
}

#[test]
fn the_shipped_sweep_file_of_the_notes_runs() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("notes");
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/sweeps/house-notes.toml"
    );
    // Every trial of the notes' journey, shortened by options given to all of them.
    let output = sweep(&dir, &["--file", file, "--k", "2", "--epochs", "2"]);
    let csv = results(&dir);
    assert_eq!(csv.len(), 7, "{csv:?}");
    for trial in [
        "book linear, lr 5",
        "mlp 64 hidden, dropout 0.2, validated with dropout on",
        "book linear, log-RMSE loss, lr 5",
    ] {
        assert!(
            csv.iter()
                .any(|row| row.starts_with(&format!("\"{trial}\""))),
            "{trial}: {csv:?}"
        );
    }
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("eval-mode") && table.contains("log-rmse"),
        "{table}"
    );
}

#[test]
fn bad_sweeps_are_errors_that_say_where() {
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("bad.toml");
    std::fs::write(&file, "[[trial]]\nname = \"a\"\nlr = -1\n").unwrap();
    let output = d2l(&["sweep", "house", "--file"])
        .arg(&file)
        .arg("--dir")
        .arg(root.path().join("s"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("bad.toml") && message.contains("line 1") && message.contains("--lr"),
        "{message}"
    );
    assert!(!root.path().join("s").exists(), "nothing trained");

    let misplaced = d2l(&["sweep", "house", "--lr", "5,1", "--jobs", "2"])
        .output()
        .unwrap();
    assert_eq!(misplaced.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&misplaced.stderr).contains("before the grid"));
    // A sweep that requires a GPU where there is none stops before it creates anything.
    let cpu = d2l(&[
        "--backend",
        "flex",
        "--require-gpu",
        "sweep",
        "house",
        "--dir",
    ])
    .arg(root.path().join("gpu"))
    .args(["--lr", "5,1"])
    .output()
    .unwrap();
    assert_eq!(cpu.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&cpu.stderr).contains("flex runs on the CPU"));
    assert!(!root.path().join("gpu").exists());
    let unknown = d2l(&["sweep", "softmax", "--k", "2,3"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("--k"));
}

#[test]
fn a_fashion_mnist_sweep_trains_and_tests_each_trial() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("softmax");
    let output = run(d2l(&["sweep", "softmax", "--dir"])
        .arg(&dir)
        .args(["--epochs", "1", "--lr", "0.1,0.3"]));
    let csv = results(&dir);
    assert_eq!(csv.len(), 3, "{csv:?}");
    assert!(
        csv[0].starts_with("trial,epochs,lr,test_acc,train_acc,train_loss"),
        "{}",
        csv[0]
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    // Higher is better for an accuracy: the best trial has the larger test_acc.
    let best = last["test_acc"].as_f64().unwrap();
    for trial in ["lr_0.1", "lr_0.3"] {
        let summary: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(trial).join("summary.json")).unwrap(),
        )
        .unwrap();
        assert!(summary["test_acc"].as_f64().unwrap() <= best, "{trial}");
    }
    let svg = std::fs::read_to_string(dir.join("curves.svg")).unwrap();
    assert!(svg.contains("test_acc"), "the held-out accuracy per epoch");
}

/// Ctrl-C to the sweep: the running trial finishes (here it was not signalled itself), no
/// other starts, the sweep exits 130 saying how to finish it, and the same command with
/// `--dir` trains only what is missing.
#[test]
fn an_interrupted_sweep_finishes_when_run_again() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("sweep");
    let args = [
        "--jobs", "1", "--k", "2", "--epochs", "40", "--lr", "5,1,0.5",
    ];
    let child = d2l(&["sweep", "house", "--dir"])
        .arg(&dir)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !dir.join("lr_5/config.json").is_file() {
        assert!(
            started.elapsed().as_secs() < 60,
            "the first trial never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    run(std::process::Command::new("kill").args(["-INT", &child.id().to_string()]));
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("trials not finished") && stderr.contains("--dir"),
        "{stderr}"
    );
    assert!(
        dir.join("lr_5/summary.json").is_file(),
        "the running trial finished"
    );
    assert!(
        !dir.join("lr_0.5").exists(),
        "no trial started after the interrupt"
    );

    let again = sweep(&dir, &args);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(stderr.matches("already done").count(), 1, "{stderr}");
    assert_eq!(stderr.matches(": done in").count(), 2, "{stderr}");
    assert_eq!(results(&dir).len(), 4);
}

#[test]
fn help_in_the_grid_checks_and_lists_the_trials_and_trains_none() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("sweep");
    let output = sweep(&dir, &[&grid()[..], &["--help"]].concat());
    let listed = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        listed.starts_with("4 trials of house, each checked:"),
        "{listed}"
    );
    assert!(listed.contains("lr=1 hidden=16: "), "{listed}");
    assert!(!dir.exists(), "a sweep asked for help trained");
    let bad = d2l(&["sweep", "house", "--lr", "5,fast", "--help"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("fast"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
