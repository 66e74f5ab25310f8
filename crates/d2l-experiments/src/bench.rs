//! The figures of `d2l bench` (`cargo xtask bench`): Burn timed on the book's recipes, each
//! taken from its experiment and trained through the experiment's own code into a run folder,
//! the PyTorch reference script run in the same session, and their ratios.

use burn::tensor::Device;
use d2l_data::{Cache, FashionMnist, KaggleHouse};
use d2l_learner::{EpochRecord, RunDir};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::Error;
use crate::dropout::Dropout;
use crate::dropout_scratch::DropoutScratch;
use crate::experiment::Run;
use crate::fashion::{Classifier, train};
use crate::house::{HouseConfig, HouseData};
use crate::mlp::Mlp;
use crate::softmax::Softmax;

/// What one implementation measured. Times are medians over the timed repetitions; every
/// Fashion-MNIST epoch is a training pass and a test evaluation, batch 256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Seconds to read, verify and decode Fashion-MNIST into datasets ready to batch (Burn:
    /// through the cache of decompressed files, as every load after the first one).
    pub load_seconds: f64,
    /// Seconds of one concise softmax-regression epoch (`softmax`'s recipe).
    pub softmax_epoch_seconds: f64,
    /// Its test accuracy after the timed epochs.
    pub softmax_test_acc: f64,
    /// Seconds of one concise MLP epoch (`mlp`'s recipe).
    pub mlp_epoch_seconds: f64,
    /// Its test accuracy after the timed epochs.
    pub mlp_test_acc: f64,
    /// Seconds of one concise dropout-MLP epoch (`dropout`'s recipe).
    pub dropout_epoch_seconds: f64,
    /// Its test accuracy after the timed epochs.
    pub dropout_test_acc: f64,
    /// Seconds of one epoch of the same network with dropout written by hand
    /// (`dropout-scratch`'s recipe).
    pub dropout_scratch_epoch_seconds: f64,
    /// Its test accuracy after the timed epochs.
    pub dropout_scratch_test_acc: f64,
    /// Seconds of d2l 4.10's 5-fold × 100-epoch validation of the linear model (`house`'s
    /// recipe; Burn: its folds' epochs, training and evaluation, summed).
    pub house_kfold_seconds: f64,
    /// Its average training log-RMSE.
    pub house_train_log_rmse: f64,
    /// Its average validation log-RMSE.
    pub house_valid_log_rmse: f64,
}

/// Burn's figures, and on which backend they were taken.
#[derive(Debug, Clone, Serialize)]
pub struct BurnFigures {
    /// The backend.
    pub backend: String,
    /// Seconds of a load that inflates the `.gz` files (the first load; `Cache::Off`).
    pub load_uncached_seconds: f64,
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
    /// Load time ratio (Burn through its cache of decompressed files).
    pub load: f64,
    /// Load time ratio, Burn inflating the `.gz` files as PyTorch's reference does.
    pub load_uncached: f64,
    /// Softmax epoch time ratio.
    pub softmax_epoch: f64,
    /// MLP epoch time ratio.
    pub mlp_epoch: f64,
    /// Dropout-MLP epoch time ratio (the `Dropout` layer against `nn.Dropout`).
    pub dropout_epoch: f64,
    /// Dropout-MLP from scratch epoch time ratio (hand-written dropout on both sides).
    pub dropout_scratch_epoch: f64,
    /// House K-fold time ratio.
    pub house_kfold: f64,
}

impl BenchReport {
    /// Assembles the report and its ratios.
    pub fn new(burn: BurnFigures, pytorch: Option<Figures>) -> Self {
        let ratios = pytorch.as_ref().map(|p| {
            let b = &burn.figures;
            Ratios {
                load: b.load_seconds / p.load_seconds,
                load_uncached: burn.load_uncached_seconds / p.load_seconds,
                softmax_epoch: b.softmax_epoch_seconds / p.softmax_epoch_seconds,
                mlp_epoch: b.mlp_epoch_seconds / p.mlp_epoch_seconds,
                dropout_epoch: b.dropout_epoch_seconds / p.dropout_epoch_seconds,
                dropout_scratch_epoch: b.dropout_scratch_epoch_seconds
                    / p.dropout_scratch_epoch_seconds,
                house_kfold: b.house_kfold_seconds / p.house_kfold_seconds,
            }
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

/// Times Burn on `device` of `backend`: three loads without the cache of decompressed files
/// and three with it (after one that fills it), then `epochs` epochs of each Fashion-MNIST
/// recipe, then the house K-fold validation. Each recipe is its experiment's book
/// configuration (with `epochs` epochs), trained by the experiment's code into a run folder
/// under `runs_dir`.
pub fn time_burn(
    backend: &str,
    device: &Device,
    data_dir: &Path,
    runs_dir: &Path,
    epochs: usize,
) -> Result<BurnFigures, Error> {
    let load = |cache| -> Result<_, Error> {
        let start = Instant::now();
        let loaded = FashionMnist::load_with(data_dir, cache)?;
        let (train, _) = loaded.datasets(device);
        train.targets().clone().sum().try_into_scalar::<i64>()?; // wait for the upload
        Ok((start.elapsed().as_secs_f64(), loaded))
    };
    let mut uncached = (0..3)
        .map(|_| Ok(load(Cache::Off)?.0))
        .collect::<Result<Vec<_>, Error>>()?;
    load(Cache::Use)?;
    let mut cached = Vec::new();
    let mut data = None;
    for _ in 0..3 {
        let (seconds, loaded) = load(Cache::Use)?;
        cached.push(seconds);
        data = Some(loaded);
    }
    let data = data.expect("three loads");
    let timer = Timer {
        device,
        data_dir,
        runs_dir,
        epochs: epochs.max(1),
    };
    let (softmax_epoch_seconds, softmax_test_acc) = timer.classifier::<Softmax>(&data)?;
    let (mlp_epoch_seconds, mlp_test_acc) = timer.classifier::<Mlp>(&data)?;
    let (dropout_epoch_seconds, dropout_test_acc) = timer.classifier::<Dropout>(&data)?;
    let (dropout_scratch_epoch_seconds, dropout_scratch_test_acc) =
        timer.classifier::<DropoutScratch>(&data)?;

    let house = HouseConfig::new();
    let prepared = HouseData::prepare(&house, &KaggleHouse::load(data_dir)?)?;
    let report = prepared.k_fold(&house, device, &timer.run_dir("house")?, false)?;
    Ok(BurnFigures {
        backend: backend.to_string(),
        load_uncached_seconds: median(&mut uncached),
        figures: Figures {
            load_seconds: median(&mut cached),
            softmax_epoch_seconds,
            softmax_test_acc,
            mlp_epoch_seconds,
            mlp_test_acc,
            dropout_epoch_seconds,
            dropout_test_acc,
            dropout_scratch_epoch_seconds,
            dropout_scratch_test_acc,
            house_kfold_seconds: report.seconds,
            house_train_log_rmse: report.train(),
            house_valid_log_rmse: report.valid(),
        },
    })
}

/// Where and how long the recipes are timed.
struct Timer<'a> {
    device: &'a Device,
    data_dir: &'a Path,
    runs_dir: &'a Path,
    epochs: usize,
}

impl Timer<'_> {
    fn run_dir(&self, name: &str) -> Result<RunDir, Error> {
        Ok(RunDir::create(self.runs_dir, &format!("bench-{name}"))?)
    }

    /// The median epoch seconds and the final test accuracy of classifier `C`'s recipe.
    fn classifier<C: Classifier>(&self, data: &FashionMnist) -> Result<(f64, f64), Error> {
        let mut config = C::book();
        config.learner.epochs = self.epochs;
        self.device.seed(config.learner.seed);
        let dir = self.run_dir(C::NAME)?;
        let run = Run {
            device: self.device,
            dir: &dir,
            data_dir: self.data_dir,
            progress: false,
        };
        let history = train(&config, data, &run)?;
        let mut seconds: Vec<f64> = history.iter().map(|r: &EpochRecord| r.seconds).collect();
        let accuracy = history
            .last()
            .and_then(|r| r.test_metric)
            .unwrap_or(f64::NAN);
        Ok((median(&mut seconds), accuracy))
    }
}

/// Runs the PyTorch reference `script` with `python` and reads its figures; an error says why
/// it could not (most often: `torch` is not installed).
pub fn pytorch_reference(
    python: &Path,
    script: &Path,
    data_dir: &Path,
    epochs: usize,
) -> Result<Figures, String> {
    let probe = Command::new(python)
        .args(["-c", "import torch, numpy, pandas"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !probe.status.success() {
        return Err(format!(
            "`import torch, numpy, pandas` fails with {}",
            python.display()
        ));
    }
    let output = Command::new(python)
        .arg(script)
        .args(["--epochs", &epochs.to_string()])
        .arg("--data-dir")
        .arg(data_dir)
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
            mlp_epoch_seconds: 2.0 * epoch,
            mlp_test_acc: 0.85,
            dropout_epoch_seconds: 3.0 * epoch,
            dropout_test_acc: 0.86,
            dropout_scratch_epoch_seconds: 3.0 * epoch,
            dropout_scratch_test_acc: 0.86,
            house_kfold_seconds: 10.0 * epoch,
            house_train_log_rmse: 0.16,
            house_valid_log_rmse: 0.17,
        };
        let burn = BurnFigures {
            backend: "flex".to_string(),
            load_uncached_seconds: 0.2,
            figures: figures(0.1, 0.05),
        };
        let report = BenchReport::new(burn.clone(), Some(figures(1.0, 1.0)));
        let ratios = report.ratios.unwrap();
        assert!((ratios.load - 0.1).abs() < 1e-12 && (ratios.load_uncached - 0.2).abs() < 1e-12);
        assert!((ratios.softmax_epoch - 0.05).abs() < 1e-12);
        for ratio in [
            ratios.mlp_epoch,
            ratios.dropout_epoch,
            ratios.dropout_scratch_epoch,
            ratios.house_kfold,
        ] {
            assert!((ratio - 0.05).abs() < 1e-12, "{ratio}");
        }
        assert!(BenchReport::new(burn, None).ratios.is_none());
    }
}
