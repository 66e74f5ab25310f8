//! Linear regression (d2l 3.4 from scratch, 3.5 concise), the model of the weight-decay
//! experiment (d2l 4.5) and of the house-price baseline (d2l 4.10).

use crate::model::{LinearLayers, Model, linear_parameters};
use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};

use crate::init::Init;
use crate::ops::l2_penalty;

/// The shape and initialisation of a linear regression.
#[derive(Config, Debug, PartialEq)]
pub struct LinearRegressionConfig {
    /// Inputs per example.
    pub num_inputs: usize,
    /// Outputs per example.
    #[config(default = 1)]
    pub num_outputs: usize,
    /// Parameter initialisation.
    #[config(default = "Init::BOOK")]
    pub init: Init,
}

impl LinearRegressionConfig {
    /// The from-scratch model with the hand-written penalty `lambda * ‖w‖² / 2` (d2l 4.5's
    /// `l2_penalty`; `lambda = 0` for none).
    pub fn init_scratch(&self, lambda: f64, device: &Device) -> LinearRegressionScratch {
        LinearRegressionScratch {
            w: self.init.weight(self.num_inputs, self.num_outputs, device),
            b: self.init.bias(self.num_inputs, self.num_outputs, device),
            lambda,
            l1: 0.0,
        }
    }

    /// The concise model: one Burn `Linear` layer (regularise it with optimizer weight decay).
    pub fn init(&self, device: &Device) -> LinearRegression {
        LinearRegression {
            linear: self.init.linear(self.num_inputs, self.num_outputs, device),
        }
    }
}

// ANCHOR: LinearRegressionScratch
/// Linear regression from scratch, `X w + b`, with optional L2 and L1 penalties on `w` that the
/// Learner adds to every example's loss while training (d2l 4.5's
/// `loss(net(X), y) + lambd * l2_penalty(w)`).
#[derive(Module, Debug)]
pub struct LinearRegressionScratch {
    /// Weights, `[inputs, outputs]`.
    pub w: Param<Tensor<2>>,
    /// Bias, `[outputs]`.
    pub b: Param<Tensor<1>>,
    /// The weight λ of the L2 penalty `λ‖w‖²/2`.
    pub lambda: f64,
    /// The weight of an L1 penalty `l1 * Σ|w_i|` (the lasso; 0 for none).
    pub l1: f64,
}

impl Model for LinearRegressionScratch {
    /// # Shapes
    /// - inputs: `[batch, inputs]`
    /// - output: `[batch, outputs]`
    fn forward(&self, inputs: Tensor<2>) -> Tensor<2> {
        inputs.matmul(self.w.val()) + self.b.val().unsqueeze()
    }

    fn penalty(&self) -> Option<Tensor<1>> {
        let l2 = (self.lambda != 0.0).then(|| l2_penalty(self.w.val()) * self.lambda);
        let l1 = (self.l1 != 0.0).then(|| self.w.val().abs().sum() * self.l1);
        match (l2, l1) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        }
    }
}
// ANCHOR_END: LinearRegressionScratch

/// Concise linear regression: a Burn `Linear` layer.
#[derive(Module, Debug)]
pub struct LinearRegression {
    /// The layer.
    pub linear: Linear,
}

impl Model for LinearRegression {
    /// # Shapes
    /// - inputs: `[batch, inputs]`
    /// - output: `[batch, outputs]`
    fn forward(&self, inputs: Tensor<2>) -> Tensor<2> {
        self.linear.forward(inputs)
    }
}

impl LinearLayers for LinearRegressionScratch {
    fn linear_layers(&self) -> Vec<(Tensor<2>, Tensor<1>)> {
        vec![(self.w.val(), self.b.val())]
    }
}

impl LinearLayers for LinearRegression {
    fn linear_layers(&self) -> Vec<(Tensor<2>, Tensor<1>)> {
        vec![linear_parameters(&self.linear)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_penalty_is_lambda_half_the_squared_norm_and_absent_at_zero() {
        let device = Device::flex();
        let mut model = LinearRegressionConfig::new(2).init_scratch(3.0, &device);
        model.w = Param::from_tensor(Tensor::from_data([[1.0], [2.0]], &device));
        // 3 * (1 + 4) / 2
        let penalty = model.penalty().unwrap().into_scalar::<f32>();
        assert!((penalty - 7.5).abs() < 1e-6, "{penalty}");
        model.l1 = 0.5;
        // 7.5 + 0.5 * (1 + 2)
        let both = model.penalty().unwrap().into_scalar::<f32>();
        assert!((both - 9.0).abs() < 1e-6, "{both}");
        model.lambda = 0.0;
        model.l1 = 0.0;
        assert!(model.penalty().is_none());
        let y = model.forward(Tensor::from_data([[1.0, 1.0]], &device));
        assert_eq!(y.into_scalar::<f32>(), 3.0);
        let concise = LinearRegressionConfig::new(2).init(&device);
        assert_eq!(
            concise.forward(Tensor::zeros([5, 2], &device)).dims(),
            [5, 1]
        );
    }
}
