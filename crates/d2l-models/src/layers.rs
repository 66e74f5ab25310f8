//! Layers of this crate's own, where Burn's are slower for the book's recipes.

use burn::module::Module;
use burn::tensor::Tensor;

use crate::ops::dropout;

// ANCHOR: Dropout
/// Dropout as a layer (d2l 4.6.2's `nn.Dropout(p)`): [`dropout`] with a
/// fixed probability, active on an autodiff device and the identity elsewhere, so a model's
/// `valid()` copy evaluates without it.
///
/// Burn 0.22.1's `burn::nn::Dropout` computes the same function but draws its mask element by
/// element through the backend's ChaCha generator, which took a third of the dropout MLP's
/// epoch on the CPU; this layer draws the mask as the hand-written `dropout` does: on the host
/// from a seed taken from the device's generator on a CPU backend, by the device on an
/// accelerator, so `device.seed(..)` makes runs reproducible either way.
#[derive(Module, Debug)]
pub struct Dropout {
    /// The probability of zeroing an element, in `[0, 1)`.
    pub prob: f64,
}

impl Dropout {
    /// A dropout layer zeroing each element with probability `prob`.
    ///
    /// # Panics
    /// When `prob` is not in `[0, 1)`.
    pub fn new(prob: f64) -> Self {
        assert!(
            (0.0..1.0).contains(&prob),
            "dropout probability {prob} not in [0, 1)"
        );
        Self { prob }
    }

    /// Zeroes each element with probability `prob` and scales the others by `1 / (1 - prob)`
    /// on an autodiff device; returns `x` unchanged elsewhere.
    ///
    /// # Shapes
    /// - x: any; output: the same
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        dropout(x, self.prob)
    }
}
// ANCHOR_END: Dropout

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[test]
    fn the_layer_drops_while_training_and_is_the_identity_otherwise() {
        let device = Device::flex().autodiff();
        let x = Tensor::<2>::ones([16, 32], &device);
        let on = Dropout::new(0.5)
            .forward(x.clone())
            .try_to_vec_as::<f32>()
            .unwrap();
        assert!(on.iter().all(|&v| v == 0.0 || v == 2.0));
        assert!(on.contains(&0.0) && on.contains(&2.0));
        let off = Dropout::new(0.5).forward(x.inner());
        assert!(
            off.try_to_vec_as::<f32>()
                .unwrap()
                .iter()
                .all(|&v| v == 1.0),
            "the identity off the autodiff device"
        );
        // That it drops what the hand-written `dropout` drops under the same seed is checked in
        // `tests/seeded_dropout.rs`, alone in its process.
    }

    #[test]
    #[should_panic(expected = "not in [0, 1)")]
    fn a_probability_of_one_is_refused() {
        Dropout::new(1.0);
    }
}
