//! `cargo xtask <verb> [--backend B] [ARGS...]`: build the `d2l` binary in release mode with
//! backend B's cargo feature (flex by default), then run `d2l --backend B <verb> ARGS...`.
//! Every verb of the binary (`train`, `evaluate`, `predict`, `export`, `runs`, `compare`, `sweep`,
//! `serve`, ...) is reachable this way. `serve` and `--backend remote` add the `remote` feature
//! (Burn's remote backend; a client's build has flex beside it).

use crate::{Failure, cargo, run as run_command};

/// The backends `--backend` accepts (each a cargo feature of `d2l-cli`).
pub const BACKENDS: [&str; 4] = ["flex", "ndarray", "wgpu", "remote"];

const HELP: &str = "\
cargo xtask <verb> [--backend flex|ndarray|wgpu|remote] [ARGS...]

Builds the d2l binary in release mode with the backend's cargo feature (flex by default; each
backend is its own build, the first one takes minutes) and runs `d2l --backend B <verb> ARGS`.
Backends:
  flex      pure-Rust CPU backend (default)
  ndarray   ndarray CPU backend
  wgpu      GPU through wgpu (Vulkan/Metal/DX12; software Vulkan when there is no GPU)
  remote    a device another machine serves (`cargo xtask serve` there; --remote ws://HOST:PORT)

The binary's own help follows.
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
                .ok_or("--backend needs a value: flex, ndarray, wgpu or remote")?
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

/// The cargo arguments that build and run `d2l <verb>` with `args` (xtask's `--backend`
/// turned into a feature and passed on, everything else passed through).
pub fn cargo_args(verb: &str, args: &[String]) -> Result<Vec<String>, String> {
    let (backend, passed) = take_backend(args)?;
    let mut cargo_args: Vec<String> = [
        "run",
        "--release",
        "--package",
        "d2l-cli",
        "--bin",
        "d2l",
        "--no-default-features",
        "--features",
    ]
    .map(String::from)
    .to_vec();
    // The bench times another backend beside flex, and a remote backend's client keeps flex
    // for the host's own work: both compiled; a server hosts its backend with `remote`.
    cargo_args.push(match (verb, backend.as_str()) {
        (_, "remote") => "remote,flex".to_string(),
        ("serve", _) => format!("{backend},remote"),
        ("bench", "flex") => backend.clone(),
        ("bench", _) => format!("{backend},flex"),
        _ => backend.clone(),
    });
    cargo_args.extend(["--".to_string(), "--backend".to_string(), backend]);
    cargo_args.push(verb.to_string());
    cargo_args.extend(passed);
    Ok(cargo_args)
}

/// Runs `verb`.
pub fn run(verb: &str, args: &[String]) -> Result<(), Failure> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{HELP}");
    }
    run_command(cargo().args(cargo_args(verb, args)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    const PREFIX: &str = "run --release --package d2l-cli --bin d2l --no-default-features";

    #[test]
    fn train_defaults_to_flex_and_the_binarys_default_experiment() {
        assert_eq!(
            cargo_args("train", &[]).unwrap().join(" "),
            format!("{PREFIX} --features flex -- --backend flex train")
        );
    }

    #[test]
    fn the_backend_becomes_a_feature_and_the_rest_passes_through() {
        let got = cargo_args(
            "train",
            &args("softmax-scratch --backend ndarray --epochs 3 --lr 0.1"),
        )
        .unwrap();
        assert_eq!(
            got.join(" "),
            format!(
                "{PREFIX} --features ndarray -- --backend ndarray train softmax-scratch \
                 --epochs 3 --lr 0.1"
            )
        );
        let got = cargo_args("evaluate", &args("runs/x --backend=wgpu")).unwrap();
        assert!(
            got.join(" ")
                .ends_with("--features wgpu -- --backend wgpu evaluate runs/x"),
            "{got:?}"
        );
    }

    #[test]
    fn the_bench_on_another_backend_compiles_flex_beside_it() {
        let got = cargo_args("bench", &args("--backend wgpu --epochs 2")).unwrap();
        assert!(
            got.join(" ")
                .ends_with("--features wgpu,flex -- --backend wgpu bench --epochs 2"),
            "{got:?}"
        );
        let flex = cargo_args("bench", &[]).unwrap().join(" ");
        assert!(flex.contains("--features flex --"), "{flex}");
    }

    #[test]
    fn serving_and_the_remote_backend_build_burns_remote_backend() {
        let got = cargo_args("serve", &args("--backend wgpu --bind 0.0.0.0:3000")).unwrap();
        assert!(
            got.join(" ")
                .ends_with("--features wgpu,remote -- --backend wgpu serve --bind 0.0.0.0:3000"),
            "{got:?}"
        );
        let got = cargo_args("train", &args("--backend remote --remote ws://gpu:3000")).unwrap();
        assert!(
            got.join(" ").ends_with(
                "--features remote,flex -- --backend remote train --remote ws://gpu:3000"
            ),
            "{got:?}"
        );
    }

    #[test]
    fn unknown_or_missing_backends_are_refused() {
        assert!(
            cargo_args("train", &args("--backend cuda"))
                .unwrap_err()
                .contains("unknown backend")
        );
        assert!(
            cargo_args("train", &args("--backend"))
                .unwrap_err()
                .contains("needs a value")
        );
    }
}
