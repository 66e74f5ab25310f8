//! SHA-256 checks against the table in `datasets/README.md`.

use sha2::{Digest, Sha256};
use std::path::Path;

use crate::DataError;

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// Checks that `bytes` (read from `path`) hash to `expected`.
///
/// `what` says what was hashed (`"file"` or `"decompressed content"`) for the error message.
pub fn verify_sha256(
    path: &Path,
    what: &'static str,
    bytes: &[u8],
    expected: &str,
) -> Result<(), DataError> {
    let actual = sha256_hex(bytes);
    if actual == expected {
        Ok(())
    } else {
        Err(DataError::Checksum {
            path: path.to_path_buf(),
            what,
            expected: expected.to_string(),
            actual,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_the_empty_input_like_sha256sum() {
        // `printf '' | sha256sum`
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_mismatch_names_the_file_and_both_digests() {
        let err = verify_sha256(Path::new("x/data.bin"), "file", b"abc", "00").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("x/data.bin"), "{message}");
        assert!(message.contains("checksum mismatch"), "{message}");
        // `printf abc | sha256sum`
        assert!(
            message.contains("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            "{message}"
        );
    }
}
