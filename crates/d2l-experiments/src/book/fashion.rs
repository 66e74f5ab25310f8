//! What the six Fashion-MNIST classifiers share (softmax regression, d2l 3.6–3.7; the MLP,
//! 4.2–4.3; the dropout MLP, 4.6): their configuration, options, results, training into a run
//! folder, and the prediction grid of d2l's `predict_ch3`. Each classifier is a [`Classifier`]
//! in its own module, which says only which network and update rule the book uses.

use burn::config::Config;
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Int, Tensor};
use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use d2l_data::fashion_mnist::{pixels_tensor, read_images};
use d2l_data::{CLASS_NAMES, FashionMnist, IMAGE_PIXELS, Split, TensorDataset};
use d2l_learner::run::files;
use d2l_learner::{
    Accuracy, EpochRecord, Learner, LearnerConfig, Model, Scale, UpdaterConfig, evaluate_with,
    evaluation_batch_size,
};
use d2l_models::{
    Init, LinearLayers, MlpConfig, SoftmaxConfig, cross_entropy, softmax_cross_entropy,
};
use serde::{Deserialize, Serialize};
use std::path::Path;

use super::{Load, Network, WithNetwork, write};
use crate::experiment::{Experiment, Prediction, Run};
use crate::export::{Exported, TorchSequential, write_safetensors};
use crate::{Error, LearnerArgs};

mod grid;

pub use grid::image_grid;

/// How many test images the prediction grid shows.
pub const PREDICTION_GRID_IMAGES: usize = 8;

/// The network of a classifier run and how it is written. In JSON:
/// `{"softmax-scratch": {..}}`, `{"mlp": {..}}`, ...
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Net {
    /// Softmax regression from scratch: its output is probabilities, trained with the
    /// hand-written cross-entropy (d2l 3.6).
    SoftmaxScratch(SoftmaxConfig),
    /// Softmax regression from a `Linear` layer, the softmax folded into the loss (d2l 3.7).
    Softmax(SoftmaxConfig),
    /// An MLP with hand-held parameters, hand-written ReLU and dropout (d2l 4.2, 4.6).
    MlpScratch(MlpConfig),
    /// An MLP from layers (d2l 4.3, 4.6).
    Mlp(MlpConfig),
}

impl Net {
    /// The weight initialisation.
    pub fn init(&self) -> Init {
        match self {
            Net::SoftmaxScratch(c) | Net::Softmax(c) => c.init,
            Net::MlpScratch(c) | Net::Mlp(c) => c.init,
        }
    }

    /// Whether its outputs are probabilities (softmax regression from scratch computes the
    /// softmax itself, d2l 3.6) rather than logits.
    pub fn outputs_probabilities(&self) -> bool {
        matches!(self, Net::SoftmaxScratch(_))
    }

    /// The loss d2l trains it with: the hand-written `cross_entropy` on the probabilities of
    /// softmax regression from scratch (d2l 3.6), the stable cross-entropy on logits for the
    /// others.
    pub fn loss(&self) -> fn(Tensor<2>, Tensor<1, Int>) -> Tensor<1> {
        match self.outputs_probabilities() {
            true => cross_entropy,
            false => softmax_cross_entropy,
        }
    }

    /// The network, new on `device`, handed to `then`: the one place where a `Net` becomes a
    /// model type (training it, loading a run's, counting its kernels all go through here).
    pub fn build<W: WithNetwork>(&self, device: &Device, then: W) -> W::Output {
        match self {
            Net::SoftmaxScratch(c) => then.with(c.init_scratch(device)),
            Net::Softmax(c) => then.with(c.init(device)),
            Net::MlpScratch(c) => then.with(c.init_scratch(device)),
            Net::Mlp(c) => then.with(c.init(device)),
        }
    }

    /// The widths of its layers, inputs first (784, the hidden layers, 10).
    pub fn widths(&self) -> Vec<usize> {
        match self {
            Net::SoftmaxScratch(c) | Net::Softmax(c) => vec![c.num_inputs, c.num_outputs],
            Net::MlpScratch(c) | Net::Mlp(c) => {
                let mut widths = vec![c.num_inputs];
                widths.extend(&c.hidden);
                widths.push(c.num_outputs);
                widths
            }
        }
    }

    /// The same network with initialisation `init`.
    pub fn with_init(self, init: Init) -> Self {
        match self {
            Net::SoftmaxScratch(c) => Net::SoftmaxScratch(c.with_init(init)),
            Net::Softmax(c) => Net::Softmax(c.with_init(init)),
            Net::MlpScratch(c) => Net::MlpScratch(c.with_init(init)),
            Net::Mlp(c) => Net::Mlp(c.with_init(init)),
        }
    }
}

/// The configuration of a Fashion-MNIST classifier run (`config.json`).
#[derive(Config, Debug, PartialEq)]
pub struct ClassifierConfig {
    /// The network.
    pub net: Net,
    /// The update rule: d2l's hand-written `sgd` for the networks from scratch, Burn's SGD
    /// for the concise ones.
    pub optimizer: UpdaterConfig,
    /// The training loop (d2l: batch 256, lr 0.1, 10 epochs).
    #[config(default = "LearnerConfig::new()")]
    pub learner: LearnerConfig,
}

/// A Fashion-MNIST classifier of the book: its name, section and recipe. Every classifier is
/// an [`Experiment`] with [`ClassifierArgs`], [`ClassifierConfig`] and [`ClassifierResults`].
pub trait Classifier: 'static {
    /// The name on the command line.
    const NAME: &'static str;
    /// The section of d2l.ai.
    const SECTION: &'static str;
    /// The book's recipe.
    fn book() -> ClassifierConfig;
}

/// Every Fashion-MNIST classifier of the book, by name, with its book recipe, in the book's
/// order.
pub fn book_classifiers() -> [(&'static str, ClassifierConfig); 6] {
    use crate::{dropout, dropout_scratch, mlp, mlp_scratch, softmax, softmax_scratch};
    fn book<C: Classifier>() -> (&'static str, ClassifierConfig) {
        (<C as Classifier>::NAME, C::book())
    }
    [
        book::<softmax_scratch::SoftmaxScratch>(),
        book::<softmax::Softmax>(),
        book::<mlp_scratch::MlpScratch>(),
        book::<mlp::Mlp>(),
        book::<dropout_scratch::DropoutScratch>(),
        book::<dropout::Dropout>(),
    ]
}

/// The options of a classifier.
#[derive(Args, Debug, Clone, Default, PartialEq)]
pub struct ClassifierArgs {
    /// The training loop.
    #[command(flatten)]
    pub learner: LearnerArgs,
    /// Weight initialisation: normal (σ 0.01), xavier (uniform), xavier-normal, or torch
    /// (PyTorch's nn.Linear default, biases drawn too).
    #[arg(long, value_parser = init_parser())]
    pub init: Option<Init>,
}

/// `--init`: the names of [`Init::NAMED`].
fn init_parser() -> impl TypedValueParser<Value = Init> {
    PossibleValuesParser::new(Init::NAMED.map(|init| init.name().expect("a named initialisation")))
        .map(|name| name.parse::<Init>().expect("a listed name parses"))
}

/// What a classifier run reports: the last epoch's training loss and accuracy, and the test
/// accuracy after it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassifierResults {
    /// Mean training loss of the last epoch.
    pub train_loss: f64,
    /// Training accuracy of the last epoch (measured while training, as d2l's `train_ch3`).
    pub train_acc: f64,
    /// Test accuracy after the last epoch.
    pub test_acc: f64,
}

impl<C: Classifier> Experiment for C {
    const NAME: &'static str = C::NAME;
    const SECTION: &'static str = C::SECTION;
    type Args = ClassifierArgs;
    type Config = ClassifierConfig;
    type Results = ClassifierResults;

    fn config(args: &ClassifierArgs) -> Result<ClassifierConfig, Error> {
        let mut config = C::book();
        if let Some(init) = args.init {
            config.net = config.net.with_init(init);
        }
        config.learner = args.learner.apply(config.learner);
        Ok(config)
    }

    fn learner(config: &ClassifierConfig) -> &LearnerConfig {
        &config.learner
    }

    fn learner_mut(config: &mut ClassifierConfig) -> &mut LearnerConfig {
        &mut config.learner
    }

    const HEADLINE: &'static str = "test_acc";

    fn shown_defaults(config: &ClassifierConfig) -> Vec<(&'static str, String)> {
        vec![("init", config.net.init().to_string())]
    }

    fn run(config: &ClassifierConfig, run: &Run<'_>) -> Result<ClassifierResults, Error> {
        let data = FashionMnist::load(run.data_dir)?;
        let history = train(config, &data, run)?;
        let last = history.last().expect("at least one epoch");
        Ok(ClassifierResults {
            train_loss: last.train_loss,
            train_acc: last.train_metric,
            test_acc: last.test_metric.unwrap_or(f64::NAN),
        })
    }

    /// The test accuracy of the saved model (`test_acc`), in the batches the run used.
    fn evaluate(
        config: &ClassifierConfig,
        run: &Run<'_>,
    ) -> Result<Vec<(&'static str, f64)>, Error> {
        let trained = Trained::load(config, run)?;
        let data = FashionMnist::load(run.data_dir)?;
        let test = data.test.dataset(run.device);
        let batch_size = evaluation_batch_size(config.learner.batch_size, run.device);
        let accuracy = evaluate_with(&|x| trained.forward(x), &test, &Accuracy, batch_size)?;
        Ok(vec![("test_acc", accuracy)])
    }

    /// The saved model as d2l's PyTorch network: `nn.Flatten()`, then each `nn.Linear`
    /// followed by `nn.ReLU()` (and `nn.Dropout` in the dropout networks) but the last.
    fn export(config: &ClassifierConfig, run: &Run<'_>, out: &Path) -> Result<Exported, Error> {
        let trained = Trained::load(config, run)?;
        let dropout = match &config.net {
            Net::MlpScratch(c) | Net::Mlp(c) => !c.dropout.is_empty(),
            Net::SoftmaxScratch(_) | Net::Softmax(_) => false,
        };
        let layout = TorchSequential {
            flatten: true,
            dropout,
        };
        write_safetensors(trained.linear_layers(), layout, Self::NAME, out)
    }

    /// Classifies the images of `input` (an IDX file or a PNG, [`read_images`]) into the CSV
    /// `out` (`index,class,label,probability`) and draws the first ones beside it
    /// (`out` with the extension `svg`).
    fn predict(
        config: &ClassifierConfig,
        run: &Run<'_>,
        input: &Path,
        out: &Path,
    ) -> Result<Prediction, Error> {
        let trained = Trained::load(config, run)?;
        let pixels = read_images(input)?;
        let mut csv = String::from("index,class,label,probability\n");
        let mut classes = Vec::new();
        for chunk in pixels.chunks(PREDICT_BATCH * IMAGE_PIXELS) {
            let probabilities = trained.probabilities(pixels_tensor(chunk, run.device));
            let class = probabilities.clone().argmax(1).try_to_vec_as::<i64>()?;
            let probability = probabilities.max_dim(1).try_to_vec_as::<f32>()?;
            for (class, probability) in class.into_iter().zip(probability) {
                let class = class as usize;
                csv.push_str(&format!(
                    "{},{class},{},{probability:.6}\n",
                    classes.len(),
                    CLASS_NAMES[class]
                ));
                classes.push(class);
            }
        }
        write(out, csv.as_bytes())?;
        let shown = classes.len().min(PREDICTION_GRID_IMAGES);
        let grid = out.with_extension("svg");
        let svg = image_grid(&pixels[..shown * IMAGE_PIXELS], None, &classes[..shown]);
        write(&grid, svg.as_bytes())?;
        Ok(Prediction {
            out: out.to_path_buf(),
            rows: classes.len(),
            grid: Some(grid),
        })
    }
}

/// Images classified per forward pass by `predict`.
const PREDICT_BATCH: usize = 2048;

/// A classifier's trained model loaded from its run folder (`model.bpk`), on a device without
/// autodiff: the network of the config, whatever its type.
struct Trained {
    network: Box<dyn Network>,
    outputs_probabilities: bool,
}

impl Trained {
    fn load(config: &ClassifierConfig, run: &Run<'_>) -> Result<Self, Error> {
        let path = run.dir.weights_path("");
        Ok(Trained {
            network: config.net.build(run.device, Load(&path))?,
            outputs_probabilities: config.net.outputs_probabilities(),
        })
    }

    /// The network's output: probabilities for softmax regression from scratch, logits for
    /// the others.
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.network.forward(x)
    }

    /// Its layers' weights and biases, input side first.
    fn linear_layers(&self) -> Vec<(Tensor<2>, Tensor<1>)> {
        self.network.linear_layers()
    }

    /// The probability of each class.
    fn probabilities(&self, x: Tensor<2>) -> Tensor<2> {
        match self.outputs_probabilities {
            true => self.forward(x),
            false => softmax(self.forward(x), 1),
        }
    }
}

/// Trains the classifier of `config` on `data` into `run.dir` (metrics, curves, weights and
/// `predictions.svg`) and returns its history.
pub(crate) fn train(
    config: &ClassifierConfig,
    data: &FashionMnist,
    run: &Run<'_>,
) -> Result<Vec<EpochRecord>, Error> {
    let trainer = Trainer {
        config,
        datasets: data.datasets(run.device),
        test: &data.test,
        run,
    };
    config.net.build(&run.device.clone().autodiff(), trainer)
}

struct Trainer<'a> {
    config: &'a ClassifierConfig,
    datasets: (TensorDataset<Tensor<1, Int>>, TensorDataset<Tensor<1, Int>>),
    test: &'a Split,
    run: &'a Run<'a>,
}

impl WithNetwork for Trainer<'_> {
    type Output = Result<Vec<EpochRecord>, Error>;

    fn with<M: Model + LinearLayers + 'static>(self, model: M) -> Self::Output {
        let (train, test) = &self.datasets;
        let learner = self.config.learner.clone();
        let loss = self.config.net.loss();
        let (model, history) =
            Learner::new(learner, &loss, &Accuracy, self.config.optimizer.init())
                .progress(self.run.progress)
                .wait_each_step(self.run.wait_each_step)
                .data_parallel(self.run.data_parallel.clone())
                .fit_into(self.run.dir, "", Scale::Linear, model, train, Some(test))?;
        let shown = self.test.head(PREDICTION_GRID_IMAGES);
        let predicted = predict(&model, &shown, self.run.device)?;
        let svg = image_grid(&shown.pixels(), Some(shown.labels()), &predicted);
        self.run
            .dir
            .write_file(files::PREDICTIONS, svg.as_bytes())?;
        Ok(history)
    }
}

/// The predicted class of every example of `split` (d2l's `net(X).argmax(axis=1)`); pass a
/// model in validation mode.
pub fn predict<M: Model>(model: &M, split: &Split, device: &Device) -> Result<Vec<usize>, Error> {
    let (images, _) = split.to_tensors(device);
    let classes = model.forward(images).argmax(1).squeeze_dim::<1>(1);
    let classes = classes.try_to_vec_as::<i64>()?;
    Ok(classes.into_iter().map(|c| c as usize).collect())
}

#[cfg(test)]
mod tests;
