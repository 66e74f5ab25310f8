//! d2l 4.6: dropout from scratch in a 784-256-256-10 MLP.

use d2l_learner::{LearnerConfig, UpdaterConfig};
use d2l_models::MlpConfig;

use crate::fashion::{Classifier, ClassifierConfig, Net};

// ANCHOR: DropoutScratch
/// d2l 4.6: dropout from scratch in a 784-256-256-10 MLP.
pub struct DropoutScratch;

impl Classifier for DropoutScratch {
    const NAME: &'static str = "dropout-scratch";
    const SECTION: &'static str = "d2l 4.6 dropout from scratch";

    /// 784-256-256-10, hand-written dropout 0.2 / 0.5, PyTorch's default initialisation, hand-written SGD; batch 256, lr 0.5, 10 epochs.
    fn book() -> ClassifierConfig {
        ClassifierConfig::new(
            Net::MlpScratch(MlpConfig::dropout_book()),
            UpdaterConfig::Scratch,
        )
        .with_learner(LearnerConfig::new().with_lr(0.5))
    }
}
// ANCHOR_END: DropoutScratch
