//! d2l 3.6: softmax regression from scratch on Fashion-MNIST.

use d2l_learner::UpdaterConfig;
use d2l_models::SoftmaxConfig;

use crate::fashion::{Classifier, ClassifierConfig, Net};

// ANCHOR: SoftmaxScratch
/// d2l 3.6: softmax regression from scratch on Fashion-MNIST.
pub struct SoftmaxScratch;

impl Classifier for SoftmaxScratch {
    const NAME: &'static str = "softmax-scratch";
    const SECTION: &'static str = "d2l 3.6 softmax regression from scratch";

    /// W 784×10 ~ N(0, 0.01²), b = 0, hand-written softmax, cross-entropy and SGD; batch 256, lr 0.1, 10 epochs.
    fn book() -> ClassifierConfig {
        ClassifierConfig::new(
            Net::SoftmaxScratch(SoftmaxConfig::new()),
            UpdaterConfig::Scratch,
        )
    }
}
// ANCHOR_END: SoftmaxScratch
