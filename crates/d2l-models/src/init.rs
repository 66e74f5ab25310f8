//! Weight initialisation (d2l 3.6, 4.8): normal(σ) and Xavier, usable by any model.

use burn::config::Config;
use burn::module::Param;
use burn::nn::{Initializer, Linear};
use burn::tensor::{Device, Tensor};

/// How the weights of a layer are drawn; biases start at zero, as in d2l's `init_weights`.
#[derive(Config, Debug, Copy, PartialEq)]
pub enum Init {
    /// `N(0, std²)` (the book's default, σ = 0.01).
    Normal {
        /// Standard deviation.
        std: f64,
    },
    /// Xavier (Glorot) uniform: `U(-a, a)` with `a = sqrt(6 / (n_in + n_out))`.
    XavierUniform,
    /// Xavier (Glorot) normal: `N(0, 2 / (n_in + n_out))`.
    XavierNormal,
}

impl Init {
    /// The book's default: `N(0, 0.01²)`.
    pub const BOOK: Init = Init::Normal { std: 0.01 };

    fn initializer(self) -> Initializer {
        match self {
            Init::Normal { std } => Initializer::Normal { mean: 0.0, std },
            Init::XavierUniform => Initializer::XavierUniform { gain: 1.0 },
            Init::XavierNormal => Initializer::XavierNormal { gain: 1.0 },
        }
    }

    /// A `[n_in, n_out]` weight parameter drawn from this distribution.
    pub fn weight(self, n_in: usize, n_out: usize, device: &Device) -> Param<Tensor<2>> {
        self.initializer()
            .init_with([n_in, n_out], Some(n_in), Some(n_out), device)
    }

    /// A fully connected layer `n_in -> n_out`: weight from this distribution, bias zero.
    pub fn linear(self, n_in: usize, n_out: usize, device: &Device) -> Linear {
        Linear {
            weight: self.weight(n_in, n_out, device),
            bias: Some(zeros(n_out, device)),
        }
    }
}

/// A zero bias parameter of length `n`.
pub fn zeros(n: usize, device: &Device) -> Param<Tensor<1>> {
    Initializer::Zeros.init([n], device)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(values: &[f32]) -> (f64, f64) {
        let n = values.len() as f64;
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = values
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var.sqrt())
    }

    #[test]
    fn normal_weights_have_the_requested_spread_and_biases_are_zero() {
        let device = Device::flex();
        let layer = Init::BOOK.linear(784, 256, &device);
        let w = layer.weight.val().try_to_vec_as::<f32>().unwrap();
        let (mean, std) = moments(&w);
        // 200 704 draws: the sample std is within 1% of 0.01.
        assert!(
            mean.abs() < 1e-4 && (std - 0.01).abs() < 1e-4,
            "{mean} {std}"
        );
        let b = layer.bias.unwrap().val().try_to_vec_as::<f32>().unwrap();
        assert!(b.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn xavier_weights_follow_the_fan_rule() {
        let device = Device::flex();
        // σ² = 2 / (n_in + n_out) = 2 / 1000: σ ≈ 0.0447, for both variants.
        for init in [Init::XavierUniform, Init::XavierNormal] {
            let w = init
                .weight(600, 400, &device)
                .val()
                .try_to_vec_as::<f32>()
                .unwrap();
            let (_, std) = moments(&w);
            assert!((std - 0.044_72).abs() < 1e-3, "{init:?}: {std}");
        }
    }
}
