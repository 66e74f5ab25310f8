//! `cargo xtask lint`: formatting, clippy and the docs, all warnings denied, with the test
//! build's features and profile so that Burn is not compiled for another feature set; then
//! clippy on the one build outside it, the `vulkan` feature (SPIR-V), checked but not built;
//! then `cargo package` of every library crate, the versions this workspace shares with Burn
//! (`versions`), and the book: its pages checked and built from the figures of the
//! repository (`cargo xtask book --no-train`).

use crate::{Failure, TEST_ARGS, cargo, run};

/// A lint: cargo's arguments, and an environment variable it needs.
type Lint = (Vec<&'static str>, Option<(&'static str, &'static str)>);

/// The lint commands.
pub fn commands() -> Vec<Lint> {
    // `--workspace --features <TEST_FEATURES> --release`: the test command's feature set and
    // profile.
    let shared = &TEST_ARGS[1..];
    let with = |head: &[&'static str], tail: &[&'static str]| {
        head.iter().chain(shared).chain(tail).copied().collect()
    };
    vec![
        (vec!["fmt", "--all", "--check"], None),
        // The crate outside the workspace (examples/embed), which `--all` does not reach.
        (
            vec![
                "fmt",
                "--manifest-path",
                "examples/embed/Cargo.toml",
                "--check",
            ],
            None,
        ),
        (
            with(&["clippy", "--all-targets"], &["--", "-D", "warnings"]),
            None,
        ),
        (
            with(&["doc", "--no-deps"], &[]),
            Some(("RUSTDOCFLAGS", "-D warnings")),
        ),
        // The SPIR-V build (the `vulkan` feature) is not in the test build: software Vulkan
        // crashes under it. It is checked to compile, warnings denied (Burn's code is checked
        // once more for this feature set, not built).
        (
            vec![
                "clippy",
                "--package",
                "d2l-cli",
                "--no-default-features",
                "--features",
                "vulkan",
                "--release",
                "--",
                "-D",
                "warnings",
            ],
            None,
        ),
        // Every library crate packages as crates.io would take it (metadata, licence files,
        // versions on path dependencies). Not verified by building the packages: that would
        // compile Burn again, alone, for each feature set.
        (
            vec![
                "package",
                "--workspace",
                "--exclude",
                "d2l-cli",
                "--exclude",
                "xtask",
                "--no-verify",
                "--allow-dirty",
            ],
            None,
        ),
    ]
}

/// Runs every lint, stopping at the first that fails.
pub fn run_all() -> Result<(), Failure> {
    for (args, env) in commands() {
        let mut command = cargo();
        command.args(&args);
        if let Some((key, value)) = env {
            command.env(key, value);
        }
        run(&mut command)?;
    }
    crate::versions::check()?;
    crate::book::run(&["--no-train".to_string()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lints_share_the_test_builds_features_and_profile() {
        let lines: Vec<String> = commands().iter().map(|(args, _)| args.join(" ")).collect();
        assert_eq!(lines[0], "fmt --all --check");
        assert_eq!(
            lines[1],
            "fmt --manifest-path examples/embed/Cargo.toml --check"
        );
        assert_eq!(
            lines[2],
            "clippy --all-targets --workspace --features flex,ndarray,wgpu,burn-train,remote --release -- -D warnings"
        );
        assert_eq!(
            lines[3],
            "doc --no-deps --workspace --features flex,ndarray,wgpu,burn-train,remote --release"
        );
        assert_eq!(commands()[3].1, Some(("RUSTDOCFLAGS", "-D warnings")));
        assert_eq!(
            lines[4],
            "clippy --package d2l-cli --no-default-features --features vulkan --release -- \
             -D warnings"
        );
        assert_eq!(
            lines[5],
            "package --workspace --exclude d2l-cli --exclude xtask --no-verify --allow-dirty"
        );
    }
}
