//! Weight initialisation (d2l 3.6, 4.8): normal(σ) and Xavier, usable by any model.

use burn::config::Config;
use burn::module::Param;
use burn::nn::{Initializer, Linear};
use burn::tensor::{Device, Tensor};

/// How the parameters of a layer are drawn. Biases start at zero, as in d2l's `init_weights`,
/// except with [`Init::Torch`], which draws them like the weights.
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
    /// PyTorch's `nn.Linear` default, which d2l 4.6 (dropout) and 4.10 (house prices) keep:
    /// weights and biases `U(-1/sqrt(n_in), 1/sqrt(n_in))`.
    Torch,
    /// Every weight equal to `value`: the symmetric initialisation of d2l 4.8.2.3, under which
    /// the hidden units of a layer receive equal gradients and never become different.
    Constant {
        /// The value.
        value: f64,
    },
}

impl Init {
    /// The book's default: `N(0, 0.01²)`.
    pub const BOOK: Init = Init::Normal { std: 0.01 };

    fn initializer(self) -> Initializer {
        match self {
            Init::Normal { std } => Initializer::Normal { mean: 0.0, std },
            Init::XavierUniform => Initializer::XavierUniform { gain: 1.0 },
            Init::XavierNormal => Initializer::XavierNormal { gain: 1.0 },
            // Kaiming uniform with gain 1/sqrt(3): bound = gain * sqrt(3 / n_in) = 1/sqrt(n_in).
            Init::Torch => Initializer::KaimingUniform {
                gain: 1.0 / 3.0f64.sqrt(),
                fan_out_only: false,
            },
            Init::Constant { value } => Initializer::Constant { value },
        }
    }

    /// The initialisation `--init` names: `normal` (σ = 0.01), `xavier` (uniform),
    /// `xavier-normal` or `torch`.
    pub fn parse(name: &str) -> Option<Init> {
        match name {
            "normal" => Some(Init::BOOK),
            "xavier" | "xavier-uniform" => Some(Init::XavierUniform),
            "xavier-normal" => Some(Init::XavierNormal),
            "torch" => Some(Init::Torch),
            _ => None,
        }
    }

    /// A `[n_in, n_out]` weight parameter drawn from this distribution.
    pub fn weight(self, n_in: usize, n_out: usize, device: &Device) -> Param<Tensor<2>> {
        self.initializer()
            .init_with([n_in, n_out], Some(n_in), Some(n_out), device)
    }

    /// A `[n_out]` bias parameter: zero, or drawn like the weights with [`Init::Torch`].
    pub fn bias(self, n_in: usize, n_out: usize, device: &Device) -> Param<Tensor<1>> {
        match self {
            Init::Torch => self
                .initializer()
                .init_with([n_out], Some(n_in), Some(n_out), device),
            _ => zeros(n_out, device),
        }
    }

    /// A fully connected layer `n_in -> n_out` initialised this way (d2l's
    /// `net.apply(init_weights)`).
    pub fn linear(self, n_in: usize, n_out: usize, device: &Device) -> Linear {
        Linear {
            weight: self.weight(n_in, n_out, device),
            bias: Some(self.bias(n_in, n_out, device)),
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

    #[test]
    fn torch_default_draws_weights_and_biases_within_one_over_sqrt_fan_in() {
        let device = Device::flex();
        let layer = Init::Torch.linear(100, 50, &device);
        let bound = 0.1 + 1e-6; // 1 / sqrt(100)
        let w = layer.weight.val().try_to_vec_as::<f32>().unwrap();
        let b = layer.bias.unwrap().val().try_to_vec_as::<f32>().unwrap();
        assert!(w.iter().chain(&b).all(|v| f64::from(v.abs()) <= bound));
        assert!(b.iter().any(|&v| v != 0.0), "biases are drawn too");
        // U(-0.1, 0.1) has σ = 0.1 / sqrt(3) ≈ 0.0577; 5000 draws land well within 0.005.
        let (_, std) = moments(&w);
        assert!((std - 0.0577).abs() < 0.005, "{std}");
    }

    #[test]
    fn init_names_parse() {
        assert_eq!(Init::parse("normal"), Some(Init::BOOK));
        assert_eq!(Init::parse("xavier"), Some(Init::XavierUniform));
        assert_eq!(Init::parse("xavier-normal"), Some(Init::XavierNormal));
        assert_eq!(Init::parse("torch"), Some(Init::Torch));
        assert_eq!(Init::parse("he"), None);
    }
}
