//! `cargo xtask bench`: time Burn (release, flex by default) and, when `torch` imports, the
//! PyTorch reference of the same recipes, in one run; write `target/bench/bench.json`.

use crate::{Failure, project_root};

/// The arguments of `d2l bench`: the reference script and the report's path, then `args`.
pub fn bench_args(args: &[String]) -> Vec<String> {
    let root = project_root();
    let mut bench_args = vec![
        "--pytorch".to_string(),
        root.join("bench/pytorch_reference.py")
            .display()
            .to_string(),
        "--out".to_string(),
        root.join("target/bench/bench.json").display().to_string(),
    ];
    bench_args.extend_from_slice(args);
    bench_args
}

/// Runs the task.
pub fn run(args: &[String]) -> Result<(), Failure> {
    crate::verb::run("bench", &bench_args(args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bench_gets_the_reference_script_and_the_report_path() {
        let got = crate::verb::cargo_args("bench", &bench_args(&["--epochs".into(), "3".into()]))
            .unwrap()
            .join(" ");
        assert!(got.contains("-- --backend flex bench --pytorch "), "{got}");
        assert!(got.contains("bench/pytorch_reference.py --out "), "{got}");
        assert!(got.ends_with("target/bench/bench.json --epochs 3"), "{got}");
    }
}
