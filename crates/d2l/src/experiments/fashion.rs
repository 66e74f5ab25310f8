//! The Fashion-MNIST classifiers: softmax regression (d2l 3.6, 3.7), the MLP (4.2, 4.3) and
//! the dropout MLP (4.6), each from scratch and concise, and the prediction grid of d2l's
//! `predict_ch3`.

use burn::optim::SgdConfig;
use burn::tensor::{Device, Int, Tensor};
use d2l_data::{CLASS_NAMES, FashionMnist, IMAGE_PIXELS, Split, fashion_mnist::IMAGE_SIDE};
use d2l_learner::{
    Accuracy, Learner, LearnerConfig, Loss, Model, Scale, TensorDataset, TrainError, Updater,
};
use d2l_models::{MlpConfig, SoftmaxConfig, cross_entropy, softmax_cross_entropy};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

use super::{Context, Error, Experiment, Outcome, io_error, last_epoch};

/// How many test images the prediction grid shows.
pub const PREDICTION_GRID_IMAGES: usize = 8;

/// The model of a classifier run.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ClassifierModel {
    /// Softmax regression.
    Softmax(SoftmaxConfig),
    /// An MLP, with or without dropout.
    Mlp(MlpConfig),
}

/// The configuration of a Fashion-MNIST classifier run, saved as `config.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ClassifierRunConfig {
    /// The experiment's name.
    pub experiment: String,
    /// The backend it ran on.
    pub backend: String,
    /// The model.
    pub model: ClassifierModel,
    /// The training loop.
    pub learner: LearnerConfig,
}

impl ClassifierRunConfig {
    /// The book's configuration of `experiment` on `backend`, with the run's overrides.
    ///
    /// # Panics
    /// When `experiment` is not a Fashion-MNIST classifier.
    pub fn new(experiment: Experiment, context_options: &super::RunOptions, backend: &str) -> Self {
        let init = context_options.overrides.init;
        let model = match experiment {
            Experiment::SoftmaxScratch | Experiment::Softmax => {
                let config = SoftmaxConfig::new();
                ClassifierModel::Softmax(match init {
                    Some(init) => config.with_init(init),
                    None => config,
                })
            }
            Experiment::MlpScratch | Experiment::Mlp => {
                let config = MlpConfig::new();
                ClassifierModel::Mlp(match init {
                    Some(init) => config.with_init(init),
                    None => config,
                })
            }
            Experiment::DropoutScratch | Experiment::Dropout => {
                let config = MlpConfig::dropout_book();
                ClassifierModel::Mlp(match init {
                    Some(init) => config.with_init(init),
                    None => config,
                })
            }
            other => panic!("{other} is not a Fashion-MNIST classifier"),
        };
        Self {
            experiment: experiment.name().to_string(),
            backend: backend.to_string(),
            model,
            learner: context_options.learner_config(),
        }
    }
}

/// Trains one of the classifiers on Fashion-MNIST.
pub(crate) fn run(experiment: Experiment, context: &Context<'_>) -> Result<Outcome, Error> {
    let data = FashionMnist::load(&context.options.data_dir())?;
    let config = ClassifierRunConfig::new(experiment, context.options, context.backend.name());
    context
        .run_dir
        .save_config(&config)
        .map_err(io_error(context.run_dir.path()))?;
    let device = &context.device;
    device.seed(config.learner.seed);
    let ad = device.clone().autodiff();
    let datasets = fashion_mnist_datasets(&data, device);
    let sgd = || Updater::from(SgdConfig::new().init());
    let task = Task {
        config: &config,
        datasets: &datasets,
        test: &data.test,
        context,
    };
    match (&config.model, experiment) {
        (ClassifierModel::Softmax(model), Experiment::SoftmaxScratch) => {
            task.train(model.init_scratch(&ad), &cross_entropy, Updater::Sgd)
        }
        (ClassifierModel::Softmax(model), _) => {
            task.train(model.init(&ad), &softmax_cross_entropy, sgd())
        }
        (ClassifierModel::Mlp(model), Experiment::MlpScratch | Experiment::DropoutScratch) => task
            .train(
                model.init_scratch(&ad),
                &softmax_cross_entropy,
                Updater::Sgd,
            ),
        (ClassifierModel::Mlp(model), _) => {
            task.train(model.init(&ad), &softmax_cross_entropy, sgd())
        }
    }
}

type Datasets = (TensorDataset<Tensor<1, Int>>, TensorDataset<Tensor<1, Int>>);

struct Task<'a> {
    config: &'a ClassifierRunConfig,
    datasets: &'a Datasets,
    test: &'a Split,
    context: &'a Context<'a>,
}

impl Task<'_> {
    fn train<M: Model>(
        &self,
        model: M,
        loss: &dyn Loss<Tensor<1, Int>>,
        updater: Updater,
    ) -> Result<Outcome, Error> {
        let run_dir = self.context.run_dir;
        let mut log = run_dir
            .epoch_log("", "acc", Scale::Linear)
            .map_err(io_error(run_dir.path()))?;
        let (train, test) = self.datasets;
        let (model, history) = Learner::new(self.config.learner.clone(), loss, &Accuracy, updater)
            .observer(&mut log)
            .progress(self.context.options.progress)
            .fit(model, train, Some(test))?;
        let model = model.valid();
        run_dir
            .save_weights(model.clone(), "model")
            .map_err(io_error(run_dir.path()))?;
        let n = PREDICTION_GRID_IMAGES.min(self.test.len());
        let predicted = predict(&model, &self.test.head(n), &self.context.device)?;
        run_dir
            .write_file(
                "predictions.svg",
                prediction_grid(self.test, &predicted).as_bytes(),
            )
            .map_err(io_error(run_dir.path()))?;
        let last = last_epoch(&history)?;
        Ok(Outcome {
            epochs: last.epoch,
            results: BTreeMap::from([
                ("train_loss".to_string(), last.train_loss),
                ("train_acc".to_string(), last.train_metric),
                ("test_acc".to_string(), last.test_metric.unwrap_or(f64::NAN)),
            ]),
        })
    }
}

/// The predicted class of every example of `split` (d2l's `net(X).argmax(axis=1)`); pass a
/// model in validation mode.
pub fn predict<M: Model>(model: &M, split: &Split, device: &Device) -> Result<Vec<usize>, Error> {
    let (images, _) = split.to_tensors(device);
    let classes = model.forward(images).argmax(1).squeeze_dim::<1>(1);
    let classes = classes
        .try_to_vec_as::<i64>()
        .map_err(|e| Error::Train(TrainError::Device(format!("{e:?}"))))?;
    Ok(classes.into_iter().map(|c| c as usize).collect())
}

/// d2l's `predict_ch3` as an SVG: the first `predicted.len()` images of `split` in a row, each
/// titled "true / predicted" (in red where they differ).
pub fn prediction_grid(split: &Split, predicted: &[usize]) -> String {
    const SCALE: usize = 4;
    const TITLE: usize = 36;
    let cell = IMAGE_SIDE * SCALE;
    let gap = 8;
    let width = predicted.len() * (cell + gap) + gap;
    let height = cell + TITLE + gap;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"11\" text-anchor=\"middle\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for (i, &guess) in predicted.iter().enumerate() {
        let x0 = gap + i * (cell + gap);
        let truth = usize::from(split.label(i));
        let color = if truth == guess { "black" } else { "red" };
        let centre = x0 + cell / 2;
        let _ = writeln!(
            svg,
            "<text x=\"{centre}\" y=\"14\" fill=\"{color}\">{}</text>\
             <text x=\"{centre}\" y=\"28\" fill=\"{color}\">{}</text>",
            CLASS_NAMES[truth],
            CLASS_NAMES.get(guess).copied().unwrap_or("?")
        );
        let _ = writeln!(
            svg,
            "<rect x=\"{x0}\" y=\"{TITLE}\" width=\"{cell}\" height=\"{cell}\" fill=\"black\"/>"
        );
        for (p, &value) in split.image(i).iter().enumerate() {
            if value == 0 {
                continue;
            }
            let (row, col) = (p / IMAGE_SIDE, p % IMAGE_SIDE);
            let _ = writeln!(
                svg,
                "<rect x=\"{}\" y=\"{}\" width=\"{SCALE}\" height=\"{SCALE}\" \
                 fill=\"rgb({value},{value},{value})\"/>",
                x0 + col * SCALE,
                TITLE + row * SCALE
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// The training and test splits of Fashion-MNIST as datasets whose batches land on `device`:
/// the pixels stay bytes on the host, shared with `data`, and each batch is divided by 255 as
/// it is gathered (d2l's `ToTensor`); the labels are uploaded once.
pub fn fashion_mnist_datasets(data: &FashionMnist, device: &Device) -> Datasets {
    let dataset = |split: &Split| {
        TensorDataset::from_bytes(
            split.pixels(),
            IMAGE_PIXELS,
            255.0,
            split.labels_tensor(device),
            device,
        )
    };
    (dataset(&data.train), dataset(&data.test))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_titles_each_image_with_truth_and_prediction() {
        let mut images = vec![0u8; 2 * IMAGE_PIXELS];
        images[5] = 200;
        let split = Split::new(images, vec![0, 9]).unwrap();
        let svg = prediction_grid(&split, &[0, 7]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains(">t-shirt</text>"));
        assert!(svg.contains(">ankle boot</text>"));
        assert!(
            svg.contains("fill=\"red\">sneaker</text>"),
            "a wrong guess is red"
        );
        assert!(
            svg.contains("rgb(200,200,200)"),
            "the one lit pixel is drawn"
        );
    }
}
