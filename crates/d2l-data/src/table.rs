//! A table of rows on the host, from which datasets of any subset of rows are made.

use burn::tensor::{Device, Tensor, TensorData};
use d2l_device::upload;

use crate::dataset::TensorDataset;

/// Rows of features and one regression target per row, on the host (row-major): a table
/// from which datasets of any subset of rows are made, as K-fold cross-validation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    features: Vec<f32>,
    width: usize,
    targets: Vec<f32>,
}

impl Table {
    /// `features` holds `width` values per row, one row per target.
    ///
    /// # Panics
    /// When the lengths do not agree.
    pub fn new(features: Vec<f32>, width: usize, targets: Vec<f32>) -> Self {
        assert_eq!(
            features.len(),
            width * targets.len(),
            "features and targets must hold the same number of examples"
        );
        Self {
            features,
            width,
            targets,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the table has no row.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Features per row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The targets, one per row.
    pub fn targets(&self) -> &[f32] {
        &self.targets
    }

    /// The rows at `rows`, in that order, uploaded to `device`.
    ///
    /// # Shapes
    /// - features: `[rows.len(), width]`
    /// - targets: `[rows.len(), 1]`
    pub fn dataset(&self, rows: &[usize], device: &Device) -> TensorDataset<Tensor<2>> {
        let mut x = Vec::with_capacity(rows.len() * self.width);
        for &row in rows {
            x.extend_from_slice(&self.features[row * self.width..(row + 1) * self.width]);
        }
        let y: Vec<f32> = rows.iter().map(|&row| self.targets[row]).collect();
        TensorDataset::new(
            upload(TensorData::new(x, [rows.len(), self.width]), device),
            upload(TensorData::new(y, [rows.len(), 1]), device),
        )
    }

    /// Every row, in order.
    pub fn all(&self, device: &Device) -> TensorDataset<Tensor<2>> {
        self.dataset(&(0..self.len()).collect::<Vec<_>>(), device)
    }
}
