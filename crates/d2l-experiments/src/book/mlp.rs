//! d2l 4.3: the same MLP from Burn modules.

use burn::optim::SgdConfig;
use d2l_learner::UpdaterConfig;
use d2l_models::MlpConfig;

use crate::fashion::{Classifier, ClassifierConfig, Net};

// ANCHOR: Mlp
/// d2l 4.3: the same MLP from Burn modules.
pub struct Mlp;

impl Classifier for Mlp {
    const NAME: &'static str = "mlp";
    const SECTION: &'static str = "d2l 4.3 concise MLP";

    /// Burn `Linear` + `Relu` initialised like `net.apply(init_weights)`, Burn SGD; batch 256, lr 0.1, 10 epochs.
    fn book() -> ClassifierConfig {
        ClassifierConfig::new(
            Net::Mlp(MlpConfig::new()),
            UpdaterConfig::Sgd(SgdConfig::new()),
        )
    }
}
// ANCHOR_END: Mlp
