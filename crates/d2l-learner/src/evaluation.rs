//! Evaluation passes: a model's metric over a dataset, in batches as large as the device takes
//! well (d2l's `evaluate_accuracy`).

use burn::tensor::{Device, Tensor};
use d2l_data::dataset::{Targets, TensorDataset};
use d2l_device::{is_accelerator, read};
use d2l_models::Model;

use crate::metrics::{BatchSums, Metric};
use crate::record::TrainError;

/// The least batch size of evaluation passes on a CPU backend ([`evaluation_batch_size`]).
const EVAL_BATCH: usize = 2048;

/// The least batch size of evaluation passes on an accelerator ([`evaluation_batch_size`]).
const ACCELERATOR_EVAL_BATCH: usize = 16_384;

/// The batch size of an evaluation pass on `device` after training with batches of
/// `batch_size`: at least 2048 rows per forward pass on a CPU backend, and 16,384 on an
/// accelerator ([`is_accelerator`]), where every batch costs the same handful of kernel
/// launches whatever its size: Fashion-MNIST's test split is then one batch, not five. The
/// metric is the same (a sum over examples); fewer, larger products are faster.
pub fn evaluation_batch_size(batch_size: usize, device: &Device) -> usize {
    match is_accelerator(device) {
        true => batch_size.max(ACCELERATOR_EVAL_BATCH),
        false => batch_size.max(EVAL_BATCH),
    }
}

/// The metric of `model` over `data`, in order, in batches of `batch_size` (d2l's
/// `evaluate_accuracy`). Pass a model in validation mode (`model.valid()`) and a dataset on
/// the same device.
pub fn evaluate<M: Model, T: Targets>(
    model: &M,
    data: &TensorDataset<T>,
    metric: &dyn Metric<T>,
    batch_size: usize,
) -> Result<f64, TrainError> {
    evaluate_with(&|inputs| model.forward(inputs), data, metric, batch_size)
}

/// [`evaluate`] with any forward pass (a model chosen at run time, for example).
pub fn evaluate_with<T: Targets>(
    forward: &dyn Fn(Tensor<2>) -> Tensor<2>,
    data: &TensorDataset<T>,
    metric: &dyn Metric<T>,
    batch_size: usize,
) -> Result<f64, TrainError> {
    let total = read(metric_sum(forward, data, metric, batch_size))?;
    Ok(metric.finish(f64::from(total[0]), data.len()))
}

/// The sum of `metric`'s terms over `data`, in batches of `batch_size`, left on the device.
///
/// # Shapes
/// - result: `[1]`
pub(crate) fn metric_sum<T: Targets>(
    forward: &dyn Fn(Tensor<2>) -> Tensor<2>,
    data: &TensorDataset<T>,
    metric: &dyn Metric<T>,
    batch_size: usize,
) -> Tensor<1> {
    let mut sums = BatchSums::new(&data.device());
    for (inputs, targets) in data.batches(batch_size) {
        sums.push([metric.terms(forward(inputs), targets)]);
    }
    sums.totals(&data.device())
}
