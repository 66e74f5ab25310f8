//! Kaggle's house prices (d2l 4.10): the CSV files, read with a fixed schema, and d2l's
//! preprocessing as a fitted, serialisable transform.
//!
//! Reading keeps every column by name. Missing cells are those pandas' `read_csv` reads as
//! missing by default ("NA", empty, "None", ...), so the features match what the book's code
//! gives with pandas 3.1: 36 standardised numeric columns, then one-hot columns of the 43
//! categorical ones (categories sorted, a "missing" indicator last), 330 in all.

use std::path::Path;

use crate::checksum::verify_sha256;
use crate::{DataError, Result};

mod frame;
mod preprocess;
#[cfg(test)]
mod tests;

pub use frame::{COLUMNS, Frame, ID, MISSING, NUMERIC, TARGET, Value};
pub use preprocess::{Feature, PreprocessOptions, Preprocessor};

/// The name of the dataset's folder under the data directory.
pub const DIR_NAME: &str = "kaggle-house";
/// The training file (1460 rows) and the SHA-256 of its bytes.
pub const TRAIN_FILE: (&str, &str) = (
    "train.csv",
    "1e18addf81e5e4d347cc17ee6075bbe4a42b7fa26b9e5b063e8f692a5f929d41",
);
/// The test file (1459 rows, no `SalePrice`) and the SHA-256 of its bytes.
pub const TEST_FILE: (&str, &str) = (
    "test.csv",
    "8fdd3d829d4d986b58f845c9553b225e67dd8383624d90fb6ca1d4bed5798c1e",
);
/// The Kaggle house data: `train.csv` (with `SalePrice`) and `test.csv`.
#[derive(Debug, Clone)]
pub struct KaggleHouse {
    /// The training frame, 1460 rows.
    pub train: Frame,
    /// The test frame, 1459 rows.
    pub test: Frame,
}

impl KaggleHouse {
    /// Loads both files from `data_dir/kaggle-house/`, verifying their SHA-256.
    pub fn load(data_dir: &Path) -> Result<Self> {
        let dir = data_dir.join(DIR_NAME);
        let read = |(name, sha256): (&str, &str), columns: &[&str]| -> Result<Frame> {
            let path = dir.join(name);
            let bytes = std::fs::read(&path).map_err(|source| DataError::Io {
                path: path.clone(),
                source,
            })?;
            verify_sha256(&path, "file", &bytes, sha256)?;
            Frame::parse(&path, &bytes, columns)
        };
        Ok(Self {
            train: read(TRAIN_FILE, &COLUMNS)?,
            test: read(TEST_FILE, &COLUMNS[..COLUMNS.len() - 1])?,
        })
    }
}

/// Reads a CSV of the user's with Kaggle's schema (no checksum, any number of rows): the
/// columns of `test.csv`, or those of `train.csv` (with `SalePrice`). Errors name the file,
/// line and column.
pub fn read_frame(path: &Path) -> Result<Frame> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let with_target = header
        .split(|&b| b == b',')
        .any(|cell| cell.trim_ascii() == TARGET.as_bytes());
    let columns = if with_target {
        &COLUMNS[..]
    } else {
        &COLUMNS[..COLUMNS.len() - 1]
    };
    Frame::parse(path, &bytes, columns)
}
