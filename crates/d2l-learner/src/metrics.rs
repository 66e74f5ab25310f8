//! Metrics computed on the device, batch by batch, and combined once per pass.
//!
//! This is d2l's `Accumulator` made device-friendly: each batch contributes sums (of losses, of
//! correct predictions, ...) that stay on the device; they are read back once, at the end of a
//! pass, and divided by the number of examples there.

use burn::tensor::{Int, Tensor};

/// A metric over a pass: a device-side sum per batch, turned into the metric at the end.
pub trait Metric<T> {
    /// Short name, used as a column name (`"acc"`, `"log_rmse"`).
    fn name(&self) -> &'static str;

    /// The sum of the metric's per-example terms over one batch.
    ///
    /// # Shapes
    /// - output: `[batch, outputs]`
    /// - targets: `[batch, ..]`
    /// - result: `[1]`
    fn batch_sum(&self, output: Tensor<2>, targets: T) -> Tensor<1>;

    /// The metric of a pass from the sum of all its batches' terms over `n` examples.
    fn finish(&self, sum: f64, n: usize) -> f64;
}

/// Classification accuracy: the fraction of examples whose highest score is the true class
/// (d2l's `accuracy` summed, then divided by the number of examples).
#[derive(Debug, Clone, Copy, Default)]
pub struct Accuracy;

impl Metric<Tensor<1, Int>> for Accuracy {
    fn name(&self) -> &'static str {
        "acc"
    }

    fn batch_sum(&self, output: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
        correct(output, targets).float().sum()
    }

    fn finish(&self, sum: f64, n: usize) -> f64 {
        sum / n as f64
    }
}

/// The number of correct predictions in a batch.
///
/// # Shapes
/// - output: `[batch, classes]`
/// - targets: `[batch]`
/// - result: `[batch]`, 1 where the arg-max is the target
fn correct(output: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1, Int> {
    output.argmax(1).squeeze_dim::<1>(1).equal(targets).int()
}

/// Sums collected per batch on the device and read back in one transfer.
///
/// Each batch pushes a `[k]` tensor (for example the batch's loss sum and metric sum);
/// [`BatchSums::read`] returns them all as host rows, one per batch, so that a pass costs one
/// read-back however many batches it has, and a non-finite value can still be traced to its
/// batch.
#[derive(Debug, Default)]
pub struct BatchSums {
    sums: Vec<Tensor<1>>,
}

impl BatchSums {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one batch's sums, detached from any autodiff graph.
    ///
    /// # Shapes
    /// - sums: `[k]`, the same `k` for every batch
    pub fn push(&mut self, sums: Tensor<1>) {
        self.sums.push(sums.detach().inner());
    }

    /// The recorded sums, one row of `k` values per batch, read back in one transfer.
    pub fn read(self) -> Vec<Vec<f64>> {
        let Some(first) = self.sums.first() else {
            return Vec::new();
        };
        let k = first.dims()[0];
        let values = Tensor::cat(self.sums, 0)
            .try_to_vec_as::<f32>()
            .expect("sums are float tensors");
        values
            .chunks_exact(k)
            .map(|row| row.iter().map(|&v| f64::from(v)).collect())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn accuracy_counts_arg_max_hits() {
        let device = Device::flex();
        // Rows' arg-max: 1, 0, 2; targets 1, 2, 2: two hits (d2l's `accuracy` gives 2.0).
        let output =
            Tensor::<2>::from_data([[0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]], &device);
        let targets = Tensor::<1, Int>::from_data(TensorData::new(vec![1i64, 2, 2], [3]), &device);
        let sum = Accuracy.batch_sum(output, targets).into_scalar::<f32>();
        assert_eq!(sum, 2.0);
        assert!((Accuracy.finish(2.0, 3) - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn batch_sums_read_back_one_row_per_batch() {
        let device = Device::flex();
        let mut sums = BatchSums::new();
        sums.push(Tensor::from_data([1.0, 2.0], &device));
        sums.push(Tensor::from_data([3.0, f32::NAN], &device));
        let rows = sums.read();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], vec![1.0, 2.0]);
        assert!(rows[1][1].is_nan());
        assert!(BatchSums::new().read().is_empty());
    }
}
