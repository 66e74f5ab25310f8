//! `cargo xtask device-check --pack DIR`: everything a GPU machine needs to run the device
//! check without Rust or a network, built here: two `d2l` binaries, one compiling kernels to
//! WGSL (`d2l`, the `flex` and `wgpu` features) and one to SPIR-V (`d2l-spirv`, the `vulkan`
//! feature), stripped and xz-compressed together (`bin.tar.xz`), the data, the PyTorch scripts
//! and `run.sh` of `bench/gpu/`, and `pack.json` (the commit, the sizes).
//!
//! Neither is the test build's binary: with every backend and the remote one (Iroh and Burn's
//! server) it is 171 MB stripped, 26.6 MiB compressed, which with the SPIR-V binary and the
//! data would not fit the pack. Each is a build of Burn of its own (about 20 minutes on 2
//! cores the first time; the SPIR-V one in `target/spirv`, so that neither overwrites the
//! other's `d2l`). Software Vulkan crashes under SPIR-V, so the test build cannot hold it; a
//! GPU is where it is measured (CubeCL keeps its compiled kernels between runs, WGSL's not).

use crate::{Failure, cargo, project_root, run};
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

/// A binary of the pack: how it is built, where cargo leaves it, its name in the pack.
pub struct Binary {
    /// Its name in the pack (inside [`ARCHIVE`]).
    pub name: &'static str,
    /// The cargo arguments that build it.
    pub build: Vec<String>,
    /// Where the build leaves it, under the project's root.
    pub built: &'static str,
}

/// The pack's binaries: `d2l`, the CPU backend the bench times beside the GPU and wgpu with
/// WGSL, and `d2l-spirv`, wgpu with the SPIR-V compiler (the feature set `cargo xtask lint`
/// checks) in a target folder of its own.
pub fn binaries() -> [Binary; 2] {
    let args = |extra: &[&str]| {
        let mut args = vec!["build", "--release", "--no-default-features"];
        args.extend(extra);
        args.extend(["--package", "d2l-cli", "--bin", "d2l"]);
        args.into_iter().map(String::from).collect()
    };
    [
        Binary {
            name: "d2l",
            build: args(&["--features", "flex,wgpu"]),
            built: "target/release/d2l",
        },
        Binary {
            name: "d2l-spirv",
            build: args(&["--target-dir", "target/spirv", "--features", "vulkan"]),
            built: "target/spirv/release/d2l",
        },
    ]
}

/// The archive of the stripped binaries in the pack.
pub const ARCHIVE: &str = "bin.tar.xz";

/// Builds the pack into `dir` (emptied first).
pub fn pack(dir: &Path) -> Result<(), Failure> {
    let root = project_root();
    for binary in binaries() {
        run(cargo().args(&binary.build))?;
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| io("remove", dir, e))?;
    }
    std::fs::create_dir_all(dir.join("datasets")).map_err(|e| io("create", dir, e))?;
    let sizes = compress(&root, &binaries(), dir)?;
    for file in SCRIPTS {
        copy(&root.join("bench/gpu").join(file), &dir.join(file))?;
    }
    for file in DATA {
        let to = dir.join("datasets").join(file);
        std::fs::create_dir_all(to.parent().expect("a file in a folder"))
            .map_err(|e| io("create", &to, e))?;
        copy(&root.join("datasets").join(file), &to)?;
    }
    let manifest = format!(
        "{{\"commit\": \"{}\", {}}}\n",
        crate::device_check::commit(),
        sizes.json()
    );
    std::fs::write(dir.join("pack.json"), &manifest).map_err(|e| io("write", dir, e))?;
    let total = folder_size(dir)?;
    eprintln!(
        "pack: {} ({:.1} MB; {}); run it with {}/run.sh",
        dir.display(),
        mb(total),
        sizes.described(),
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

/// The binaries' bytes, as built and stripped, and their archive's.
struct Sizes {
    binaries: Vec<(&'static str, u64, u64)>,
    archive: u64,
}

impl Sizes {
    fn json(&self) -> String {
        let binaries: Vec<String> = self
            .binaries
            .iter()
            .map(|(name, built, stripped)| {
                format!("\"{name}\": {{\"binary_bytes\": {built}, \"stripped_bytes\": {stripped}}}")
            })
            .collect();
        format!("{}, \"xz_bytes\": {}", binaries.join(", "), self.archive)
    }

    fn described(&self) -> String {
        let binaries: Vec<String> = self
            .binaries
            .iter()
            .map(|(name, built, stripped)| {
                format!(
                    "{name} {:.1} MB, stripped {:.1} MB",
                    mb(*built),
                    mb(*stripped)
                )
            })
            .collect();
        format!(
            "{}; {ARCHIVE} {:.1} MB",
            binaries.join("; "),
            mb(self.archive)
        )
    }
}

/// Strips `binaries` (built under `root`) into `dir/bin/`, then archives them into
/// `dir/bin.tar` and compresses that into [`ARCHIVE`] in one stream: with a dictionary larger
/// than both, the code they share (Burn, CubeCL, wgpu) is stored about once.
fn compress(root: &Path, binaries: &[Binary], dir: &Path) -> Result<Sizes, Failure> {
    let staging = dir.join("bin");
    std::fs::create_dir_all(&staging).map_err(|e| io("create", &staging, e))?;
    let mut sizes = Vec::new();
    for binary in binaries {
        let built = root.join(binary.built);
        let stripped = staging.join(binary.name);
        tool(Command::new("strip").arg("-o").arg(&stripped).arg(&built))?;
        sizes.push((binary.name, size(&built)?, size(&stripped)?));
    }
    let names = binaries.iter().map(|binary| binary.name);
    let tar = dir.join("bin.tar");
    tool(
        Command::new("tar")
            .arg("-cf")
            .arg(&tar)
            .arg("-C")
            .arg(&staging)
            .args(names),
    )?;
    // xz replaces bin.tar with bin.tar.xz.
    tool(
        Command::new("xz")
            .args(["--lzma2=preset=9e,dict=256MiB", "--force"])
            .arg(&tar),
    )?;
    std::fs::remove_dir_all(&staging).map_err(|e| io("remove", &staging, e))?;
    Ok(Sizes {
        binaries: sizes,
        archive: size(&dir.join(ARCHIVE))?,
    })
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
    fn the_pack_builds_a_wgsl_and_a_spirv_binary_apart_and_takes_files_that_exist() {
        let [wgsl, spirv] = binaries();
        assert_eq!(
            wgsl.build.join(" "),
            "build --release --no-default-features --features flex,wgpu --package d2l-cli --bin d2l"
        );
        // The feature set cargo xtask lint checks, built apart.
        assert_eq!(
            spirv.build.join(" "),
            "build --release --no-default-features --target-dir target/spirv --features vulkan \
             --package d2l-cli --bin d2l"
        );
        assert_ne!(wgsl.built, spirv.built);
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
        // The two stripped binaries, 89.0 and 95.4 MiB, compressed together to 23.1 MiB.
        assert!(
            data + 28 * 1024 * 1024 <= MAX_BYTES,
            "the data leaves room for the binary"
        );
    }
}
