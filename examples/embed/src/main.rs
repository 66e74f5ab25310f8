//! A model of our own, trained by the d2l Learner on the d2l Fashion-MNIST loader, saved,
//! reloaded and evaluated: what a project outside burn-d2l does with its crates.
//!
//! `cargo run --release -- [EPOCHS]` (default 2); the data is found as the loaders find it
//! (`$D2L_DATA_DIR`, else burn-d2l's `datasets/` folder).

use burn::module::Module;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::optim::SgdConfig;
use burn::tensor::{Device, Tensor};
use d2l_data::{FashionMnist, data_dir};
use d2l_learner::{Accuracy, Learner, LearnerConfig, Updater, evaluate};
use d2l_models::{Model, softmax_cross_entropy};

/// A 784-128-10 perceptron: not one of d2l's, to show that any module trains.
#[derive(Module, Debug)]
struct Net {
    hidden: Linear,
    output: Linear,
    activation: Relu,
}

impl Net {
    fn new(device: &Device) -> Self {
        Self {
            hidden: LinearConfig::new(784, 128).init(device),
            output: LinearConfig::new(128, 10).init(device),
            activation: Relu::new(),
        }
    }
}

impl Model for Net {
    /// # Shapes
    /// - inputs: `[batch, 784]`
    /// - output: `[batch, 10]`, scores
    fn forward(&self, inputs: Tensor<2>) -> Tensor<2> {
        let hidden = self.activation.forward(self.hidden.forward(inputs));
        self.output.forward(hidden)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let epochs = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 2,
    };
    let device = Device::flex();
    let (train, test) = FashionMnist::load(&data_dir(None))?.datasets(&device);

    let training = device.clone().autodiff();
    training.seed(42);
    let config = LearnerConfig::new().with_epochs(epochs); // batch 256, lr 0.1
    let updater = Updater::from(SgdConfig::new().init());
    let (model, history) = Learner::new(config, &softmax_cross_entropy, &Accuracy, updater).fit(
        Net::new(&training),
        &train,
        Some(&test),
    )?;
    let trained = history.last().and_then(|epoch| epoch.test_metric);

    let path = std::env::temp_dir().join(format!("d2l-embed-{}.bpk", std::process::id()));
    model.valid().save_file(&path)?;
    let reloaded = Net::new(&device).try_load_file(&path)?;
    // The file goes only after the evaluation: Burn reads a loaded file's weights lazily, on
    // first use.
    let accuracy = evaluate(&reloaded, &test, &Accuracy, 2048);
    std::fs::remove_file(&path)?;
    let accuracy = accuracy?;

    println!(
        "test accuracy after {epochs} epochs: {accuracy:.4} (reloaded), {trained:?} (trained)"
    );
    match trained {
        Some(trained) if (trained - accuracy).abs() < 1e-6 => Ok(()),
        _ => Err("the reloaded model does not evaluate as the trained one".into()),
    }
}
