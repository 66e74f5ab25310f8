//! The bridge to Burn's own training stack, burn-train (feature `burn-train`): any [`Model`]
//! trains under `burn::train::SupervisedTraining`, with its learning-rate schedulers, early
//! stopping, checkpoints and several devices, on this project's [`TensorDataset`]s.
//!
//! - [`Classifier`] and [`Regressor`] wrap a model and implement `TrainStep` and
//!   `InferenceStep`: cross-entropy with `ClassificationOutput` (for `AccuracyMetric`), the
//!   mean squared error with `RegressionOutput`. A model's [`penalty`](Model::penalty) is added
//!   to the loss its gradients come from, as [`Learner`](crate::Learner) adds it.
//! - [`Examples`] is a [`TensorDataset`] as Burn's `Dataset` and `Batcher` at once: the data
//!   loader draws example indices (shuffled by its seed) and the batcher gathers them in one
//!   selection on the dataset's device ([`TensorDataset::gather`]), rather than one tensor per
//!   example.
//!
//! `examples/burn_train.rs` trains the book's MLP this way with a cosine learning-rate
//! schedule and early stopping.

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::{Dataset, DatasetError};
use burn::module::{Module, ModuleDisplay};
use burn::tensor::{Device, Int, Tensor};
use burn::train::{ClassificationOutput, InferenceStep, RegressionOutput, TrainOutput, TrainStep};
use std::sync::Arc;

use crate::{Model, Targets, TensorDataset};
use d2l_models::{softmax_cross_entropy, squared_error};

/// A batch of classification examples.
#[derive(Debug, Clone)]
pub struct ClassBatch {
    /// `[batch, features]`.
    pub inputs: Tensor<2>,
    /// `[batch]`, class indices.
    pub targets: Tensor<1, Int>,
}

/// A batch of regression examples.
#[derive(Debug, Clone)]
pub struct RegressionBatch {
    /// `[batch, features]`.
    pub inputs: Tensor<2>,
    /// `[batch, outputs]`.
    pub targets: Tensor<2>,
}

/// A classifier for burn-train: the model's outputs are class scores, its loss the mean
/// cross-entropy over the batch ([`softmax_cross_entropy`]).
#[derive(Module, Debug)]
pub struct Classifier<M: Model> {
    /// The model trained.
    pub model: M,
}

/// A regressor for burn-train: its loss is the mean squared error over the batch (d2l's
/// `nn.MSELoss`).
#[derive(Module, Debug)]
pub struct Regressor<M: Model> {
    /// The model trained.
    pub model: M,
}

impl<M: Model> Classifier<M> {
    /// Wraps `model`.
    pub fn new(model: M) -> Self {
        Self { model }
    }

    /// The loss (data term only) and the scores of a batch.
    ///
    /// # Shapes
    /// - batch: `[batch, features]`, `[batch]`
    /// - output: loss `[1]`, scores `[batch, classes]`, targets `[batch]`
    pub fn forward(&self, batch: ClassBatch) -> ClassificationOutput {
        let scores = self.model.forward(batch.inputs);
        let loss = softmax_cross_entropy(scores.clone(), batch.targets.clone()).mean();
        ClassificationOutput::new(loss, scores, batch.targets)
    }
}

impl<M: Model> Regressor<M> {
    /// Wraps `model`.
    pub fn new(model: M) -> Self {
        Self { model }
    }

    /// The loss (data term only) and the predictions of a batch.
    ///
    /// # Shapes
    /// - batch: `[batch, features]`, `[batch, outputs]`
    /// - output: loss `[1]`, predictions and targets `[batch, outputs]`
    pub fn forward(&self, batch: RegressionBatch) -> RegressionOutput {
        let predictions = self.model.forward(batch.inputs);
        let loss = squared_error(predictions.clone(), batch.targets.clone()).mean();
        RegressionOutput::new(loss, predictions, batch.targets)
    }
}

/// The loss whose gradients train `model`: the data loss plus the model's penalty, if any.
fn objective<M: Model>(model: &M, loss: Tensor<1>) -> Tensor<1> {
    match model.penalty() {
        Some(penalty) => loss + penalty,
        None => loss,
    }
}

impl<M: Model + ModuleDisplay + 'static> TrainStep for Classifier<M> {
    type Input = ClassBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: ClassBatch) -> TrainOutput<ClassificationOutput> {
        let output = self.forward(batch);
        let grads = objective(&self.model, output.loss.clone()).backward();
        TrainOutput::new(self, grads, output)
    }
}

impl<M: Model + ModuleDisplay + 'static> InferenceStep for Classifier<M> {
    type Input = ClassBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: ClassBatch) -> ClassificationOutput {
        self.forward(batch)
    }
}

impl<M: Model + ModuleDisplay + 'static> TrainStep for Regressor<M> {
    type Input = RegressionBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: RegressionBatch) -> TrainOutput<RegressionOutput> {
        let output = self.forward(batch);
        let grads = objective(&self.model, output.loss.clone()).backward();
        TrainOutput::new(self, grads, output)
    }
}

impl<M: Model + ModuleDisplay + 'static> InferenceStep for Regressor<M> {
    type Input = RegressionBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: RegressionBatch) -> RegressionOutput {
        self.forward(batch)
    }
}

/// A [`TensorDataset`] as Burn's `Dataset` of example indices and as the `Batcher` that gathers
/// them into a [`ClassBatch`] or a [`RegressionBatch`]: give the same value to
/// `DataLoaderBuilder::new` and to its `build`.
///
/// ```
/// use burn::data::dataloader::DataLoaderBuilder;
/// use burn::tensor::{Device, Int, Tensor};
/// use d2l_learner::TensorDataset;
/// use d2l_learner::burn_train::Examples;
///
/// let device = Device::flex();
/// let data = TensorDataset::new(
///     Tensor::<2>::zeros([10, 3], &device),
///     Tensor::<1, Int>::zeros([10], &device),
/// );
/// let examples = Examples::new(data);
/// let loader = DataLoaderBuilder::new(examples.clone()).batch_size(4).shuffle(0).build(examples);
/// let batches = loader
///     .iter()
///     .map(|batch| batch.map(|batch| batch.inputs.dims()))
///     .collect::<Result<Vec<_>, _>>()?;
/// assert_eq!(batches, [[4, 3], [4, 3], [2, 3]]);
/// # Ok::<(), burn::data::dataset::DatasetError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Examples<T> {
    data: Arc<TensorDataset<T>>,
}

impl<T: Targets> Examples<T> {
    /// Wraps `data`.
    pub fn new(data: TensorDataset<T>) -> Self {
        Self {
            data: Arc::new(data),
        }
    }

    /// The examples at `indices`, on `device` (with autodiff where it has it).
    fn gather(&self, indices: &[usize], device: &Device) -> (Tensor<2>, T) {
        let (inputs, targets) = self.data.gather(indices);
        let inputs = inputs.to_device(&device.clone().inner());
        match device.is_autodiff() {
            true => (inputs.autodiff(), targets.autodiff()),
            false => (inputs, targets),
        }
    }
}

impl<T: Targets> Dataset<usize> for Examples<T> {
    fn get(&self, index: usize) -> Result<usize, DatasetError> {
        assert!(
            index < self.data.len(),
            "example {index} of a dataset of {}",
            self.data.len()
        );
        Ok(index)
    }

    fn len(&self) -> usize {
        self.data.len()
    }
}

impl Batcher<usize, ClassBatch> for Examples<Tensor<1, Int>> {
    fn batch(&self, indices: Vec<usize>, device: &Device) -> ClassBatch {
        let (inputs, targets) = self.gather(&indices, device);
        ClassBatch { inputs, targets }
    }
}

impl Batcher<usize, RegressionBatch> for Examples<Tensor<2>> {
    fn batch(&self, indices: Vec<usize>, device: &Device) -> RegressionBatch {
        let (inputs, targets) = self.gather(&indices, device);
        RegressionBatch { inputs, targets }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;
    use d2l_models::{LinearRegressionConfig, SoftmaxConfig};

    fn classes(device: &Device) -> TensorDataset<Tensor<1, Int>> {
        let x = Tensor::<2>::from_data([[1.0, 0.0], [0.0, 1.0], [0.9, 0.2]], device);
        let y = Tensor::<1, Int>::from_data(TensorData::new(vec![1i64, 0, 1], [3]), device);
        TensorDataset::new(x, y)
    }

    #[test]
    fn a_batch_lands_on_the_autodiff_side_only_when_asked() {
        let device = Device::flex();
        let examples = Examples::new(classes(&device));
        let train: ClassBatch = Batcher::batch(&examples, vec![2, 0], &device.clone().autodiff());
        assert!(train.inputs.is_autodiff() && train.targets.is_autodiff());
        let valid: ClassBatch = Batcher::batch(&examples, vec![2, 0], &device);
        assert!(!valid.inputs.is_autodiff());
        let x = valid.inputs.try_to_vec_as::<f32>().unwrap();
        assert_eq!(x, vec![0.9, 0.2, 1.0, 0.0]);
        assert_eq!(valid.targets.try_to_vec_as::<i64>().unwrap(), vec![1, 1]);
    }

    /// The classifier's loss is the mean of the per-example cross-entropy; its train step's
    /// gradients are those of that loss.
    #[test]
    fn the_classifier_trains_on_the_mean_cross_entropy() {
        let device = Device::flex().autodiff();
        let net = Classifier::new(
            SoftmaxConfig::new()
                .with_num_inputs(2)
                .with_num_outputs(2)
                .init(&device),
        );
        let examples = Examples::new(classes(&Device::flex()));
        let batch: ClassBatch = Batcher::batch(&examples, vec![0, 1, 2], &device);
        let expected = softmax_cross_entropy(
            net.model.forward(batch.inputs.clone()),
            batch.targets.clone(),
        )
        .mean()
        .into_scalar::<f32>();
        let output = TrainStep::step(&net, batch);
        let loss = output.item.loss.into_scalar::<f32>();
        assert!((loss - expected).abs() < 1e-6, "{loss} against {expected}");
        assert_eq!(output.item.output.dims(), [3, 2]);
    }

    #[test]
    fn the_regressor_reports_the_mean_squared_error() {
        let device = Device::flex();
        let net = Regressor::new(LinearRegressionConfig::new(1).init(&device));
        let inputs = Tensor::<2>::from_data([[1.0], [2.0]], &device);
        let predictions = net.model.forward(inputs.clone());
        let targets = predictions.clone() + Tensor::<2>::from_data([[1.0], [3.0]], &device);
        let output = InferenceStep::step(&net, RegressionBatch { inputs, targets });
        let loss = output.loss.into_scalar::<f32>();
        assert!((loss - 5.0).abs() < 1e-5, "mean of 1 and 9: {loss}");
    }
}
