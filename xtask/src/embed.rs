//! Part of `cargo xtask test`: `examples/embed`, a crate outside the workspace that depends on
//! the library crates as another project would (its own workspace, `burn` with the flex backend
//! only), built and run: two epochs of its own model, saved, reloaded and evaluated.
//!
//! It shares the workspace's `target/` folder, so the dependencies that do not depend on
//! Burn's features are compiled once; Burn itself is compiled once more for its single backend
//! (about 7 minutes on 2 cores, the first time).

use crate::{Failure, cargo, project_root, run};

/// The cargo arguments that build and run the example.
pub fn args() -> Vec<&'static str> {
    vec![
        "run",
        "--release",
        "--manifest-path",
        "examples/embed/Cargo.toml",
        "--",
        "2",
    ]
}

/// Builds and runs the example.
pub fn run_example() -> Result<(), Failure> {
    let mut command = cargo();
    command
        .args(args())
        .env("CARGO_TARGET_DIR", project_root().join("target"));
    run(&mut command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_is_a_crate_of_its_own_with_one_backend() {
        let manifest =
            std::fs::read_to_string(project_root().join("examples/embed/Cargo.toml")).unwrap();
        assert!(manifest.contains("\n[workspace]\n"), "its own workspace");
        assert!(
            manifest.contains(r#"burn = { version = "0.22.1", features = ["flex"] }"#),
            "burn on its own line, one backend"
        );
        for dependency in ["d2l-data", "d2l-learner", "d2l-models"] {
            assert!(
                manifest.contains(&format!("{dependency} = {{ path = ")),
                "{dependency}"
            );
        }
        assert_eq!(
            args().join(" "),
            "run --release --manifest-path examples/embed/Cargo.toml -- 2"
        );
    }
}
