//! d2l's preprocessing of the house features as a fitted, serialisable transform: numeric
//! columns standardised (missing as 0), categorical ones one-hot with a missing indicator.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use super::frame::{Frame, ID, NUMERIC, TARGET, Value};
use crate::{DataError, Result};

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

    // ANCHOR: fit_with
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
    // ANCHOR_END: fit_with

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

    // ANCHOR: transform
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
    // ANCHOR_END: transform
}

/// Mean and sample standard deviation (`n - 1`), as pandas' `mean()` and `std()`.
fn mean_and_sample_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// pandas' `skew()`: the adjusted Fisher–Pearson coefficient `G1 = g1 * sqrt(n (n-1)) / (n-2)`.
pub(super) fn skewness(values: &[f64]) -> f64 {
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
