//! d2l 4.2: a 784-256-10 MLP from scratch.

use d2l_learner::UpdaterConfig;
use d2l_models::MlpConfig;

use crate::fashion::{Classifier, ClassifierConfig, Net};

// ANCHOR: MlpScratch
/// d2l 4.2: a 784-256-10 MLP from scratch.
pub struct MlpScratch;

impl Classifier for MlpScratch {
    const NAME: &'static str = "mlp-scratch";
    const SECTION: &'static str = "d2l 4.2 MLP from scratch";

    /// 784-256-10, W ~ N(0, 0.01²), b = 0, hand-written ReLU and SGD; batch 256, lr 0.1, 10 epochs.
    fn book() -> ClassifierConfig {
        ClassifierConfig::new(Net::MlpScratch(MlpConfig::new()), UpdaterConfig::Scratch)
    }
}
// ANCHOR_END: MlpScratch
