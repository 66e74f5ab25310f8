//! What a model, a loss and a set of targets provide so that the [`Learner`](crate::Learner)
//! can train them.

use burn::module::Module;
use burn::tensor::{Int, Tensor};

/// A model the Learner can train: a Burn module mapping a batch of feature rows to outputs
/// (class scores for classification, predictions for regression).
pub trait Model: Module {
    /// The forward pass.
    ///
    /// # Shapes
    /// - inputs: `[batch, features]`
    /// - output: `[batch, outputs]`
    fn forward(&self, inputs: Tensor<2>) -> Tensor<2>;

    /// A regularisation term added to every example's loss while training, such as d2l 4.5's
    /// `lambd * l2_penalty(w)`; `None` (the default) for none. It shapes the gradients only:
    /// the loss the Learner reports is the data loss, as d2l's `evaluate_loss` reports it.
    ///
    /// # Shapes
    /// - output: `[1]`
    fn penalty(&self) -> Option<Tensor<1>> {
        None
    }
}

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

/// The targets of a dataset, indexed along their first dimension: class indices
/// (`Tensor<1, Int>`) or regression targets (`Tensor<2>`).
///
/// `Send + Sync`, as tensors are: the Learner gathers batches on another thread.
pub trait Targets: Clone + Send + Sync {
    /// Number of examples.
    fn len(&self) -> usize;
    /// Whether there is no example.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The examples at `indices`, in that order.
    fn select(&self, indices: Tensor<1, Int>) -> Self;
    /// `length` examples from `start`.
    fn narrow(&self, start: usize, length: usize) -> Self;
    /// The same values on the autodiff side of their device (untracked).
    fn autodiff(self) -> Self;
}

impl Targets for Tensor<1, Int> {
    fn len(&self) -> usize {
        self.dims()[0]
    }
    fn select(&self, indices: Tensor<1, Int>) -> Self {
        self.clone().select(0, indices)
    }
    fn narrow(&self, start: usize, length: usize) -> Self {
        self.clone().narrow(0, start, length)
    }
    fn autodiff(self) -> Self {
        Tensor::autodiff(self)
    }
}

impl Targets for Tensor<2> {
    fn len(&self) -> usize {
        self.dims()[0]
    }
    fn select(&self, indices: Tensor<1, Int>) -> Self {
        self.clone().select(0, indices)
    }
    fn narrow(&self, start: usize, length: usize) -> Self {
        self.clone().narrow(0, start, length)
    }
    fn autodiff(self) -> Self {
        Tensor::autodiff(self)
    }
}
