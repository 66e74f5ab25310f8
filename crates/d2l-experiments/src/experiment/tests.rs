//! The unit tests of `experiment`.

use super::*;

fn adapter(kind: &str) -> Adapter {
    Adapter {
        name: format!("a {kind} adapter"),
        kind: kind.to_string(),
        driver: String::new(),
    }
}

#[test]
fn a_run_waits_for_each_step_on_a_software_adapter_only() {
    let runs = tempfile::tempdir().unwrap();
    let dir = RunDir::create(runs.path(), "run").unwrap();
    let mut env = Env::new("flex", Device::flex());
    assert!(!env.run(&dir).wait_each_step, "a CPU backend");
    for (kind, waits) in [("cpu", true), ("discrete", false), ("integrated", false)] {
        env.adapter = Some(adapter(kind));
        assert_eq!(env.run(&dir).wait_each_step, waits, "{kind}");
    }
}
