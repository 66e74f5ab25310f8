//! The one error type of this crate: every variant names the file it is about.

use std::path::PathBuf;

/// Why a dataset could not be loaded.
///
/// Each variant names the file involved, so that a message printed to a user says which file to
/// replace and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read. When it does not exist, the message says where
    /// the data directory comes from and what it holds.
    #[error("cannot read {path}: {source}{}", missing_hint(source))]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file is not a valid gzip stream (corrupt or truncated).
    #[error("{path}: corrupt or truncated gzip data: {source}")]
    Gzip {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        source: std::io::Error,
    },
    /// The content's SHA-256 is not the one published for this file.
    #[error(
        "{path}: checksum mismatch (sha256 of the {what} is {actual}, expected {expected}); \
         the file is corrupt or not the published one"
    )]
    Checksum {
        /// The file.
        path: PathBuf,
        /// What was hashed (`"file"` or `"decompressed content"`).
        what: &'static str,
        /// The published SHA-256, lower-case hex.
        expected: String,
        /// The SHA-256 that was computed, lower-case hex.
        actual: String,
    },
    /// The IDX content is malformed.
    #[error("{path}: invalid IDX file: {field}: {message}")]
    Idx {
        /// The file.
        path: PathBuf,
        /// The header field or section that is wrong (`"magic"`, `"dims"`, `"data"`, ...).
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A CSV file is malformed: wrong header, a short row, a value of the wrong type.
    #[error("{path}: line {line}{}: {message}", column.as_ref().map(|c| format!(", column {c}")).unwrap_or_default())]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line (the header is line 1).
        line: u64,
        /// The column, where one is to blame.
        column: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// Two files that must agree do not (e.g. image and label counts).
    #[error("{path}: {message}")]
    Mismatch {
        /// The file that disagrees with its companion.
        path: PathBuf,
        /// What disagrees.
        message: String,
    },
}

/// What to do about a data file that is not there: the data ships in the repository's
/// `datasets/` folder, which a crate installed from a registry does not have.
fn missing_hint(source: &std::io::Error) -> &'static str {
    match source.kind() {
        std::io::ErrorKind::NotFound => {
            "; the data directory is --data-dir, else $D2L_DATA_DIR, else the repository's \
             datasets/ folder: point it at a folder holding fashion-mnist/ (the four original \
             .gz files of Fashion-MNIST) and kaggle-house/ (train.csv, test.csv), as the \
             repository's datasets/README.md lists them with their sources and digests"
        }
        _ => "",
    }
}

/// The result type of this crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FashionMnist;

    #[test]
    fn a_missing_data_file_says_where_the_data_directory_comes_from() {
        let dir = tempfile::tempdir().unwrap();
        let err = FashionMnist::load(dir.path()).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&dir.path().display().to_string()),
            "{message}"
        );
        assert!(message.contains("$D2L_DATA_DIR"), "{message}");
        assert!(message.contains("--data-dir"), "{message}");
        // Other failures to read say what the system said, without the hint.
        let denied = DataError::Io {
            path: PathBuf::from("/data/x.gz"),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert!(!denied.to_string().contains("D2L_DATA_DIR"), "{denied}");
    }
}
