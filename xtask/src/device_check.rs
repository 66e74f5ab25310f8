//! `cargo xtask device-check`: on a machine with a GPU, in one short run, build the test
//! build (one feature set, so Burn compiles once), run the wgpu tests, then the wgpu bench with
//! flex beside it, and write one JSON, `target/device-check/device-check.json`, holding both.

use crate::{Failure, TEST_ARGS, TEST_FEATURES, cargo, project_root};
use std::path::Path;
use std::time::Instant;

const HELP: &str = "\
cargo xtask device-check [--epochs N] [--allow-software]
cargo xtask device-check --pack DIR

On a machine with a GPU: builds the test build (release, its three backends), runs the wgpu tests
(gpu_loop, wgpu_smoke, parity, kernel_counts), then `d2l --backend wgpu --require-gpu bench --epochs N`
(default 3; flex timed beside it), and writes target/device-check/device-check.json: the
commit, the tests' outcome and time, and the bench's report (the adapter named in it). Fails
when a test or the bench fails; the JSON is written either way. --allow-software accepts a
software adapter (lavapipe), to try the check on a machine without a GPU.

With --pack DIR: builds two d2l binaries here, each a build of Burn of its own: WGSL (flex,
wgpu) and SPIR-V (vulkan, in target/spirv); and writes DIR, which runs the check on a GPU
machine that has no Rust: DIR/run.sh [--allow-software] writes DIR/out/device-check.json
(the kernels per step, the mlp's first epoch cold and warm, the wgpu bench with flex beside
it, the same first epochs and bench with SPIR-V, and PyTorch on CUDA when it imports). DIR
holds the two stripped binaries (xz), the data, the PyTorch scripts and run.sh of bench/gpu/,
and stays under 60 MB.
";

/// The wgpu tests of the `d2l` crate that the check runs.
pub const TESTS: [&str; 4] = ["gpu_loop", "wgpu_smoke", "parity", "kernel_counts"];

/// The check's options.
#[derive(Debug, PartialEq)]
pub struct Options {
    /// Epochs per recipe in the bench.
    pub epochs: u16,
    /// Whether a software adapter is accepted.
    pub allow_software: bool,
    /// Where to write a pack instead of running the check.
    pub pack: Option<std::path::PathBuf>,
}

/// Parses the task's arguments.
pub fn options(args: &[String]) -> Result<Option<Options>, String> {
    let mut options = Options {
        epochs: 3,
        allow_software: false,
        pack: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--allow-software" => options.allow_software = true,
            "--pack" => {
                let dir = args.next().ok_or("--pack needs a folder")?;
                options.pack = Some(dir.into());
            }
            "--epochs" => {
                options.epochs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--epochs needs a positive number")?;
            }
            other => {
                return Err(format!(
                    "device-check: unexpected argument '{other}'\n{HELP}"
                ));
            }
        }
    }
    Ok(Some(options))
}

/// The cargo arguments of the tests.
pub fn test_args() -> Vec<String> {
    let mut args: Vec<String> = TEST_ARGS.map(String::from).to_vec();
    // `--workspace` would run every crate's tests: only the d2l crate's wgpu ones.
    args.retain(|a| a != "--workspace");
    args.extend(["--package".into(), "d2l".into()]);
    for test in TESTS {
        args.extend(["--test".into(), test.into()]);
    }
    args
}

/// The cargo arguments of the bench, writing its report to `out`.
pub fn bench_args(options: &Options, out: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "run",
        "--release",
        "--features",
        TEST_FEATURES,
        "--package",
        "d2l-cli",
    ]
    .map(String::from)
    .to_vec();
    args.extend(["--bin", "d2l", "--", "--backend", "wgpu"].map(String::from));
    if !options.allow_software {
        args.push("--require-gpu".into());
    }
    args.extend([
        "bench".into(),
        "--epochs".into(),
        options.epochs.to_string(),
    ]);
    args.extend(["--out".into(), out.display().to_string()]);
    args
}

/// Runs the task.
pub fn run(args: &[String]) -> Result<(), Failure> {
    let Some(options) = options(args)? else {
        print!("{HELP}");
        return Ok(());
    };
    if let Some(dir) = &options.pack {
        return crate::device_pack::pack(dir);
    }
    let dir = project_root().join("target/device-check");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let bench_out = dir.join("bench.json");
    let _ = std::fs::remove_file(&bench_out);
    let tests = timed(test_args());
    let bench = timed(bench_args(&options, &bench_out));
    let report = std::fs::read_to_string(&bench_out).ok();
    let json = report_json(&commit(), &tests, &bench, report.as_deref());
    let path = dir.join("device-check.json");
    std::fs::write(&path, &json).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("{json}");
    eprintln!("written to {}", path.display());
    match (tests.passed, bench.passed) {
        (true, true) => Ok(()),
        _ => Err(Failure::Message(format!(
            "the device check failed (tests passed: {}, bench passed: {}); see {}",
            tests.passed,
            bench.passed,
            path.display()
        ))),
    }
}

/// A cargo command's outcome.
pub struct Outcome {
    /// The command, as run.
    pub command: String,
    /// Whether it exited with 0.
    pub passed: bool,
    /// Its wall-clock seconds.
    pub seconds: f64,
}

fn timed(args: Vec<String>) -> Outcome {
    let start = Instant::now();
    let passed = cargo().args(&args).status().is_ok_and(|s| s.success());
    Outcome {
        command: format!("cargo {}", args.join(" ")),
        passed,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// The commit checked out, or "unknown" without git.
pub fn commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(project_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The check's JSON: the commit, both commands' outcomes, and the bench's report as it wrote it
/// (`null` when it wrote none).
pub fn report_json(commit: &str, tests: &Outcome, bench: &Outcome, report: Option<&str>) -> String {
    let outcome = |o: &Outcome| {
        format!(
            "{{\"command\": {}, \"passed\": {}, \"seconds\": {:.1}}}",
            quoted(&o.command),
            o.passed,
            o.seconds
        )
    };
    format!(
        "{{\n  \"commit\": {},\n  \"tests\": {},\n  \"bench\": {},\n  \"report\": {}\n}}\n",
        quoted(commit),
        outcome(tests),
        outcome(bench),
        report.map_or("null", str::trim)
    )
}

/// `s` as a JSON string.
fn quoted(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_check_shares_the_test_builds_features_and_requires_a_gpu() {
        assert_eq!(
            test_args().join(" "),
            "test --features flex,ndarray,wgpu,burn-train,remote --release --package d2l --test gpu_loop --test wgpu_smoke \
             --test parity --test kernel_counts"
        );
        let two = options(&strings("--epochs 2")).unwrap().unwrap();
        let bench = bench_args(&two, Path::new("out.json")).join(" ");
        assert_eq!(
            bench,
            "run --release --features flex,ndarray,wgpu,burn-train,remote --package d2l-cli --bin d2l -- --backend wgpu \
             --require-gpu bench --epochs 2 --out out.json"
        );
        let software = options(&strings("--allow-software")).unwrap().unwrap();
        assert_eq!(software.epochs, 3);
        let pack = options(&strings("--pack /tmp/p")).unwrap().unwrap();
        assert_eq!(pack.pack, Some("/tmp/p".into()));
        assert!(options(&strings("--pack")).is_err());
        assert!(!bench_args(&software, Path::new("o")).contains(&"--require-gpu".to_string()));
        assert!(options(&strings("--epochs 0")).is_err());
        assert!(options(&strings("--gpu")).unwrap_err().contains("'--gpu'"));
        assert_eq!(options(&strings("--help")).unwrap(), None);
    }

    #[test]
    fn the_json_holds_both_outcomes_and_the_report_verbatim() {
        let outcome = |passed| Outcome {
            command: "cargo \"x\"".to_string(),
            passed,
            seconds: 1.5,
        };
        let json = report_json("abc", &outcome(true), &outcome(false), Some("{\"a\": 1}\n"));
        assert!(json.contains("\"commit\": \"abc\""), "{json}");
        assert!(
            json.contains(
                "\"tests\": {\"command\": \"cargo \\\"x\\\"\", \"passed\": true, \"seconds\": 1.5"
            ),
            "{json}"
        );
        assert!(json.contains("\"passed\": false"), "{json}");
        assert!(json.contains("\"report\": {\"a\": 1}\n}"), "{json}");
        assert!(
            report_json("abc", &outcome(true), &outcome(true), None).contains("\"report\": null")
        );
    }
}
