//! Kaggle's house prices (d2l 4.10): the CSV files, read with a fixed schema, and d2l's
//! preprocessing as a fitted, serialisable transform.
//!
//! Reading keeps every column by name. Missing cells are those pandas' `read_csv` reads as
//! missing by default ("NA", empty, "None", ...), so the features match what the book's code
//! gives with pandas 3.1: 36 standardised numeric columns, then one-hot columns of the 43
//! categorical ones (categories sorted, a "missing" indicator last), 330 in all.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::checksum::verify_sha256;
use crate::{DataError, Result};

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

/// How one input column becomes features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Feature {
    /// Standardised: `(x - mean) / std`, missing as 0; optionally `x` is first replaced by
    /// `ln(1 + max(x, 0))` and the standardised value clipped.
    Numeric {
        /// Column name.
        name: String,
        /// Mean of the fitted values (after `log1p` where set).
        mean: f64,
        /// Sample standard deviation of the fitted values (after `log1p` where set).
        std: f64,
        /// Whether values go through `ln(1 + max(x, 0))` first.
        #[serde(default)]
        log1p: bool,
        /// The standardised value is clipped to `[-clip, clip]`.
        #[serde(default)]
        clip: Option<f64>,
    },
    /// One-hot over the sorted categories, then a missing indicator.
    Categorical {
        /// Column name.
        name: String,
        /// The categories seen when fitting, sorted.
        categories: Vec<String>,
    },
}

impl Feature {
    /// The input column it reads.
    pub fn name(&self) -> &str {
        match self {
            Feature::Numeric { name, .. } | Feature::Categorical { name, .. } => name,
        }
    }

    /// How many output features it produces: 1, or one per category plus the missing
    /// indicator.
    pub fn width(&self) -> usize {
        match self {
            Feature::Numeric { .. } => 1,
            Feature::Categorical { categories, .. } => categories.len() + 1,
        }
    }
}

/// Changes to d2l's preprocessing (all off by default, which is the book's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PreprocessOptions {
    /// Numeric columns whose skewness (pandas' `skew()`, over the fitted values) exceeds this
    /// in absolute value are transformed by `ln(1 + max(x, 0))` before standardising.
    pub log1p_skewed: Option<f64>,
    /// Standardised numeric values are clipped to `[-clip, clip]`.
    pub clip: Option<f64>,
}

/// d2l's preprocessing, fitted: standardise numeric columns (mean and sample standard
/// deviation), fill their missing values with 0, one-hot encode categorical ones with a
/// missing indicator (`get_dummies(dummy_na=True)`). Numeric features come first, then the
/// dummies, each group in column order. Serialisable, so the same transform applies to new data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessor {
    /// The features, in output order.
    pub features: Vec<Feature>,
}

impl Preprocessor {
    /// Fits on `frames` together (d2l concatenates train and test features), ignoring `Id`
    /// and `SalePrice`.
    pub fn fit(frames: &[&Frame]) -> Self {
        Self::fit_with(frames, PreprocessOptions::default())
    }

    /// [`fit`](Self::fit) with changes to the book's preprocessing.
    pub fn fit_with(frames: &[&Frame], options: PreprocessOptions) -> Self {
        let first = frames.first().expect("at least one frame");
        let inputs = first.columns.iter().filter(|c| *c != ID && *c != TARGET);
        let (mut numeric, mut categorical) = (Vec::new(), Vec::new());
        for name in inputs {
            let cells = frames.iter().flat_map(|f| {
                let at = f.column(name).expect("frames share their input columns");
                f.rows.iter().map(move |row| &row[at])
            });
            if NUMERIC.contains(&name.as_str()) {
                let mut values: Vec<f64> = cells
                    .filter_map(|v| match v {
                        Value::Number(x) => Some(*x),
                        _ => None,
                    })
                    .collect();
                let log1p = options
                    .log1p_skewed
                    .is_some_and(|limit| skewness(&values).abs() > limit);
                if log1p {
                    values.iter_mut().for_each(|x| *x = x.max(0.0).ln_1p());
                }
                let (mean, std) = mean_and_sample_std(&values);
                numeric.push(Feature::Numeric {
                    name: name.clone(),
                    mean,
                    std,
                    log1p,
                    clip: options.clip,
                });
            } else {
                let categories: BTreeSet<String> = cells
                    .filter_map(|v| match v {
                        Value::Category(c) => Some(c.clone()),
                        _ => None,
                    })
                    .collect();
                categorical.push(Feature::Categorical {
                    name: name.clone(),
                    categories: categories.into_iter().collect(),
                });
            }
        }
        numeric.extend(categorical);
        Self { features: numeric }
    }

    /// Number of output features.
    pub fn num_features(&self) -> usize {
        self.features.iter().map(Feature::width).sum()
    }

    /// The output features' names, as pandas names them (`LotArea`, `MSZoning_RL`,
    /// `MSZoning_nan`).
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.num_features());
        for feature in &self.features {
            match feature {
                Feature::Numeric { name, .. } => names.push(name.clone()),
                Feature::Categorical { name, categories } => {
                    names.extend(categories.iter().map(|c| format!("{name}_{c}")));
                    names.push(format!("{name}_nan"));
                }
            }
        }
        names
    }

    /// The features of every row of `frame`, row-major `[rows, num_features]`, as f32. A
    /// category not seen when fitting gets no indicator.
    pub fn transform(&self, frame: &Frame) -> Result<Vec<f32>> {
        let width = self.num_features();
        let mut out = vec![0f32; frame.len() * width];
        let mut offset = 0;
        for feature in &self.features {
            let name = feature.name();
            let at = frame.column(name).ok_or_else(|| DataError::Csv {
                path: frame.path.clone(),
                line: 1,
                column: Some(name.to_string()),
                message: "the column is missing".to_string(),
            })?;
            for (row, cells) in frame.rows.iter().enumerate() {
                let base = row * width + offset;
                match (feature, &cells[at]) {
                    (
                        Feature::Numeric {
                            mean,
                            std,
                            log1p,
                            clip,
                            ..
                        },
                        Value::Number(x),
                    ) => {
                        let x = if *log1p { x.max(0.0).ln_1p() } else { *x };
                        let z = (x - mean) / std;
                        out[base] = clip.map_or(z, |c| z.clamp(-c, c)) as f32;
                    }
                    (Feature::Categorical { categories, .. }, Value::Category(c)) => {
                        if let Ok(i) = categories.binary_search(c) {
                            out[base + i] = 1.0;
                        }
                    }
                    (Feature::Categorical { categories, .. }, Value::Missing) => {
                        out[base + categories.len()] = 1.0;
                    }
                    _ => {} // a missing number stays 0
                }
            }
            offset += feature.width();
        }
        Ok(out)
    }
}

/// Mean and sample standard deviation (`n - 1`), as pandas' `mean()` and `std()`.
fn mean_and_sample_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// pandas' `skew()`: the adjusted Fisher–Pearson coefficient `G1 = g1 * sqrt(n (n-1)) / (n-2)`.
fn skewness(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    if n < 3.0 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / n;
    let m2 = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m3 = values.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n;
    if m2 == 0.0 {
        return 0.0;
    }
    m3 / m2.powf(1.5) * (n * (n - 1.0)).sqrt() / (n - 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &[&str] = &["Id", "LotArea", "Street", "SalePrice"];

    fn parse(text: &str) -> Result<Frame> {
        Frame::parse(Path::new("dir/tiny.csv"), text.as_bytes(), TINY)
    }

    #[test]
    fn reads_typed_cells_and_pandas_missing_markers() {
        let frame = parse("Id,LotArea,Street,SalePrice\n1,10,Pave,100\n2,NA,None,200\n").unwrap();
        assert_eq!(frame.len(), 2);
        assert_eq!(frame.rows[0][2], Value::Category("Pave".into()));
        assert_eq!(frame.rows[1][1], Value::Missing);
        assert_eq!(frame.rows[1][2], Value::Missing);
        assert_eq!(frame.numbers("SalePrice"), vec![Some(100.0), Some(200.0)]);
    }

    #[test]
    fn malformed_files_name_file_line_and_column() {
        let m = parse("Id,LotArea,Street\n1,2,3\n").unwrap_err().to_string();
        assert!(
            m.contains("dir/tiny.csv") && m.contains("line 1") && m.contains("header"),
            "{m}"
        );
        let m = parse("Id,LotArea,Street,SalePrice\n1,10,Pave,100\n2,20,Pave\n")
            .unwrap_err()
            .to_string();
        assert!(m.contains("dir/tiny.csv") && m.contains("line 3"), "{m}");
        let m = parse("Id,LotArea,Street,SalePrice\n1,10,Pave,100\n2,big,Pave,1\n")
            .unwrap_err()
            .to_string();
        assert!(
            m.contains("line 3") && m.contains("LotArea") && m.contains("\"big\" is not a number"),
            "{m}"
        );
    }

    #[test]
    fn standardises_and_one_hot_encodes_like_pandas() {
        let frame =
            parse("Id,LotArea,Street,SalePrice\n1,1,Pave,1\n2,2,Grvl,1\n3,3,,1\n4,NA,Pave,1\n")
                .unwrap();
        let pre = Preprocessor::fit(&[&frame]);
        assert_eq!(
            pre.feature_names(),
            vec!["LotArea", "Street_Grvl", "Street_Pave", "Street_nan"]
        );
        let x = pre.transform(&frame).unwrap();
        // LotArea 1, 2, 3: mean 2, sample std 1; the missing one becomes 0.
        let rows: Vec<&[f32]> = x.chunks(4).collect();
        assert_eq!(rows[0], [-1.0, 0.0, 1.0, 0.0]);
        assert_eq!(rows[1], [0.0, 1.0, 0.0, 0.0]);
        assert_eq!(rows[2], [1.0, 0.0, 0.0, 1.0]);
        assert_eq!(rows[3], [0.0, 0.0, 1.0, 0.0]);
        let json = serde_json::to_string(&pre).unwrap();
        assert_eq!(serde_json::from_str::<Preprocessor>(&json).unwrap(), pre);
    }

    #[test]
    fn skewed_columns_are_log_transformed_and_values_clipped() {
        let frame =
            parse("Id,LotArea,Street,SalePrice\n1,1,Pave,1\n2,2,Pave,1\n3,3,Pave,1\n4,10,Pave,1\n")
                .unwrap();
        // pandas: pd.Series([1, 2, 3, 10]).skew() == 1.763632614803888
        assert!((skewness(&[1.0, 2.0, 3.0, 10.0]) - 1.763_632_614_803_888).abs() < 1e-12);
        let options = PreprocessOptions {
            log1p_skewed: Some(0.75),
            clip: Some(1.0),
        };
        let pre = Preprocessor::fit_with(&[&frame], options);
        let x = pre.transform(&frame).unwrap();
        // pandas: l = np.log1p(s); (l - l.mean()) / l.std() gives
        // [-0.963796, -0.406200, -0.010579, 1.380575]; the last is clipped to 1.
        let expected = [-0.963_796, -0.406_2, -0.010_579, 1.0];
        // Three features per row: LotArea, Street_Pave, Street_nan.
        for (got, want) in x.iter().step_by(3).zip(expected) {
            assert!((got - want).abs() < 1e-5, "{x:?}");
        }
        // Below the skewness limit nothing is transformed.
        let limit = PreprocessOptions {
            log1p_skewed: Some(2.0),
            clip: None,
        };
        let plain = Preprocessor::fit_with(&[&frame], limit);
        assert_eq!(plain, Preprocessor::fit(&[&frame]));
    }
}
