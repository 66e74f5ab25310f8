//! Metrics computed on the device, batch by batch, and combined once per pass.
//!
//! This is d2l's `Accumulator` made device-friendly: each batch contributes sums (of losses, of
//! correct predictions, ...) that are added up on the device; the totals are read back once,
//! at the end of a pass, and divided by the number of examples there.

use burn::tensor::{Device, Int, Tensor};
use d2l_device::{is_accelerator, read};

use crate::Loss;
use crate::record::TrainError;

/// A metric over a pass: a device-side sum per batch, turned into the metric at the end.
pub trait Metric<T> {
    /// Short name, used as a column name (`"acc"`, `"log_rmse"`).
    fn name(&self) -> &'static str;

    /// The metric's per-example terms over one batch (their sum over a pass, given to
    /// [`finish`](Self::finish), makes the metric).
    ///
    /// # Shapes
    /// - output: `[batch, outputs]`
    /// - targets: `[batch, ..]`
    /// - result: `[batch]`
    fn terms(&self, output: Tensor<2>, targets: T) -> Tensor<1>;

    /// The sum of the metric's per-example terms over one batch.
    ///
    /// # Shapes
    /// - output: `[batch, outputs]`
    /// - targets: `[batch, ..]`
    /// - result: `[1]`
    fn batch_sum(&self, output: Tensor<2>, targets: T) -> Tensor<1> {
        self.terms(output, targets).sum()
    }

    /// The metric of a pass from the sum of all its batches' terms over `n` examples.
    fn finish(&self, sum: f64, n: usize) -> f64;
}

// ANCHOR: Accuracy
/// Classification accuracy: the fraction of examples whose highest score is the true class
/// (d2l's `accuracy` summed, then divided by the number of examples).
#[derive(Debug, Clone, Copy, Default)]
pub struct Accuracy;

impl Metric<Tensor<1, Int>> for Accuracy {
    fn name(&self) -> &'static str {
        "acc"
    }

    /// 1 where the highest score is the target's, else 0.
    ///
    /// On an accelerator ([`is_accelerator`]) the target's score is compared with the row's
    /// maximum in float arithmetic, `sign(z_t - max z) + 1`, which Burn fuses into one kernel
    /// after the maximum: the arg-max, the comparison of integers and the cast to floats took
    /// three more launches per batch on wgpu. The two differ only where the target ties for
    /// the highest score with another class (counted correct here, and by the arg-max only
    /// when the target comes first).
    fn terms(&self, output: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
        match is_accelerator(&output.device()) {
            true => {
                let max = output.clone().max_dim(1);
                let target = output.gather(1, targets.unsqueeze_dim(1));
                ((target - max).sign() + 1.0).squeeze_dim(1)
            }
            false => output.argmax(1).squeeze_dim::<1>(1).equal(targets).float(),
        }
    }

    fn finish(&self, sum: f64, n: usize) -> f64 {
        sum / n as f64
    }
}
// ANCHOR_END: Accuracy

// ANCHOR: LogRmse
/// d2l's `log_rmse` for regression (4.10): predictions clamped to `[1, ∞)`, then the root mean
/// squared difference of the logarithms of predictions and targets.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogRmse;

impl Metric<Tensor<2>> for LogRmse {
    fn name(&self) -> &'static str {
        "log_rmse"
    }

    /// # Shapes
    /// - output: `[batch, 1]`, predicted prices
    /// - targets: `[batch, 1]`, true prices (positive)
    /// - result: `[batch]`, the squared log differences
    fn terms(&self, output: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        (output.clamp_min(1.0).log() - targets.log())
            .square()
            .sum_dim(1)
            .squeeze_dim(1)
    }

    fn finish(&self, sum: f64, n: usize) -> f64 {
        (sum / n as f64).sqrt()
    }
}
// ANCHOR_END: LogRmse

/// d2l's `log_rmse` for a model that predicts log prices (trained on `ln y`): the same number
/// as [`LogRmse`] on `exp(ŷ)`, i.e. predictions clamped to `[0, ∞)` (a price of at least 1),
/// then the root mean squared difference from the log targets.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogTargetRmse;

impl Metric<Tensor<2>> for LogTargetRmse {
    fn name(&self) -> &'static str {
        "log_rmse"
    }

    /// # Shapes
    /// - output: `[batch, 1]`, predicted log prices
    /// - targets: `[batch, 1]`, true log prices
    /// - result: `[batch]`, the squared differences
    fn terms(&self, output: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        (output.clamp_min(0.0) - targets)
            .square()
            .sum_dim(1)
            .squeeze_dim(1)
    }

    fn finish(&self, sum: f64, n: usize) -> f64 {
        LogRmse.finish(sum, n)
    }
}

/// The mean of a loss over a pass (d2l's `evaluate_loss`), named for the metrics file.
pub struct MeanLoss<'a, T> {
    /// The loss, one value per example.
    pub loss: &'a dyn Loss<T>,
    /// The column name (`"squared_loss"`).
    pub name: &'static str,
}

impl<T> Metric<T> for MeanLoss<'_, T> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn terms(&self, output: Tensor<2>, targets: T) -> Tensor<1> {
        self.loss.forward(output, targets)
    }

    fn finish(&self, sum: f64, n: usize) -> f64 {
        sum / n as f64
    }
}

/// Sums collected per batch on the device: running totals, and each batch's own values.
///
/// Each batch pushes a row of `K` per-example terms (for example the batch's losses and its
/// metric's terms). [`totals`](BatchSums::totals) is their sum over every example of every
/// batch, added up on the device as the batches come (nothing to read back per batch);
/// [`read`](BatchSums::read) returns every batch's sums, so that a non-finite total can be
/// traced to its batch.
///
/// How they are added up depends on the device ([`new`](Self::new)): on a CPU backend each
/// batch's terms are summed at once and the sums added up; on an accelerator the terms are
/// added element by element into one running vector per batch size and summed once at the
/// end: one launch per term and batch instead of three (a reduction, its output's fill and
/// the addition), which a GPU pays for in host time.
#[derive(Debug)]
pub struct BatchSums {
    /// Whether terms are added up as vectors (an accelerator).
    vectors: bool,
    /// The running totals: one `[1]` sum per column, or, for vectors, one row of running
    /// vectors per batch size.
    totals: Vec<(usize, Vec<Tensor<1>>)>,
    /// Each batch's row (its sums, or its terms for vectors), for [`read`](Self::read).
    batches: Vec<Tensor<1>>,
    /// Columns per row.
    k: usize,
}

impl BatchSums {
    /// An empty collection for terms on `device`.
    pub fn new(device: &Device) -> Self {
        Self {
            vectors: is_accelerator(device),
            totals: Vec::new(),
            batches: Vec::new(),
            k: 0,
        }
    }

    /// Records one batch's per-example terms, detached from any autodiff graph.
    ///
    /// # Shapes
    /// - each of `row`: `[batch]`; every row has the same length
    pub fn push<const K: usize>(&mut self, row: [Tensor<1>; K]) {
        let row = row.map(|value| value.detach().inner());
        self.k = K;
        let (key, row) = match self.vectors {
            true => (row[0].dims()[0], row.to_vec()),
            false => (1, row.map(|terms| terms.sum()).to_vec()),
        };
        match self.totals.iter_mut().find(|(size, _)| *size == key) {
            Some((_, totals)) => {
                for (total, value) in totals.iter_mut().zip(&row) {
                    *total = total.clone() + value.clone();
                }
            }
            None => self.totals.push((key, row.clone())),
        }
        self.batches.extend(row);
    }

    /// The sums over all batches, on the device, zeros on `device` when no batch was pushed.
    ///
    /// # Shapes
    /// - `[K]`
    pub fn totals(&self, device: &Device) -> Tensor<1> {
        if self.totals.is_empty() {
            return Tensor::zeros([1], device);
        }
        let column = |k: usize| {
            let mut parts = self.totals.iter().map(|(_, totals)| match self.vectors {
                true => totals[k].clone().sum(),
                false => totals[k].clone(),
            });
            let first = parts.next().expect("one batch size at least");
            parts.fold(first, |total, part| total + part)
        };
        Tensor::cat((0..self.k).map(column).collect(), 0)
    }

    /// The recorded sums, one row of `K` values per batch, read back in one transfer; an error
    /// when the device failed to compute them (out of memory, a lost GPU).
    pub fn read(self) -> Result<Vec<Vec<f64>>, TrainError> {
        if self.batches.is_empty() {
            return Ok(Vec::new());
        }
        let sums = match self.vectors {
            true => self.batches.into_iter().map(|terms| terms.sum()).collect(),
            false => self.batches,
        };
        let values = read(Tensor::cat(sums, 0))?;
        Ok(values
            .chunks_exact(self.k)
            .map(|row| row.iter().map(|&v| f64::from(v)).collect())
            .collect())
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
    fn log_rmse_clamps_predictions_and_compares_logarithms() {
        let device = Device::flex();
        // Predictions [e, 0.5 -> clamped to 1], targets [1, e]:
        // squared log differences (1 - 0)² + (0 - 1)² = 2; over 2 examples sqrt(2 / 2) = 1.
        let e = std::f32::consts::E;
        let output = Tensor::<2>::from_data([[e], [0.5]], &device);
        let targets = Tensor::<2>::from_data([[1.0], [e]], &device);
        let sum = LogRmse.batch_sum(output, targets).into_scalar::<f32>();
        assert!((sum - 2.0).abs() < 1e-5, "{sum}");
        assert!((LogRmse.finish(f64::from(sum), 2) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn batch_sums_total_on_the_device_and_read_back_one_row_per_batch() {
        let device = Device::flex();
        let mut sums = BatchSums::new(&device);
        let scalar = |v: f32| Tensor::<1>::from_data([v], &device);
        sums.push([scalar(1.0), scalar(2.0)]);
        sums.push([scalar(3.0), scalar(f32::NAN)]);
        let totals = sums.totals(&device).try_to_vec_as::<f32>().unwrap();
        assert_eq!(totals[0], 4.0);
        assert!(totals[1].is_nan());
        let rows = sums.read().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], vec![1.0, 2.0]);
        assert!(rows[1][1].is_nan());
        assert!(BatchSums::new(&device).read().unwrap().is_empty());
        assert_eq!(
            BatchSums::new(&device).totals(&device).into_scalar::<f32>(),
            0.0
        );
    }

    #[test]
    fn log_target_rmse_equals_log_rmse_on_exponentiated_predictions() {
        let device = Device::flex();
        let prices = Tensor::<2>::from_data([[100.0], [0.5], [2000.0]], &device);
        let targets = Tensor::<2>::from_data([[120.0], [3.0], [1500.0]], &device);
        let on_prices = LogRmse.batch_sum(prices.clone(), targets.clone());
        let on_logs = LogTargetRmse.batch_sum(prices.log(), targets.log());
        let (a, b) = (on_prices.into_scalar::<f32>(), on_logs.into_scalar::<f32>());
        assert!((a - b).abs() < 1e-5, "{a} {b}");
        assert_eq!(LogTargetRmse.finish(8.0, 2), 2.0);
    }

    #[test]
    fn mean_loss_sums_the_loss_and_divides_by_the_examples() {
        let device = Device::flex();
        let abs = |output: Tensor<2>, targets: Tensor<2>| {
            (output - targets).abs().sum_dim(1).squeeze_dim::<1>(1)
        };
        let metric = MeanLoss {
            loss: &abs,
            name: "abs",
        };
        let output = Tensor::<2>::from_data([[1.0], [4.0]], &device);
        let targets = Tensor::<2>::from_data([[0.0], [0.0]], &device);
        assert_eq!(metric.batch_sum(output, targets).into_scalar::<f32>(), 5.0);
        assert_eq!(metric.finish(5.0, 2), 2.5);
        assert_eq!(metric.name(), "abs");
    }
}
