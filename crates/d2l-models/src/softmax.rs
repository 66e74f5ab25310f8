//! Softmax regression (d2l 3.6 from scratch, 3.7 concise): one linear layer from 784 pixels to
//! 10 class scores.

use crate::model::{LinearLayers, Model, linear_parameters};
use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};

use crate::init::{Init, zeros};
use crate::ops::softmax;

// ANCHOR: SoftmaxConfig
/// The shape and initialisation of a softmax regression, with the book's defaults.
#[derive(Config, Debug, PartialEq)]
pub struct SoftmaxConfig {
    /// Inputs per example (28 × 28 pixels).
    #[config(default = 784)]
    pub num_inputs: usize,
    /// Classes.
    #[config(default = 10)]
    pub num_outputs: usize,
    /// Weight initialisation (bias starts at zero).
    #[config(default = "Init::BOOK")]
    pub init: Init,
}

impl SoftmaxConfig {
    /// The from-scratch model: hand-held `W ~ init`, `b = 0`.
    pub fn init_scratch(&self, device: &Device) -> SoftmaxScratch {
        SoftmaxScratch {
            w: self.init.weight(self.num_inputs, self.num_outputs, device),
            b: zeros(self.num_outputs, device),
        }
    }

    /// The concise model: a Burn `Linear` layer.
    pub fn init(&self, device: &Device) -> SoftmaxRegression {
        SoftmaxRegression {
            linear: self.init.linear(self.num_inputs, self.num_outputs, device),
        }
    }
}
// ANCHOR_END: SoftmaxConfig

// ANCHOR: SoftmaxScratch
/// Softmax regression from scratch (d2l 3.6): `softmax(X W + b)`, with its parameters held by
/// hand. Its output is a probability per class; train it with
/// [`cross_entropy`](crate::ops::cross_entropy) and `d2l_learner::Updater::Sgd`.
#[derive(Module, Debug)]
pub struct SoftmaxScratch {
    /// Weights, `[inputs, classes]`.
    pub w: Param<Tensor<2>>,
    /// Bias, `[classes]`.
    pub b: Param<Tensor<1>>,
}

impl Model for SoftmaxScratch {
    /// # Shapes
    /// - inputs: `[batch, inputs]`
    /// - output: `[batch, classes]`, probabilities
    fn forward(&self, inputs: Tensor<2>) -> Tensor<2> {
        softmax(inputs.matmul(self.w.val()) + self.b.val().unsqueeze())
    }
}
// ANCHOR_END: SoftmaxScratch

// ANCHOR: SoftmaxRegression
/// Concise softmax regression (d2l 3.7): a `Linear` layer producing unnormalised scores (the
/// softmax is folded into the loss, [`softmax_cross_entropy`](crate::ops::softmax_cross_entropy)).
#[derive(Module, Debug)]
pub struct SoftmaxRegression {
    /// The layer, `inputs -> classes`.
    pub linear: Linear,
}

impl Model for SoftmaxRegression {
    /// # Shapes
    /// - inputs: `[batch, inputs]`
    /// - output: `[batch, classes]`, logits
    fn forward(&self, inputs: Tensor<2>) -> Tensor<2> {
        self.linear.forward(inputs)
    }
}
// ANCHOR_END: SoftmaxRegression

impl LinearLayers for SoftmaxScratch {
    fn linear_layers(&self) -> Vec<(Tensor<2>, Tensor<1>)> {
        vec![(self.w.val(), self.b.val())]
    }
}

impl LinearLayers for SoftmaxRegression {
    fn linear_layers(&self) -> Vec<(Tensor<2>, Tensor<1>)> {
        vec![linear_parameters(&self.linear)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    #[test]
    fn both_models_map_a_batch_to_ten_scores() {
        let device = Device::flex();
        let config = SoftmaxConfig::new();
        let x = Tensor::<2>::random([3, 784], Distribution::Default, &device);
        let probabilities = config.init_scratch(&device).forward(x.clone());
        assert_eq!(probabilities.dims(), [3, 10]);
        let sums = probabilities.sum_dim(1).try_to_vec_as::<f32>().unwrap();
        assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-5));
        assert_eq!(config.init(&device).forward(x).dims(), [3, 10]);
    }

    #[test]
    fn scratch_and_concise_agree_given_the_same_parameters() {
        let device = Device::flex();
        let config = SoftmaxConfig::new();
        let scratch = config.init_scratch(&device);
        let concise = SoftmaxRegression {
            linear: Linear {
                weight: Param::from_tensor(scratch.w.val()),
                bias: Some(Param::from_tensor(scratch.b.val())),
            },
        };
        let x = Tensor::<2>::random([4, 784], Distribution::Default, &device);
        let from_scratch = scratch.forward(x.clone());
        let concise = burn::tensor::activation::softmax(concise.forward(x), 1);
        let diff = (from_scratch - concise).abs().max().into_scalar::<f32>();
        assert!(diff < 1e-6, "{diff}");
    }
}
