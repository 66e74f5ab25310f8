//! Where a run came from: the [`Provenance`] block of `config.json`.

use d2l_device::Adapter;
use serde::{Deserialize, Serialize};

use super::Env;

/// Where a run came from, saved in `config.json` beside the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// When it started, UTC (`YYYYMMDD-HHMMSS`).
    pub started: String,
    /// This crate's version.
    pub version: String,
    /// The commit of the source tree it was built from, when git can tell.
    pub git_commit: Option<String>,
    /// The backend.
    pub backend: String,
    /// The device, as Burn describes it.
    pub device: String,
    /// The command line.
    pub command_line: Vec<String>,
    /// The adapter, for a GPU backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter: Option<Adapter>,
    /// The server whose device it ran on, for the remote backend (`ws://HOST:PORT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// The other devices of a data-parallel run, as `--devices` listed them; empty for one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_parallel: Vec<String>,
}

impl Provenance {
    /// The provenance of a run in `env`.
    pub fn new(env: &Env) -> Self {
        Self {
            started: d2l_learner::run::utc_timestamp(std::time::SystemTime::now()),
            version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: git_commit(),
            backend: env.backend.clone(),
            device: format!("{:?}", env.device),
            command_line: env.command_line.clone(),
            adapter: env.adapter.clone(),
            remote: env.remote.clone(),
            data_parallel: env
                .data_parallel
                .iter()
                .map(|(name, _)| name.clone())
                .collect(),
        }
    }
}

/// `git rev-parse HEAD` of the source tree this crate was built from, if it is still there.
fn git_commit() -> Option<String> {
    let output = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (output.status.success() && !commit.is_empty()).then_some(commit)
}
