//! `cargo xtask train`: build `d2l-train` with the requested backend, then run it.

use crate::{cargo, run as run_command};

/// The backends `--backend` accepts (each a cargo feature of `d2l-train`).
pub const BACKENDS: [&str; 3] = ["flex", "ndarray", "wgpu"];

const HELP: &str = "\
cargo xtask train [EXPERIMENT] [--backend flex|ndarray|wgpu] [OVERRIDES...]

Builds d2l-train in release mode with the backend's cargo feature (flex by default; each
backend is its own build, the first one takes minutes) and runs it with the other arguments.
Backends:
  flex      pure-Rust CPU backend (default)
  ndarray   ndarray CPU backend
  wgpu      GPU through wgpu (Vulkan/Metal/DX12; software Vulkan when there is no GPU)

d2l-train's own help (experiments and every override) follows.
";

/// Splits xtask's `--backend X` (default flex) from the arguments passed through.
pub fn take_backend(args: &[String]) -> Result<(String, Vec<String>), String> {
    let mut backend = "flex".to_string();
    let mut passed = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--backend" {
            backend = args
                .next()
                .ok_or("--backend needs a value: flex, ndarray or wgpu")?
                .clone();
        } else if let Some(value) = arg.strip_prefix("--backend=") {
            backend = value.to_string();
        } else {
            passed.push(arg.clone());
        }
    }
    if !BACKENDS.contains(&backend.as_str()) {
        return Err(format!(
            "unknown backend '{backend}': expected one of {}",
            BACKENDS.join(", ")
        ));
    }
    Ok((backend, passed))
}

/// The cargo arguments that build and run `d2l-train` with `args` (xtask's `--backend` turned
/// into a feature, everything else passed through).
pub fn cargo_args(args: &[String]) -> Result<Vec<String>, String> {
    let (backend, passed) = take_backend(args)?;
    let mut cargo_args: Vec<String> = [
        "run",
        "--release",
        "--package",
        "d2l-train",
        "--bin",
        "d2l-train",
        "--no-default-features",
        "--features",
    ]
    .map(String::from)
    .to_vec();
    cargo_args.push(backend.clone());
    cargo_args.extend(["--".to_string(), "--backend".to_string(), backend]);
    cargo_args.extend(passed);
    Ok(cargo_args)
}

/// Runs the task.
pub fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{HELP}");
    }
    run_command(cargo().args(cargo_args(args)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_default_is_flex_and_the_default_experiment() {
        assert_eq!(
            cargo_args(&[]).unwrap().join(" "),
            "run --release --package d2l-train --bin d2l-train --no-default-features --features flex -- --backend flex"
        );
    }

    #[test]
    fn the_backend_becomes_a_feature_and_the_rest_passes_through() {
        let got = cargo_args(&args(
            "softmax-scratch --backend ndarray --epochs 3 --lr 0.1",
        ))
        .unwrap();
        assert_eq!(
            got.join(" "),
            "run --release --package d2l-train --bin d2l-train --no-default-features --features ndarray \
             -- --backend ndarray softmax-scratch --epochs 3 --lr 0.1"
        );
        let got = cargo_args(&args("--backend=wgpu")).unwrap();
        assert!(got.contains(&"wgpu".to_string()));
    }

    #[test]
    fn unknown_or_missing_backends_are_refused() {
        assert!(
            cargo_args(&args("--backend cuda"))
                .unwrap_err()
                .contains("unknown backend")
        );
        assert!(
            cargo_args(&args("--backend"))
                .unwrap_err()
                .contains("needs a value")
        );
    }
}
