//! `cargo xtask device-check --pack DIR`: everything a GPU machine needs to run the device
//! check without Rust or a network, built here: the `d2l` binary of the test build (stripped,
//! xz-compressed), the data, the PyTorch scripts and `run.sh` of `bench/gpu/`, and `pack.json`
//! (the commit, the binary's sizes).

use crate::{Failure, TEST_FEATURES, cargo, project_root, run};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The most a pack may weigh, in bytes (the device machines take a small upload).
pub const MAX_BYTES: u64 = 60 * 1024 * 1024;

/// The files of `bench/gpu/` that go into the pack.
pub const SCRIPTS: [&str; 4] = [
    "run.sh",
    "torch_gpu.py",
    "torch_kernels.py",
    "torch_graph.py",
];

/// The data files that go into the pack, under `datasets/`.
pub const DATA: [&str; 6] = [
    "fashion-mnist/train-images-idx3-ubyte.gz",
    "fashion-mnist/train-labels-idx1-ubyte.gz",
    "fashion-mnist/t10k-images-idx3-ubyte.gz",
    "fashion-mnist/t10k-labels-idx1-ubyte.gz",
    "kaggle-house/train.csv",
    "kaggle-house/test.csv",
];

/// The cargo arguments that build the binary: the test build's features and profile, so that
/// Burn is not compiled a second time.
pub fn build_args() -> Vec<String> {
    [
        "build",
        "--release",
        "--features",
        TEST_FEATURES,
        "--package",
        "d2l-cli",
        "--bin",
        "d2l",
    ]
    .map(String::from)
    .to_vec()
}

/// Builds the pack into `dir` (emptied first).
pub fn pack(dir: &Path) -> Result<(), Failure> {
    run(cargo().args(build_args()))?;
    let root = project_root();
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| io("remove", dir, e))?;
    }
    std::fs::create_dir_all(dir.join("datasets")).map_err(|e| io("create", dir, e))?;
    let binary = root.join("target/release/d2l");
    let unstripped = size(&binary)?;
    let stripped = dir.join("d2l");
    tool(Command::new("strip").arg("-o").arg(&stripped).arg(&binary))?;
    let stripped_bytes = size(&stripped)?;
    // -9e with 8 threads' worth of memory at most: about 4x smaller than the stripped binary.
    tool(
        Command::new("xz")
            .args(["-9e", "--threads=0", "--force"])
            .arg(&stripped),
    )?;
    for file in SCRIPTS {
        copy(&root.join("bench/gpu").join(file), &dir.join(file))?;
    }
    for file in DATA {
        let to = dir.join("datasets").join(file);
        std::fs::create_dir_all(to.parent().expect("a file in a folder"))
            .map_err(|e| io("create", &to, e))?;
        copy(&root.join("datasets").join(file), &to)?;
    }
    let compressed = size(&dir.join("d2l.xz"))?;
    let manifest = format!(
        "{{\"commit\": \"{}\", \"binary_bytes\": {unstripped}, \"stripped_bytes\": {stripped_bytes}, \
         \"xz_bytes\": {compressed}}}\n",
        crate::device_check::commit()
    );
    std::fs::write(dir.join("pack.json"), &manifest).map_err(|e| io("write", dir, e))?;
    let total = folder_size(dir)?;
    eprintln!(
        "pack: {} ({:.1} MB; d2l {:.1} MB, stripped {:.1} MB, xz {:.1} MB); run it with {}/run.sh",
        dir.display(),
        mb(total),
        mb(unstripped),
        mb(stripped_bytes),
        mb(compressed),
        dir.display()
    );
    match total <= MAX_BYTES {
        true => Ok(()),
        false => Err(Failure::Message(format!(
            "the pack weighs {:.1} MB, over its {:.0} MB",
            mb(total),
            mb(MAX_BYTES)
        ))),
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn io(what: &str, path: &Path, e: std::io::Error) -> Failure {
    Failure::Message(format!("cannot {what} {}: {e}", path.display()))
}

fn size(path: &Path) -> Result<u64, Failure> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| io("read", path, e))
}

fn copy(from: &Path, to: &Path) -> Result<(), Failure> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| io("copy", from, e))
}

/// Runs a tool of the system (`strip`, `xz`).
fn tool(command: &mut Command) -> Result<(), Failure> {
    run(command).map_err(|failure| match failure {
        Failure::Message(message) => Failure::Message(format!("{message} (is it installed?)")),
        status => status,
    })
}

/// The bytes of every file under `dir`.
fn folder_size(dir: &Path) -> Result<u64, Failure> {
    let mut total = 0;
    let mut folders: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).map_err(|e| io("read", &folder, e))? {
            let entry = entry.map_err(|e| io("read", &folder, e))?;
            let path = entry.path();
            match path.is_dir() {
                true => folders.push(path),
                false => total += size(&path)?,
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pack_takes_the_test_builds_binary_and_files_that_exist() {
        assert_eq!(
            build_args().join(" "),
            "build --release --features flex,ndarray,wgpu,burn-train,remote --package d2l-cli --bin d2l"
        );
        let root = project_root();
        for file in SCRIPTS {
            assert!(root.join("bench/gpu").join(file).is_file(), "{file}");
        }
        for file in DATA {
            assert!(root.join("datasets").join(file).is_file(), "{file}");
        }
        let data: u64 = DATA
            .iter()
            .map(|f| size(&root.join("datasets").join(f)).unwrap())
            .sum();
        // The compressed binary was 16.2 MiB (xz -9e of the stripped test-build binary).
        assert!(
            data + 25 * 1024 * 1024 <= MAX_BYTES,
            "the data leaves room for the binary"
        );
    }
}
