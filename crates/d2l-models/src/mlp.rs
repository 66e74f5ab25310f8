//! Multilayer perceptrons (d2l 4.2 from scratch, 4.3 concise) and their dropout variants
//! (d2l 4.6): fully connected layers with ReLU between them and, optionally, dropout after each
//! hidden layer.

use crate::model::{LinearLayers, Model, linear_parameters};
use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Linear, Relu};
use burn::tensor::{Device, Tensor};

use crate::init::Init;
use crate::layers::Dropout;
use crate::ops::{dropout, relu};

// ANCHOR: MlpConfig
/// The shape, dropout and initialisation of an MLP, with d2l 4.2's defaults (784-256-10,
/// `W ~ N(0, 0.01²)`, `b = 0`, no dropout).
#[derive(Config, Debug, PartialEq)]
pub struct MlpConfig {
    /// Inputs per example (28 × 28 pixels).
    #[config(default = 784)]
    pub num_inputs: usize,
    /// Width of each hidden layer, input side first.
    #[config(default = "vec![256]")]
    pub hidden: Vec<usize>,
    /// Outputs (classes, or 1 for regression).
    #[config(default = 10)]
    pub num_outputs: usize,
    /// Dropout probability after each hidden layer (one per hidden layer), or empty for none.
    #[config(default = "Vec::new()")]
    pub dropout: Vec<f64>,
    /// Parameter initialisation.
    #[config(default = "Init::BOOK")]
    pub init: Init,
}
// ANCHOR_END: MlpConfig

impl MlpConfig {
    // ANCHOR: dropout_book
    /// d2l 4.6's dropout network: 784-256-256-10, dropout 0.2 after the first hidden layer and
    /// 0.5 after the second, PyTorch's default initialisation (the book does not change it).
    pub fn dropout_book() -> Self {
        MlpConfig::new()
            .with_hidden(vec![256, 256])
            .with_dropout(vec![0.2, 0.5])
            .with_init(Init::Torch)
    }
    // ANCHOR_END: dropout_book

    /// Layer widths from input to output.
    fn widths(&self) -> Vec<usize> {
        assert!(
            self.dropout.is_empty() || self.dropout.len() == self.hidden.len(),
            "one dropout probability per hidden layer ({}), or none; got {:?}",
            self.hidden.len(),
            self.dropout
        );
        assert!(
            self.dropout.iter().all(|p| (0.0..1.0).contains(p)),
            "dropout probabilities must be in [0, 1): {:?}",
            self.dropout
        );
        let mut widths = vec![self.num_inputs];
        widths.extend(&self.hidden);
        widths.push(self.num_outputs);
        widths
    }

    fn dropout_after(&self, layer: usize) -> f64 {
        self.dropout.get(layer).copied().unwrap_or(0.0)
    }

    /// The from-scratch model (d2l 4.2, 4.6): hand-held weights and biases, hand-written ReLU
    /// and dropout.
    ///
    /// # Panics
    /// If `dropout` is neither empty nor one probability in `[0, 1)` per hidden layer.
    pub fn init_scratch(&self, device: &Device) -> MlpScratch {
        let widths = self.widths();
        let (weights, biases) = widths
            .windows(2)
            .map(|w| {
                (
                    self.init.weight(w[0], w[1], device),
                    self.init.bias(w[0], w[1], device),
                )
            })
            .unzip();
        MlpScratch {
            weights,
            biases,
            dropout: (0..self.hidden.len())
                .map(|i| self.dropout_after(i))
                .collect(),
        }
    }

    /// The concise model (d2l 4.3, 4.6): Burn `Linear` and `Relu` layers, and this crate's
    /// [`Dropout`] layer.
    ///
    /// # Panics
    /// As [`init_scratch`](Self::init_scratch).
    pub fn init(&self, device: &Device) -> Mlp {
        let widths = self.widths();
        Mlp {
            layers: widths
                .windows(2)
                .map(|w| self.init.linear(w[0], w[1], device))
                .collect(),
            dropouts: (0..self.hidden.len())
                .map(|i| Dropout::new(self.dropout_after(i)))
                .collect(),
            activation: Relu::new(),
        }
    }
}

// ANCHOR: MlpScratch
/// An MLP from scratch: `H = relu(X W1 + b1)`, dropout on `H` while training, ..., then the
/// last layer's scores. Train it with
/// [`softmax_cross_entropy`](crate::ops::softmax_cross_entropy) and
/// `d2l_learner::Updater::Sgd`.
#[derive(Module, Debug)]
pub struct MlpScratch {
    /// Weights per layer, `[n_in, n_out]`.
    pub weights: Vec<Param<Tensor<2>>>,
    /// Biases per layer, `[n_out]`.
    pub biases: Vec<Param<Tensor<1>>>,
    /// Dropout probability after each hidden layer (0 for none).
    pub dropout: Vec<f64>,
}

impl Model for MlpScratch {
    /// # Shapes
    /// - inputs: `[batch, inputs]`
    /// - output: `[batch, outputs]`, unnormalised scores
    fn forward(&self, inputs: Tensor<2>) -> Tensor<2> {
        let last = self.weights.len() - 1;
        let mut x = inputs;
        for (i, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            x = x.matmul(w.val()) + b.val().unsqueeze();
            if i < last {
                x = dropout(relu(x), self.dropout[i]);
            }
        }
        x
    }
}
// ANCHOR_END: MlpScratch

// ANCHOR: Mlp
/// A concise MLP: `Linear`, `Relu` and [`Dropout`] layers.
#[derive(Module, Debug)]
pub struct Mlp {
    /// The fully connected layers, input side first.
    pub layers: Vec<Linear>,
    /// Dropout after each hidden layer (probability 0 where there is none).
    pub dropouts: Vec<Dropout>,
    /// The activation between layers.
    pub activation: Relu,
}

impl Model for Mlp {
    /// # Shapes
    /// - inputs: `[batch, inputs]`
    /// - output: `[batch, outputs]`, unnormalised scores
    fn forward(&self, inputs: Tensor<2>) -> Tensor<2> {
        let (last, hidden) = self.layers.split_last().expect("an MLP has a layer");
        let mut x = inputs;
        for (layer, dropout) in hidden.iter().zip(&self.dropouts) {
            x = dropout.forward(self.activation.forward(layer.forward(x)));
        }
        last.forward(x)
    }
}
// ANCHOR_END: Mlp

impl LinearLayers for MlpScratch {
    fn linear_layers(&self) -> Vec<(Tensor<2>, Tensor<1>)> {
        let biases = self.biases.iter().map(Param::val);
        self.weights.iter().map(Param::val).zip(biases).collect()
    }
}

impl LinearLayers for Mlp {
    fn linear_layers(&self) -> Vec<(Tensor<2>, Tensor<1>)> {
        self.layers.iter().map(linear_parameters).collect()
    }
}

impl From<&MlpScratch> for Mlp {
    /// The same network as layers: each weight and bias of `scratch` in a `Linear` (new
    /// parameters holding the same values), and the same dropout after each hidden layer.
    fn from(scratch: &MlpScratch) -> Self {
        Mlp {
            layers: scratch
                .weights
                .iter()
                .zip(&scratch.biases)
                .map(|(w, b)| Linear {
                    weight: Param::from_tensor(w.val()),
                    bias: Some(Param::from_tensor(b.val())),
                })
                .collect(),
            dropouts: scratch.dropout.iter().map(|&p| Dropout::new(p)).collect(),
            activation: Relu::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    #[test]
    fn shapes_follow_the_config() {
        let device = Device::flex();
        let config = MlpConfig::dropout_book();
        let scratch = config.init_scratch(&device);
        let dims: Vec<[usize; 2]> = scratch.weights.iter().map(|w| w.dims()).collect();
        assert_eq!(dims, vec![[784, 256], [256, 256], [256, 10]]);
        assert_eq!(scratch.dropout, vec![0.2, 0.5]);
        let x = Tensor::<2>::random([3, 784], Distribution::Default, &device);
        assert_eq!(scratch.forward(x.clone()).dims(), [3, 10]);
        assert_eq!(config.init(&device).forward(x).dims(), [3, 10]);
    }

    #[test]
    fn scratch_and_concise_agree_given_the_same_parameters() {
        let device = Device::flex();
        let scratch = MlpConfig::new().init_scratch(&device);
        let concise = Mlp::from(&scratch);
        let x = Tensor::<2>::random([4, 784], Distribution::Default, &device);
        let diff = (scratch.forward(x.clone()) - concise.forward(x))
            .abs()
            .max()
            .into_scalar::<f32>();
        assert!(diff < 1e-6, "{diff}");
    }

    /// Both forms list the same layers, input side first, weights `[inputs, outputs]`.
    #[test]
    fn both_forms_list_their_layers_alike() {
        let device = Device::flex();
        let scratch = MlpConfig::dropout_book().init_scratch(&device);
        let values = |layers: Vec<(Tensor<2>, Tensor<1>)>| {
            layers
                .into_iter()
                .map(|(w, b)| {
                    let dims = (w.dims(), b.dims());
                    let w = w.try_to_vec_as::<f32>().unwrap();
                    (dims, w, b.try_to_vec_as::<f32>().unwrap())
                })
                .collect::<Vec<_>>()
        };
        let ours = values(scratch.linear_layers());
        let shapes: Vec<_> = ours.iter().map(|(dims, _, _)| *dims).collect();
        assert_eq!(
            shapes,
            [([784, 256], [256]), ([256, 256], [256]), ([256, 10], [10])]
        );
        assert_eq!(ours, values(Mlp::from(&scratch).linear_layers()));
    }

    /// The dropout models evaluate deterministically in validation mode, and differently from
    /// training mode, for both the hand-written dropout and the `Dropout` layer.
    #[test]
    fn dropout_is_off_in_evaluation_and_on_in_training() {
        let device = Device::flex().autodiff();
        let config = MlpConfig::dropout_book();
        let x = Tensor::<2>::random([8, 784], Distribution::Default, &device);
        let scratch = config.init_scratch(&device);
        let concise = Mlp::from(&scratch);
        let outputs = |model: &dyn Fn(Tensor<2>) -> Tensor<2>, x: Tensor<2>| {
            model(x).try_to_vec_as::<f32>().unwrap()
        };
        let scratch_valid = scratch.valid();
        let concise_valid = concise.valid();
        let x_valid = x.clone().inner();
        let eval_a = outputs(&|x| scratch_valid.forward(x), x_valid.clone());
        let eval_b = outputs(&|x| scratch_valid.forward(x), x_valid.clone());
        assert_eq!(eval_a, eval_b, "two evaluations of the same batch");
        let concise_eval = outputs(&|x| concise_valid.forward(x), x_valid);
        let max_diff = eval_a
            .iter()
            .zip(&concise_eval)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(max_diff < 1e-5, "both are the same network in evaluation");
        for train in [
            outputs(&|x| scratch.forward(x), x.clone()),
            outputs(&|x| concise.forward(x), x.clone()),
        ] {
            assert_ne!(train, eval_a, "training mode drops units");
        }
        // That both drop the same units under the same seed is checked in
        // `tests/seeded_dropout.rs`, alone in its process.
    }

    #[test]
    #[should_panic(expected = "one dropout probability per hidden layer")]
    fn a_dropout_list_of_the_wrong_length_is_refused() {
        MlpConfig::new()
            .with_dropout(vec![0.1, 0.2])
            .init(&Device::flex());
    }
}
