//! What every model of this crate is: a Burn module with a forward pass from a batch of
//! feature rows to outputs, and an optional regularisation term.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::Tensor;

/// A model a training loop can train: a Burn module mapping a batch of feature rows to outputs
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
    /// the loss a training loop reports is the data loss, as d2l's `evaluate_loss` reports it.
    ///
    /// # Shapes
    /// - output: `[1]`
    fn penalty(&self) -> Option<Tensor<1>> {
        None
    }
}

/// A model made of fully connected layers, `y = x W + b` each, input side first: every model of
/// this crate. What carrying its weights elsewhere needs (d2l's PyTorch networks hold the same
/// layers).
pub trait LinearLayers {
    /// Each layer's weight and bias, input side first.
    ///
    /// # Shapes
    /// - output: per layer, weight `[inputs, outputs]` (Burn's layout; PyTorch's `nn.Linear`
    ///   keeps its transpose) and bias `[outputs]`
    fn linear_layers(&self) -> Vec<(Tensor<2>, Tensor<1>)>;
}

/// A Burn `Linear` layer's weight and bias (zeros when it has none).
pub(crate) fn linear_parameters(layer: &Linear) -> (Tensor<2>, Tensor<1>) {
    let weight = layer.weight.val();
    let bias = match &layer.bias {
        Some(bias) => bias.val(),
        None => Tensor::zeros([weight.dims()[1]], &weight.device()),
    };
    (weight, bias)
}
