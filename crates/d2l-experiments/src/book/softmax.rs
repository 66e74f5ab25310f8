//! d2l 3.7: concise softmax regression on Fashion-MNIST.

use burn::optim::SgdConfig;
use d2l_learner::UpdaterConfig;
use d2l_models::SoftmaxConfig;

use crate::fashion::{Classifier, ClassifierConfig, Net};

// ANCHOR: Softmax
/// d2l 3.7: concise softmax regression on Fashion-MNIST.
pub struct Softmax;

impl Classifier for Softmax {
    const NAME: &'static str = "softmax";
    const SECTION: &'static str = "d2l 3.7 concise softmax regression";

    /// Burn `Linear` (initialised as the scratch model), cross-entropy on logits, Burn SGD; batch 256, lr 0.1, 10 epochs.
    fn book() -> ClassifierConfig {
        ClassifierConfig::new(
            Net::Softmax(SoftmaxConfig::new()),
            UpdaterConfig::Sgd(SgdConfig::new()),
        )
    }
}
// ANCHOR_END: Softmax
