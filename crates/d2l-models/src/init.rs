//! Weight initialisation (d2l 3.6, 4.8): normal(σ) and Xavier, usable by any model.

use burn::module::Param;
use burn::nn::{Initializer, Linear};
use burn::tensor::{Device, Tensor};
use std::fmt;
use std::str::FromStr;

// ANCHOR: Init
/// How the parameters of a layer are drawn. Biases start at zero, as in d2l's `init_weights`,
/// except with [`Init::Torch`], which draws them like the weights.
///
/// Written and read as the command line spells it (`normal`, `xavier`, `xavier-normal`,
/// `torch`), with a value where it differs from the book's (`normal:1` for σ = 1,
/// `constant:0.5`); that is also its form in a saved config.
#[derive(Debug, Clone, Copy, PartialEq)]
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
// ANCHOR_END: Init

impl Init {
    /// The book's default: `N(0, 0.01²)`.
    pub const BOOK: Init = Init::Normal { std: 0.01 };

    /// The initialisations chosen by name alone (`--init`): `normal` (σ = 0.01), `xavier`,
    /// `xavier-normal`, `torch`.
    pub const NAMED: [Init; 4] = [
        Init::BOOK,
        Init::XavierUniform,
        Init::XavierNormal,
        Init::Torch,
    ];

    // ANCHOR: initializer
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
    // ANCHOR_END: initializer

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

impl Init {
    /// The name alone of the initialisations of [`Init::NAMED`]; `None` for the others.
    pub fn name(&self) -> Option<&'static str> {
        match *self {
            init if init == Init::BOOK => Some("normal"),
            Init::XavierUniform => Some("xavier"),
            Init::XavierNormal => Some("xavier-normal"),
            Init::Torch => Some("torch"),
            Init::Normal { .. } | Init::Constant { .. } => None,
        }
    }
}

impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), *self) {
            (Some(name), _) => f.write_str(name),
            (None, Init::Normal { std }) => write!(f, "normal:{std}"),
            (None, Init::Constant { value }) => write!(f, "constant:{value}"),
            (None, other) => unreachable!("{other:?} has a name"),
        }
    }
}

impl FromStr for Init {
    type Err = String;

    /// The inverse of `Display`; `xavier-uniform` is accepted for `xavier`.
    fn from_str(s: &str) -> Result<Self, String> {
        let number = |value: &str| {
            value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("'{s}': '{value}' is not a finite number"))
        };
        match s.split_once(':') {
            None => match s {
                "normal" => Ok(Init::BOOK),
                "xavier" | "xavier-uniform" => Ok(Init::XavierUniform),
                "xavier-normal" => Ok(Init::XavierNormal),
                "torch" => Ok(Init::Torch),
                _ => Err(format!(
                    "unknown initialisation '{s}'; expected normal, xavier, xavier-normal, \
                     torch, normal:<std> or constant:<value>"
                )),
            },
            Some(("normal", std)) => Ok(Init::Normal { std: number(std)? }),
            Some(("constant", value)) => Ok(Init::Constant {
                value: number(value)?,
            }),
            Some(_) => Err(format!("unknown initialisation '{s}'")),
        }
    }
}

impl serde::Serialize for Init {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Init {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl burn::config::Config for Init {}

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
    fn names_are_the_command_lines_and_round_trip_through_json() {
        let names: Vec<String> = Init::NAMED.iter().map(Init::to_string).collect();
        assert_eq!(names, ["normal", "xavier", "xavier-normal", "torch"]);
        for init in Init::NAMED
            .into_iter()
            .chain([Init::Normal { std: 1.0 }, Init::Constant { value: 0.5 }])
        {
            let json = serde_json::to_string(&init).unwrap();
            assert_eq!(serde_json::from_str::<Init>(&json).unwrap(), init, "{json}");
            assert_eq!(init.to_string().parse::<Init>().unwrap(), init);
        }
        assert_eq!(
            serde_json::to_string(&Init::Normal { std: 1.0 }).unwrap(),
            "\"normal:1\""
        );
        assert_eq!("xavier-uniform".parse::<Init>(), Ok(Init::XavierUniform));
        assert!(
            "he".parse::<Init>()
                .unwrap_err()
                .contains("unknown initialisation 'he'")
        );
        assert!("normal:x".parse::<Init>().is_err());
    }
}
