//! The figures of `cargo xtask bench`: Burn timed on the book's recipes, the PyTorch reference
//! script run in the same session, and their ratios.

use burn::optim::SgdConfig;
use d2l_data::FashionMnist;
use d2l_learner::{Accuracy, Learner, LearnerConfig, Updater};
use d2l_models::{SoftmaxConfig, softmax_cross_entropy};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::backend::Backend;
use crate::experiments::{Error, fashion_mnist_datasets};

/// What one implementation measured. Times are medians over the timed repetitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Seconds to read, verify and decode Fashion-MNIST into float tensors.
    pub load_seconds: f64,
    /// Seconds of one concise softmax-regression epoch (training pass and test evaluation;
    /// batch 256, lr 0.1).
    pub softmax_epoch_seconds: f64,
    /// Test accuracy after the timed epochs.
    pub softmax_test_acc: f64,
}

/// Burn's figures, and on which backend they were taken.
#[derive(Debug, Clone, Serialize)]
pub struct BurnFigures {
    /// The backend.
    pub backend: Backend,
    /// The figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// The report: Burn, PyTorch when it ran, and Burn's time as a fraction of PyTorch's.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Burn's figures.
    pub burn: BurnFigures,
    /// The reference's figures (`None` when `torch` is not installed).
    pub pytorch: Option<Figures>,
    /// `burn / pytorch` for each time (below 1: Burn is faster).
    pub ratios: Option<Ratios>,
}

/// Burn's times divided by PyTorch's, measured in the same run.
#[derive(Debug, Clone, Serialize)]
pub struct Ratios {
    /// Load time ratio.
    pub load: f64,
    /// Softmax epoch time ratio.
    pub softmax_epoch: f64,
}

impl BenchReport {
    /// Assembles the report and its ratios.
    pub fn new(burn: BurnFigures, pytorch: Option<Figures>) -> Self {
        let ratios = pytorch.as_ref().map(|p| Ratios {
            load: burn.figures.load_seconds / p.load_seconds,
            softmax_epoch: burn.figures.softmax_epoch_seconds / p.softmax_epoch_seconds,
        });
        Self {
            burn,
            pytorch,
            ratios,
        }
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &mut [f64]) -> f64 {
    assert!(!values.is_empty(), "median of nothing");
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Times Burn on `backend` (resolved as usual): three loads, then `epochs` softmax epochs.
pub fn time_burn(backend: Option<Backend>, epochs: usize) -> Result<BurnFigures, Error> {
    let backend = crate::backend::resolve(backend)?;
    let device = backend.device()?;
    let dir = d2l_data::data_dir(None);
    let mut loads = Vec::new();
    let mut data = None;
    for _ in 0..3 {
        let start = Instant::now();
        let loaded = FashionMnist::load(&dir)?;
        let tensors = fashion_mnist_datasets(&loaded, &device, backend.max_tensor_bytes());
        for block in tensors.0.feature_chunks() {
            block.clone().sum().into_scalar::<f32>(); // wait for the upload
        }
        loads.push(start.elapsed().as_secs_f64());
        data = Some(tensors);
    }
    let (train, test) = data.expect("three loads");
    let config = LearnerConfig::new().with_epochs(epochs.max(1));
    device.seed(config.seed);
    let model = SoftmaxConfig::new().init(&device.clone().autodiff());
    let (_, history) = Learner::new(
        config,
        &softmax_cross_entropy,
        &Accuracy,
        Updater::from(SgdConfig::new().init()),
    )
    .progress(false)
    .fit(model, &train, Some(&test))?;
    let mut seconds: Vec<f64> = history.iter().map(|r| r.seconds).collect();
    Ok(BurnFigures {
        backend,
        figures: Figures {
            load_seconds: median(&mut loads),
            softmax_epoch_seconds: median(&mut seconds),
            softmax_test_acc: history
                .last()
                .and_then(|r| r.test_metric)
                .unwrap_or(f64::NAN),
        },
    })
}

/// Runs the PyTorch reference `script` with `python` and reads its figures; an error says why
/// it could not (most often: `torch` is not installed).
pub fn pytorch_reference(python: &Path, script: &Path, epochs: usize) -> Result<Figures, String> {
    let probe = Command::new(python)
        .args(["-c", "import torch"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !probe.status.success() {
        return Err(format!("`import torch` fails with {}", python.display()));
    }
    let output = Command::new(python)
        .arg(script)
        .args(["--epochs", &epochs.to_string()])
        .arg("--data-dir")
        .arg(d2l_data::data_dir(None))
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "{} printed no figures ({e}): {}",
            script.display(),
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn ratios_divide_burn_by_pytorch() {
        let figures = |load, epoch| Figures {
            load_seconds: load,
            softmax_epoch_seconds: epoch,
            softmax_test_acc: 0.8,
        };
        let burn = BurnFigures {
            backend: Backend::Flex,
            figures: figures(0.1, 0.05),
        };
        let report = BenchReport::new(burn.clone(), Some(figures(1.0, 1.0)));
        let ratios = report.ratios.unwrap();
        assert!((ratios.load - 0.1).abs() < 1e-12 && (ratios.softmax_epoch - 0.05).abs() < 1e-12);
        assert!(BenchReport::new(burn, None).ratios.is_none());
    }
}
