//! `cargo xtask bench`: time Burn (release, flex by default) and, when `torch` imports, the
//! PyTorch reference of the same recipes, in one run; write `target/bench/bench.json`.

use crate::{cargo, project_root, run as run_command};

/// The cargo arguments that build and run `d2l-bench` with `args` (`--backend` becomes the
/// feature; everything else is passed through).
pub fn cargo_args(args: &[String]) -> Result<Vec<String>, String> {
    let (backend, passed) = crate::train::take_backend(args)?;
    let root = project_root();
    let mut cargo_args: Vec<String> = [
        "run",
        "--release",
        "--package",
        "d2l-train",
        "--bin",
        "d2l-bench",
        "--no-default-features",
        "--features",
    ]
    .map(String::from)
    .to_vec();
    cargo_args.push(backend.clone());
    cargo_args.extend([
        "--".to_string(),
        "--backend".to_string(),
        backend,
        "--pytorch".to_string(),
        root.join("bench/pytorch_reference.py")
            .display()
            .to_string(),
        "--out".to_string(),
        root.join("target/bench/bench.json").display().to_string(),
    ]);
    cargo_args.extend(passed);
    Ok(cargo_args)
}

/// Runs the task.
pub fn run(args: &[String]) -> Result<(), String> {
    run_command(cargo().args(cargo_args(args)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_bench_binary_with_the_reference_script() {
        let got = cargo_args(&["--epochs".into(), "3".into()])
            .unwrap()
            .join(" ");
        assert!(got.starts_with(
            "run --release --package d2l-train --bin d2l-bench --no-default-features --features flex -- --backend flex --pytorch "
        ), "{got}");
        assert!(got.contains("bench/pytorch_reference.py --out "), "{got}");
        assert!(got.ends_with("target/bench/bench.json --epochs 3"), "{got}");
    }
}
