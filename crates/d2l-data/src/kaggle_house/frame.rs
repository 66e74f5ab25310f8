//! The house CSV schema and a file read with it: named columns, typed cells, missing cells as
//! pandas reads them.

use std::path::{Path, PathBuf};

use crate::{DataError, Result};

/// The identifier column, dropped from the features.
pub const ID: &str = "Id";
/// The target column, only in the training file.
pub const TARGET: &str = "SalePrice";

/// The columns of `train.csv`, in order (`test.csv` has all but the last).
pub const COLUMNS: [&str; 81] = [
    "Id",
    "MSSubClass",
    "MSZoning",
    "LotFrontage",
    "LotArea",
    "Street",
    "Alley",
    "LotShape",
    "LandContour",
    "Utilities",
    "LotConfig",
    "LandSlope",
    "Neighborhood",
    "Condition1",
    "Condition2",
    "BldgType",
    "HouseStyle",
    "OverallQual",
    "OverallCond",
    "YearBuilt",
    "YearRemodAdd",
    "RoofStyle",
    "RoofMatl",
    "Exterior1st",
    "Exterior2nd",
    "MasVnrType",
    "MasVnrArea",
    "ExterQual",
    "ExterCond",
    "Foundation",
    "BsmtQual",
    "BsmtCond",
    "BsmtExposure",
    "BsmtFinType1",
    "BsmtFinSF1",
    "BsmtFinType2",
    "BsmtFinSF2",
    "BsmtUnfSF",
    "TotalBsmtSF",
    "Heating",
    "HeatingQC",
    "CentralAir",
    "Electrical",
    "1stFlrSF",
    "2ndFlrSF",
    "LowQualFinSF",
    "GrLivArea",
    "BsmtFullBath",
    "BsmtHalfBath",
    "FullBath",
    "HalfBath",
    "BedroomAbvGr",
    "KitchenAbvGr",
    "KitchenQual",
    "TotRmsAbvGrd",
    "Functional",
    "Fireplaces",
    "FireplaceQu",
    "GarageType",
    "GarageYrBlt",
    "GarageFinish",
    "GarageCars",
    "GarageArea",
    "GarageQual",
    "GarageCond",
    "PavedDrive",
    "WoodDeckSF",
    "OpenPorchSF",
    "EnclosedPorch",
    "3SsnPorch",
    "ScreenPorch",
    "PoolArea",
    "PoolQC",
    "Fence",
    "MiscFeature",
    "MiscVal",
    "MoSold",
    "YrSold",
    "SaleType",
    "SaleCondition",
    "SalePrice",
];

/// The numeric columns (pandas infers exactly these from the files); the others are
/// categorical.
pub const NUMERIC: [&str; 38] = [
    "Id",
    "MSSubClass",
    "LotFrontage",
    "LotArea",
    "OverallQual",
    "OverallCond",
    "YearBuilt",
    "YearRemodAdd",
    "MasVnrArea",
    "BsmtFinSF1",
    "BsmtFinSF2",
    "BsmtUnfSF",
    "TotalBsmtSF",
    "1stFlrSF",
    "2ndFlrSF",
    "LowQualFinSF",
    "GrLivArea",
    "BsmtFullBath",
    "BsmtHalfBath",
    "FullBath",
    "HalfBath",
    "BedroomAbvGr",
    "KitchenAbvGr",
    "TotRmsAbvGrd",
    "Fireplaces",
    "GarageYrBlt",
    "GarageCars",
    "GarageArea",
    "WoodDeckSF",
    "OpenPorchSF",
    "EnclosedPorch",
    "3SsnPorch",
    "ScreenPorch",
    "PoolArea",
    "MiscVal",
    "MoSold",
    "YrSold",
    "SalePrice",
];

/// The cell texts pandas' `read_csv` reads as missing by default (pandas 2+ includes "None").
pub const MISSING: [&str; 19] = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A missing value.
    Missing,
    /// A number (numeric columns).
    Number(f64),
    /// A category (categorical columns).
    Category(String),
}

/// A CSV file read with the house schema: named columns, typed cells.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The file it was read from.
    pub path: PathBuf,
    /// Column names, in file order.
    pub columns: Vec<String>,
    /// Rows of cells, in file order.
    pub rows: Vec<Vec<Value>>,
}

impl Frame {
    /// Parses CSV `bytes` read from `path` (named in errors) whose header must be `columns`.
    pub fn parse(path: &Path, bytes: &[u8], columns: &[&str]) -> Result<Self> {
        let err = |line: u64, column: Option<&str>, message: String| DataError::Csv {
            path: path.to_path_buf(),
            line,
            column: column.map(str::to_string),
            message,
        };
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
        let header = reader
            .headers()
            .map_err(|e| err(1, None, e.to_string()))?
            .clone();
        if header.iter().ne(columns.iter().copied()) {
            let found: Vec<&str> = header.iter().collect();
            let first_difference = columns
                .iter()
                .zip(&found)
                .position(|(a, b)| a != b)
                .unwrap_or(columns.len().min(found.len()));
            return Err(err(
                1,
                None,
                format!(
                    "unexpected header: {} columns, expected {}; first difference at column {}: \
                     found {:?}, expected {:?}",
                    found.len(),
                    columns.len(),
                    first_difference + 1,
                    found.get(first_difference),
                    columns.get(first_difference),
                ),
            ));
        }
        let numeric: Vec<bool> = columns.iter().map(|c| NUMERIC.contains(c)).collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                err(line, None, e.to_string())
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let mut row = Vec::with_capacity(columns.len());
            for ((cell, &is_numeric), name) in record.iter().zip(&numeric).zip(columns) {
                row.push(if MISSING.contains(&cell) {
                    Value::Missing
                } else if is_numeric {
                    Value::Number(
                        cell.parse().map_err(|_| {
                            err(line, Some(name), format!("{cell:?} is not a number"))
                        })?,
                    )
                } else {
                    Value::Category(cell.to_string())
                });
            }
            rows.push(row);
        }
        Ok(Self {
            path: path.to_path_buf(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The index of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The numbers of numeric column `name`, missing ones as `None`.
    ///
    /// # Panics
    /// When the frame has no such column.
    pub fn numbers(&self, name: &str) -> Vec<Option<f64>> {
        let at = self
            .column(name)
            .unwrap_or_else(|| panic!("no column {name}"));
        self.rows
            .iter()
            .map(|row| match row[at] {
                Value::Number(x) => Some(x),
                _ => None,
            })
            .collect()
    }
}
