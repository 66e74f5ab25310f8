//! Beyond one process, on loopback: `d2l serve` hosting flex, runs on the served device, runs
//! data-parallel over two, sweeps placed on devices, and the faults (a wrong token, a server
//! killed mid-run, a host nothing answers on). Every server is started here on 127.0.0.1 with
//! a port of the system's choosing, and killed when its test ends.

#![cfg(feature = "remote")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{d2l, run};

/// A `d2l serve` process, killed when dropped.
struct Server {
    child: Child,
    url: String,
    /// Its stderr.
    log: tempfile::NamedTempFile,
}

impl Server {
    /// Serves flex on a free loopback port, requiring the token in `token_file` if any.
    fn start(token_file: Option<&Path>) -> Server {
        let mut command = d2l(&["--quiet", "--backend", "flex"]);
        if let Some(file) = token_file {
            command.arg("--token-file").arg(file);
        }
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut child = command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env_remove("D2L_TOKEN")
            .stdout(Stdio::piped())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let printed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(printed["devices"], serde_json::json!(["flex"]), "{line}");
        let url = printed["serving"].as_str().unwrap().to_string();
        Server { child, url, log }
    }

    /// What it wrote to stderr so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn json(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

/// `d2l [global...] train --quiet --runs-dir RUNS --run-name NAME args...`.
fn train(global: &[&str], runs: &Path, name: &str, args: &[&str]) -> Command {
    let mut command = d2l(global);
    command
        .args(["train", "--quiet", "--runs-dir"])
        .arg(runs)
        .args(["--run-name", name])
        .args(args)
        .env_remove("D2L_TOKEN");
    command
}

/// The metrics of a run folder: (epoch, train loss, train metric, test metric) per line.
fn metrics(dir: &Path) -> Vec<[f64; 4]> {
    let text = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
            [fields[0], fields[1], fields[2], fields[3]]
        })
        .collect()
}

/// Asserts two runs' metrics agree within `tolerance` (absolute, on losses and accuracies).
fn assert_close(a: &[[f64; 4]], b: &[[f64; 4]], tolerance: f64) {
    assert_eq!(a.len(), b.len(), "{a:?} {b:?}");
    for (x, y) in a.iter().zip(b) {
        for (u, v) in x.iter().zip(y) {
            assert!((u - v).abs() <= tolerance, "{a:?}\n{b:?}");
        }
    }
}

fn provenance(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("config.json")).unwrap();
    serde_json::from_str::<serde_json::Value>(&text).unwrap()["provenance"].clone()
}

/// Waits until the run in `dir` has a checkpoint of at least `epoch`.
fn wait_for_checkpoint(dir: &Path, epoch: u64) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(300) {
        let latest = std::fs::read_to_string(dir.join("checkpoints/latest.json"));
        let done = latest
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["epoch"].as_u64());
        if done.is_some_and(|done| done >= epoch) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no checkpoint of epoch {epoch} in {}", dir.display());
}

/// The MLP for 2 epochs on a served flex device gives local flex's figures (the served device
/// takes the accelerator path: the sums add up in another order, hence the tolerance); killed
/// with its server after epoch 1, the run names the host and the epoch, and `--resume` on a new
/// server finishes it with the figures of the run that was not interrupted.
#[test]
fn a_served_device_trains_as_a_local_one_and_resumes_after_its_server_died() {
    let runs = tempfile::tempdir().unwrap();
    let runs = runs.path();
    let args = ["mlp", "--epochs", "2"];
    run(&mut train(&[], runs, "local", &args));
    let server = Server::start(None);
    let remote = ["--backend", "remote", "--remote", &server.url];
    let summary = json(&run(&mut train(&remote, runs, "served", &args)));
    assert_eq!(summary["backend"], "remote");
    let served = metrics(&runs.join("served"));
    // Measured here: the two agree to metrics.csv's 6 digits over 2 epochs (a third epoch
    // parts them by 3e-5: train loss 0.519040 against 0.519011); the tolerance allows more.
    assert_close(&metrics(&runs.join("local")), &served, 2e-4);
    assert_eq!(
        provenance(&runs.join("served"))["remote"],
        server.url.as_str()
    );

    let doomed = Server::start(None);
    let remote = ["--backend", "remote", "--remote", &doomed.url];
    let client = train(&remote, runs, "interrupted", &args)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_checkpoint(&runs.join("interrupted"), 1);
    let doomed_url = doomed.url.clone();
    drop(doomed); // SIGKILL: the server is gone mid-run
    let start = Instant::now();
    let output = client.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let dir = runs.join("interrupted");
    assert!(
        stderr.contains(&doomed_url)
            && stderr.contains("epoch 2")
            && stderr.contains(&*dir.to_string_lossy()),
        "{stderr}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );

    let revived = Server::start(None);
    let resumed = d2l(&["--backend", "remote", "--remote", &revived.url])
        .args(["train", "--quiet", "--resume"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(metrics(&dir), served, "resumed as if never stopped");

    // The other verbs run on a served device too: evaluate as flex does (within the rounding
    // of lifecycle.rs's cross-backend check), predict every test image.
    let remote = ["--backend", "remote", "--remote", &revived.url];
    let evaluated = json(&run(d2l(&remote).arg("evaluate").arg(&dir)));
    let local = json(&run(d2l(&["evaluate"]).arg(&dir)));
    assert_eq!(evaluated["backend"], "remote");
    let acc = |v: &serde_json::Value| v["test_acc"].as_f64().unwrap();
    assert!(
        (acc(&evaluated) - acc(&local)).abs() <= 5e-4,
        "{evaluated} vs {local}"
    );
    let images = d2l::data::data_dir(None).join("fashion-mnist/t10k-images-idx3-ubyte.gz");
    let out = runs.join("predictions.csv");
    let predicted = run(d2l(&remote)
        .arg("predict")
        .arg(&dir)
        .arg("--input")
        .arg(&images)
        .arg("--out")
        .arg(&out));
    assert_eq!(json(&predicted)["rows"], 10_000);
}

/// Two served devices sharing each batch of 256 (128 rows each) train the run one device
/// trains at 256; `config.json` lists the second device.
#[test]
fn data_parallel_over_two_served_devices_matches_one_device() {
    let runs = tempfile::tempdir().unwrap();
    let runs = runs.path();
    let (a, b) = (Server::start(None), Server::start(None));
    let args = ["mlp", "--epochs", "1"];
    let remote = ["--backend", "remote", "--remote", &a.url];
    run(&mut train(&remote, runs, "one", &args));
    let devices = format!("{},{}", a.url, b.url);
    let mut parallel = train(&[], runs, "two", &args);
    run(parallel.args(["--devices", &devices]));
    // Each device adds up half the batch's gradient: the same sums, in another order.
    assert_close(
        &metrics(&runs.join("one")),
        &metrics(&runs.join("two")),
        1e-3,
    );
    let provenance = provenance(&runs.join("two"));
    assert_eq!(provenance["remote"], a.url.as_str());
    assert_eq!(provenance["data_parallel"], serde_json::json!([b.url]));
}

/// A wrong or missing token is refused, naming the server to the client and the client in the
/// server's log, and the server goes on serving a client with the right one; a server beyond loopback needs a token; a host nothing answers
/// on fails within seconds, naming it.
#[test]
fn tokens_are_required_and_faults_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret\n").unwrap();
    let server = Server::start(Some(&token));
    let runs = dir.path().join("runs");
    let remote = ["--backend", "remote", "--remote", &server.url];
    for wrong in [Some("guess"), None] {
        let mut command = train(&remote, &runs, "refused", &["softmax", "--epochs", "1"]);
        if let Some(wrong) = wrong {
            command.env("D2L_TOKEN", wrong);
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("refused this client's token") && stderr.contains(&server.url),
            "{stderr}"
        );
    }
    let log = server.log();
    assert_eq!(log.matches("refused a client: ").count(), 2, "{log}");
    assert!(log.contains("WebSocket client 127.0.0.1:"), "{log}");
    let mut command = train(&remote, &runs, "allowed", &["softmax", "--epochs", "1"]);
    run(command.env("D2L_TOKEN", "s3cret"));

    let output = d2l(&["serve", "--bind", "0.0.0.0:0"])
        .env_remove("D2L_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("without a token"), "{stderr}");

    let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}", nobody.local_addr().unwrap());
    drop(nobody);
    let start = Instant::now();
    let output = train(&["--backend", "remote", "--remote", &url], &runs, "x", &[])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&url) && stderr.contains("cannot reach"),
        "{stderr}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

/// A client killed mid-epoch leaves the server serving the next one; SIGTERM stops the
/// server cleanly.
#[test]
fn a_vanished_client_leaves_the_server_serving_and_sigterm_stops_it() {
    let runs = tempfile::tempdir().unwrap();
    let runs = runs.path();
    let mut server = Server::start(None);
    let remote = ["--backend", "remote", "--remote", &server.url];
    let mut client = train(&remote, runs, "vanished", &["mlp", "--epochs", "3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_checkpoint(&runs.join("vanished"), 1);
    client.kill().unwrap();
    client.wait().unwrap();
    run(&mut train(
        &remote,
        runs,
        "next",
        &["softmax", "--epochs", "1"],
    ));

    let term = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// A sweep over two devices places one trial on each at a time.
#[test]
fn a_sweep_places_its_trials_on_the_devices() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (Server::start(None), Server::start(None));
    let sweep = dir.path().join("sweep");
    let devices = format!("{},{}", a.url, b.url);
    let mut command = d2l(&[
        "--quiet",
        "sweep",
        "softmax",
        "--devices",
        &devices,
        "--dir",
    ]);
    command.arg(&sweep);
    run(command
        .args(["--epochs", "1", "--lr", "0.1,0.2"])
        .env_remove("D2L_TOKEN"));
    let mut hosts: Vec<String> = std::fs::read_dir(&sweep)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("config.json").is_file())
        .map(|p: PathBuf| provenance(&p)["remote"].as_str().unwrap().to_string())
        .collect();
    hosts.sort();
    let mut expected = vec![a.url.clone(), b.url.clone()];
    expected.sort();
    assert_eq!(hosts, expected, "one trial on each device");
}
