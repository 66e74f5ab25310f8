//! Decompressed copies of gzip'd files, kept beside them (torchvision keeps the extracted
//! Fashion-MNIST files in its `raw/` folder the same way).
//!
//! The first load of `dir/name.gz` writes its content to `dir/.cache/name.gz-<size>-<mtime>`;
//! later loads read that copy instead of inflating again (for Fashion-MNIST's training images,
//! a read and a hash instead of a read, an inflate and a hash). The copy is named after the
//! compressed file's size and modification time, so a replaced file is inflated again and its
//! stale copy removed; and the content is verified against its SHA-256 on every load, cached
//! or not, so a damaged copy is never used: it is replaced. The cache is best effort: where the
//! folder cannot be written (a read-only data directory), loading works as without it.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::checksum::{sha256_hex, verify_sha256};
use crate::idx::read_maybe_gz;
use crate::{DataError, Result};

/// The folder, beside the compressed files, that holds their decompressed copies.
pub const CACHE_DIR: &str = ".cache";

/// Whether loading keeps decompressed copies of gzip'd files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cache {
    /// Read a file's decompressed copy when there is a valid one; write one when there is not.
    #[default]
    Use,
    /// Inflate every time; write nothing.
    Off,
}

/// The content of `path` (gunzipped when its name ends in `.gz`), checked against `sha256`
/// (lower-case hex of the decompressed content), through the cache beside it when `cache`
/// says so.
///
/// # Errors
/// The file cannot be read, is not valid gzip, or its content does not hash to `sha256`;
/// each error names `path`.
pub fn read_verified(path: &Path, sha256: &str, cache: Cache) -> Result<Vec<u8>> {
    let entry = match cache {
        Cache::Use => entry_path(path)?,
        Cache::Off => None,
    };
    if let Some(entry) = &entry
        && let Ok(bytes) = std::fs::read(entry)
        && sha256_hex(&bytes) == sha256
    {
        return Ok(bytes);
    }
    let bytes = read_maybe_gz(path)?;
    verify_sha256(path, "decompressed content", &bytes, sha256)?;
    if let Some(entry) = &entry {
        store(entry, &bytes);
    }
    Ok(bytes)
}

/// Where the decompressed copy of `path` lives, or `None` for a file that is not gzip'd or
/// whose modification time is unknown.
fn entry_path(path: &Path) -> Result<Option<PathBuf>> {
    let name = match path.file_name().and_then(|n| n.to_str()) {
        Some(name) if name.ends_with(".gz") => name,
        _ => return Ok(None),
    };
    let metadata = std::fs::metadata(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let Some(mtime) = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
    else {
        return Ok(None);
    };
    let dir = path.parent().unwrap_or(Path::new("")).join(CACHE_DIR);
    Ok(Some(dir.join(format!(
        "{name}-{}-{}",
        metadata.len(),
        mtime.as_nanos()
    ))))
}

/// Writes `bytes` to `entry` (through a temporary file and a rename, so that a reader never
/// sees half a copy) and removes the older copies of the same file. Failures are ignored:
/// the cache only saves time.
fn store(entry: &Path, bytes: &[u8]) {
    let (Some(dir), Some(name)) = (entry.parent(), entry.file_name().and_then(|n| n.to_str()))
    else {
        return;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let temporary = dir.join(format!(
        "{name}.tmp-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    if std::fs::write(&temporary, bytes).is_err() || std::fs::rename(&temporary, entry).is_err() {
        let _ = std::fs::remove_file(&temporary);
        return;
    }
    // `name` is `<file>.gz-<size>-<mtime>`: older copies share `<file>.gz-`.
    let Some(stem) = name.rsplitn(3, '-').nth(2) else {
        return;
    };
    let prefix = format!("{stem}-");
    for old in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let old_name = old.file_name();
        let old_name = old_name.to_string_lossy();
        if old_name.starts_with(&prefix) && old_name != name && !old_name.contains(".tmp-") {
            let _ = std::fs::remove_file(old.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;
    use std::time::{Duration, SystemTime};

    fn write_gz(path: &Path, content: &[u8], mtime: SystemTime) {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(content).unwrap();
        let file = std::fs::File::create(path).unwrap();
        (&file).write_all(&encoder.finish().unwrap()).unwrap();
        file.set_modified(mtime).unwrap();
    }

    /// A temporary folder holding `data.gz` of `content`, modified at `mtime`.
    fn gz_file(content: &[u8], mtime: SystemTime) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.gz");
        write_gz(&path, content, mtime);
        (dir, path)
    }

    fn entries(dir: &Path) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir.join(CACHE_DIR))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        found.sort();
        found
    }

    #[test]
    fn the_first_load_writes_a_copy_that_later_loads_read() {
        let content = b"decompressed content".repeat(100);
        let (dir, path) = gz_file(&content, SystemTime::now());
        let sha = sha256_hex(&content);
        assert_eq!(read_verified(&path, &sha, Cache::Use).unwrap(), content);
        let [entry] = entries(dir.path()).try_into().unwrap();
        assert_eq!(std::fs::read(&entry).unwrap(), content);
        // The copy, not the compressed file, is read now: a damaged `.gz` with the same size
        // and time goes unnoticed while its verified copy serves the same content.
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        let mut damaged = std::fs::read(&path).unwrap();
        let middle = damaged.len() / 2;
        damaged[middle] ^= 0xff;
        std::fs::write(&path, &damaged).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        assert_eq!(read_verified(&path, &sha, Cache::Use).unwrap(), content);
        // Without the cache the damage is found.
        let err = read_verified(&path, &sha, Cache::Off).unwrap_err();
        assert!(err.to_string().contains("data.gz"), "{err}");
    }

    #[test]
    fn a_damaged_copy_is_replaced_and_a_replaced_file_inflated_again() {
        let first = b"first version".repeat(50);
        let t0 = SystemTime::now() - Duration::from_secs(100);
        let (dir, path) = gz_file(&first, t0);
        read_verified(&path, &sha256_hex(&first), Cache::Use).unwrap();
        let [entry] = entries(dir.path()).try_into().unwrap();
        std::fs::write(&entry, b"damaged").unwrap();
        assert_eq!(
            read_verified(&path, &sha256_hex(&first), Cache::Use).unwrap(),
            first
        );
        assert_eq!(
            std::fs::read(&entry).unwrap(),
            first,
            "the copy was rewritten"
        );

        let second = b"second version, longer".repeat(50);
        write_gz(&path, &second, t0 + Duration::from_secs(10));
        assert_eq!(
            read_verified(&path, &sha256_hex(&second), Cache::Use).unwrap(),
            second
        );
        let [entry] = entries(dir.path()).try_into().unwrap();
        assert_eq!(
            std::fs::read(&entry).unwrap(),
            second,
            "the stale copy is gone"
        );
    }

    #[test]
    fn loading_works_where_the_cache_cannot_be_written_and_off_writes_nothing() {
        let content = b"content".repeat(10);
        let (dir, path) = gz_file(&content, SystemTime::now());
        let sha = sha256_hex(&content);
        assert_eq!(read_verified(&path, &sha, Cache::Off).unwrap(), content);
        assert!(entries(dir.path()).is_empty());
        // A file where the folder should be: no folder can be made there.
        std::fs::write(dir.path().join(CACHE_DIR), b"").unwrap();
        assert_eq!(read_verified(&path, &sha, Cache::Use).unwrap(), content);
    }

    #[test]
    fn a_wrong_checksum_names_the_compressed_file_and_caches_nothing() {
        let (dir, path) = gz_file(b"content", SystemTime::now());
        let err = read_verified(&path, &sha256_hex(b"other"), Cache::Use).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("data.gz") && message.contains("checksum mismatch"),
            "{message}"
        );
        assert!(entries(dir.path()).is_empty());
    }
}
