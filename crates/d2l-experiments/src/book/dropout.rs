//! d2l 4.6: the dropout MLP from layers (Burn's `Linear` and `Relu`, d2l-models' `Dropout`).

use burn::optim::SgdConfig;
use d2l_learner::{LearnerConfig, UpdaterConfig};
use d2l_models::MlpConfig;

use crate::fashion::{Classifier, ClassifierConfig, Net};

// ANCHOR: Dropout
/// d2l 4.6: the dropout MLP from layers (Burn's `Linear` and `Relu`, d2l-models' `Dropout`).
pub struct Dropout;

impl Classifier for Dropout {
    const NAME: &'static str = "dropout";
    const SECTION: &'static str = "d2l 4.6 concise dropout";

    /// The network of `dropout-scratch` from layers, Burn SGD; batch 256, lr 0.5, 10 epochs.
    fn book() -> ClassifierConfig {
        ClassifierConfig::new(
            Net::Mlp(MlpConfig::dropout_book()),
            UpdaterConfig::Sgd(SgdConfig::new()),
        )
        .with_learner(LearnerConfig::new().with_lr(0.5))
    }
}
// ANCHOR_END: Dropout
