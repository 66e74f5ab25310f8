//! What the binary's tests share: running `d2l` as a user does.

use std::process::{Command, Output};

/// `d2l ARGS`, the binary of this build.
pub fn d2l(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_d2l"));
    command.args(args);
    command
}

/// Runs `command`, which must succeed (its stderr is shown when it does not).
pub fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
