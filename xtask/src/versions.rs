//! Part of `cargo xtask lint`: the dependencies this workspace names that Burn also depends on
//! are the versions Burn uses. Each is named for a reason that a second version would silently
//! defeat: `gemm` turns on the AVX-512 kernels of Burn's CPU matrix products (a gemm that Burn
//! does not use would turn on nothing), `wgpu` reads the adapter of Burn's devices, `rand`
//! shares Burn's generators' crate. A Burn upgrade that moves one of them fails here.

use crate::{Failure, TEST_FEATURES, cargo};
use std::collections::{BTreeMap, BTreeSet};

/// The dependencies checked.
pub const SHARED_WITH_BURN: [&str; 3] = ["gemm", "wgpu", "rand"];

/// Runs the check on the test build's dependency tree.
pub fn check() -> Result<(), Failure> {
    let output = cargo()
        .args([
            "tree",
            "--workspace",
            "--features",
            TEST_FEATURES,
            "-e",
            "normal",
        ])
        .args(["--prefix", "depth", "--format", "{p}"])
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let tree = String::from_utf8_lossy(&output.stdout);
    let problems = mismatches(&tree, &SHARED_WITH_BURN);
    match problems.is_empty() {
        true => {
            println!(
                "versions: {} as Burn uses them",
                SHARED_WITH_BURN.join(", ")
            );
            Ok(())
        }
        false => Err(problems.join("\n").into()),
    }
}

/// For each of `names`, the versions the workspace's own crates depend on that Burn's crates
/// (`burn*`, `cubecl*`, `cubek*`) do not, as messages; `tree` is `cargo tree --prefix depth
/// --format {p}`: a depth, a package name, ` v`, its version, then anything.
pub fn mismatches(tree: &str, names: &[&str]) -> Vec<String> {
    // name -> versions depended on, by whom: the workspace, Burn.
    let mut ours: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut burns: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    // The package at each depth on the current path: (name, is a workspace crate).
    let mut path: Vec<(&str, bool)> = Vec::new();
    for line in tree.lines() {
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        let Ok(depth) = line[..digits].parse::<usize>() else {
            continue;
        };
        let mut words = line[digits..].split_whitespace();
        let (Some(name), Some(version)) = (words.next(), words.next()) else {
            continue;
        };
        let version = version.trim_start_matches('v');
        let local = line.contains(" (/") || line.contains(" (.");
        path.truncate(depth);
        if let (Some(&(parent, parent_local)), true) = (path.last(), names.contains(&name)) {
            if parent_local {
                ours.entry(name).or_default().insert(version);
            }
            if ["burn", "cubecl", "cubek"]
                .iter()
                .any(|p| parent.starts_with(p))
            {
                burns.entry(name).or_default().insert(version);
            }
        }
        path.push((name, local));
    }
    let mut problems = Vec::new();
    for name in names {
        let burn = burns.get(name).cloned().unwrap_or_default();
        for version in ours.get(name).into_iter().flatten() {
            if !burn.contains(version) {
                problems.push(format!(
                    "{name} {version}: named by this workspace, but Burn's crates use {}",
                    match burn.is_empty() {
                        true => "no version of it".to_string(),
                        false => burn.iter().cloned().collect::<Vec<_>>().join(", "),
                    }
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_burn_does_not_use_is_named_and_one_it_uses_passes() {
        let tree = "\
0d2l-data v0.1.0 (/w/crates/d2l-data)
1burn v0.22.1
2burn-core v0.22.1
3rand v0.10.4
1rand v0.9.5
0d2l v0.1.0 (/w/crates/d2l)
1gemm v0.19.0
1burn v0.22.1 (*)
2burn-flex v0.22.1
3gemm v0.19.0
";
        let problems = mismatches(tree, &["gemm", "rand"]);
        assert_eq!(
            problems,
            vec!["rand 0.9.5: named by this workspace, but Burn's crates use 0.10.4"]
        );
        let fixed = tree.replace("1rand v0.9.5", "1rand v0.10.4");
        assert!(mismatches(&fixed, &["gemm", "rand"]).is_empty());
        // A crate of the workspace's own that Burn does not depend on at all.
        let alone = "0d2l v0.1.0 (/w/crates/d2l)\n1wgpu v30.0.2\n";
        assert_eq!(
            mismatches(alone, &["wgpu"]),
            vec!["wgpu 30.0.2: named by this workspace, but Burn's crates use no version of it"]
        );
    }
}
