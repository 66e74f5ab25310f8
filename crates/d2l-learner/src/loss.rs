//! What a loss provides so that the [`Learner`](crate::Learner) can train with it (the model
//! side is [`d2l_models::Model`], the data side [`d2l_data::Targets`]).

use burn::tensor::Tensor;

/// A loss: one value per example, as d2l's losses with `reduction='none'`.
///
/// The [`Updater`](crate::Updater) decides how to reduce it (d2l's scratch `sgd` backpropagates
/// the sum, an optimizer the mean). Any `Fn(Tensor<2>, T) -> Tensor<1>` is a loss.
pub trait Loss<T> {
    /// Per-example losses.
    ///
    /// # Shapes
    /// - output: `[batch, outputs]`
    /// - targets: `[batch, ..]`
    /// - result: `[batch]`
    fn forward(&self, output: Tensor<2>, targets: T) -> Tensor<1>;
}

impl<T, F: Fn(Tensor<2>, T) -> Tensor<1>> Loss<T> for F {
    fn forward(&self, output: Tensor<2>, targets: T) -> Tensor<1> {
        self(output, targets)
    }
}
