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
use d2l_device::Adapter;

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
    /// recipe; Burn: its folds' epochs, training and evaluation, summed, the first included).
    pub house_kfold_seconds: f64,
    /// Its average training log-RMSE.
    pub house_train_log_rmse: f64,
    /// Its average validation log-RMSE.
    pub house_valid_log_rmse: f64,
}

/// Burn's figures, and on which backend (and adapter) they were taken.
///
/// Its epoch times are the steady state: the median of the epochs after the first, whose time
/// (shader compilation and kernel autotuning on a GPU backend) is reported apart.
#[derive(Debug, Clone, Serialize)]
pub struct BurnFigures {
    /// The backend.
    pub backend: String,
    /// The adapter of a GPU backend (name, kind, driver); `None` on a CPU backend.
    pub adapter: Option<Adapter>,
    /// Seconds of a load that inflates the `.gz` files (the first load; `Cache::Off`).
    pub load_uncached_seconds: f64,
    /// The figures.
    #[serde(flatten)]
    pub figures: Figures,
    /// Seconds of each Fashion-MNIST recipe's first epoch.
    pub first_epoch_seconds: PerClassifier,
    /// Seconds of the house K-fold's first epoch (where a GPU backend compiles the Adam update
    /// and tunes the house's matrix products: the bench's last recipe meets them first).
    pub house_first_epoch_seconds: f64,
    /// The house K-fold's seconds in the steady state: [`Figures::house_kfold_seconds`] with
    /// its first epoch counted as the median of the others (PyTorch compiles nothing).
    pub house_kfold_steady_seconds: f64,
    /// The matrix-product work of each recipe's steady-state epoch per second, in GFLOP/s
    /// ([`epoch_flops`]).
    pub gflops: PerClassifier,
}

/// One number per timed Fashion-MNIST recipe.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PerClassifier {
    /// `softmax`.
    pub softmax: f64,
    /// `mlp`.
    pub mlp: f64,
    /// `dropout`.
    pub dropout: f64,
    /// `dropout-scratch`.
    pub dropout_scratch: f64,
}

impl PerClassifier {
    /// The recipes' names and numbers, in order.
    pub fn named(&self) -> [(&'static str, f64); 4] {
        [
            (Softmax::NAME, self.softmax),
            (Mlp::NAME, self.mlp),
            (Dropout::NAME, self.dropout),
            (DropoutScratch::NAME, self.dropout_scratch),
        ]
    }
}

/// One recipe's achieved throughput on the bench's backend beside flex's, measured in the same
/// run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Throughput {
    /// The recipe.
    pub model: String,
    /// Its first epoch's seconds on the bench's backend.
    pub first_epoch_seconds: f64,
    /// Its steady-state epoch's seconds there.
    pub epoch_seconds: f64,
    /// Its GFLOP/s there.
    pub gflops: f64,
    /// Its steady-state epoch's seconds on flex.
    pub flex_epoch_seconds: f64,
    /// Its GFLOP/s on flex.
    pub flex_gflops: f64,
}

/// The report: Burn, flex as the baseline of another backend, PyTorch when it ran, and Burn's
/// time as a fraction of PyTorch's.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Burn's figures.
    pub burn: BurnFigures,
    /// Burn's figures on flex, taken in the same run when the bench's backend is another.
    pub flex: Option<BurnFigures>,
    /// Each recipe's epochs and GFLOP/s beside flex's (the same figures on flex itself).
    pub throughput: Vec<Throughput>,
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
    /// House K-fold time ratio, Burn's in the steady state
    /// ([`BurnFigures::house_kfold_steady_seconds`]).
    pub house_kfold_steady: f64,
}

impl BenchReport {
    /// Assembles the report and its ratios; `flex` is the baseline of a bench on another
    /// backend.
    pub fn new(burn: BurnFigures, flex: Option<BurnFigures>, pytorch: Option<Figures>) -> Self {
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
                house_kfold_steady: burn.house_kfold_steady_seconds / p.house_kfold_seconds,
            }
        });
        let baseline = flex.as_ref().unwrap_or(&burn);
        let epochs = |f: &Figures| PerClassifier {
            softmax: f.softmax_epoch_seconds,
            mlp: f.mlp_epoch_seconds,
            dropout: f.dropout_epoch_seconds,
            dropout_scratch: f.dropout_scratch_epoch_seconds,
        };
        let [here, first, gflops, there, flex_gflops] = [
            epochs(&burn.figures),
            burn.first_epoch_seconds,
            burn.gflops,
            epochs(&baseline.figures),
            baseline.gflops,
        ]
        .map(|per| per.named());
        let throughput = (0..here.len())
            .map(|i| Throughput {
                model: here[i].0.to_string(),
                first_epoch_seconds: first[i].1,
                epoch_seconds: here[i].1,
                gflops: gflops[i].1,
                flex_epoch_seconds: there[i].1,
                flex_gflops: flex_gflops[i].1,
            })
            .collect();
        Self {
            burn,
            flex,
            throughput,
            pytorch,
            ratios,
        }
    }
}

/// The floating-point operations of the matrix products of one epoch of a network of layer
/// `widths` (inputs first): `train` examples forward (`2·Σ wᵢwᵢ₊₁` each) and backward (the
/// weights' gradients, as much again, and the inputs' gradients of every layer but the first),
/// then `test` examples forward. Element-wise work (activations, dropout, the loss, the update)
/// is left out: it is a few percent of these networks' work.
pub fn epoch_flops(widths: &[usize], train: usize, test: usize) -> f64 {
    let products: Vec<f64> = widths.windows(2).map(|w| (w[0] * w[1]) as f64).collect();
    let forward: f64 = 2.0 * products.iter().sum::<f64>();
    let backward = forward + 2.0 * products.iter().skip(1).sum::<f64>();
    train as f64 * (forward + backward) + test as f64 * forward
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

/// The first of a run's `epochs` seconds, and their sum with that first one counted as the
/// median of the others (the sum itself for one epoch).
///
/// # Panics
/// If there is no epoch.
pub fn first_and_steady(epochs: &[f64]) -> (f64, f64) {
    let (first, others) = epochs.split_first().expect("at least one epoch");
    match others {
        [] => (*first, *first),
        _ => (
            *first,
            others.iter().sum::<f64>() + median(&mut others.to_vec()),
        ),
    }
}

/// Times Burn on `device` of `backend`: three loads without the cache of decompressed files
/// and three with it (after one that fills it), then `epochs` epochs of each Fashion-MNIST
/// recipe, then the house K-fold validation. Each recipe is its experiment's book
/// configuration (with `epochs` epochs), trained by the experiment's code into a run folder
/// under `runs_dir`.
pub fn time_burn(
    backend: &str,
    adapter: Option<Adapter>,
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
        wait_each_step: adapter.as_ref().is_some_and(Adapter::is_software),
    };
    let softmax = timer.classifier::<Softmax>(&data)?;
    let mlp = timer.classifier::<Mlp>(&data)?;
    let dropout = timer.classifier::<Dropout>(&data)?;
    let dropout_scratch = timer.classifier::<DropoutScratch>(&data)?;
    let each = |f: fn(&Timed) -> f64| PerClassifier {
        softmax: f(&softmax),
        mlp: f(&mlp),
        dropout: f(&dropout),
        dropout_scratch: f(&dropout_scratch),
    };

    let house = HouseConfig::new();
    let prepared = HouseData::prepare(&house, &KaggleHouse::load(data_dir)?)?;
    let report = prepared.k_fold(&house, &timer.run(&timer.run_dir("house")?))?;
    let (house_first, house_steady) = first_and_steady(&report.epoch_seconds);
    Ok(BurnFigures {
        backend: backend.to_string(),
        adapter,
        load_uncached_seconds: median(&mut uncached),
        first_epoch_seconds: each(|t| t.first_seconds),
        house_first_epoch_seconds: house_first,
        house_kfold_steady_seconds: house_steady,
        gflops: each(|t| t.gflops),
        figures: Figures {
            load_seconds: median(&mut cached),
            softmax_epoch_seconds: softmax.seconds,
            softmax_test_acc: softmax.test_acc,
            mlp_epoch_seconds: mlp.seconds,
            mlp_test_acc: mlp.test_acc,
            dropout_epoch_seconds: dropout.seconds,
            dropout_test_acc: dropout.test_acc,
            dropout_scratch_epoch_seconds: dropout_scratch.seconds,
            dropout_scratch_test_acc: dropout_scratch.test_acc,
            house_kfold_seconds: report.seconds(),
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
    /// As a run on the same adapter does ([`Run::wait_each_step`]).
    wait_each_step: bool,
}

impl Timer<'_> {
    /// A quiet run into `dir`.
    fn run<'a>(&'a self, dir: &'a RunDir) -> Run<'a> {
        Run {
            device: self.device,
            dir,
            data_dir: self.data_dir,
            progress: false,
            wait_each_step: self.wait_each_step,
            data_parallel: Vec::new(),
        }
    }

    fn run_dir(&self, name: &str) -> Result<RunDir, Error> {
        Ok(RunDir::create(self.runs_dir, &format!("bench-{name}"))?)
    }

    /// The epochs and the final test accuracy of classifier `C`'s recipe.
    fn classifier<C: Classifier>(&self, data: &FashionMnist) -> Result<Timed, Error> {
        let mut config = C::book();
        config.learner.epochs = self.epochs;
        d2l_learner::seed_run(self.device, config.learner.seed);
        let dir = self.run_dir(C::NAME)?;
        let history = train(&config, data, &self.run(&dir))?;
        let mut seconds: Vec<f64> = history.iter().map(|r: &EpochRecord| r.seconds).collect();
        let first_seconds = seconds[0];
        // The steady state: the epochs after the first, when there are any.
        let seconds = median(&mut seconds[usize::from(history.len() > 1)..]);
        let flops = epoch_flops(&config.net.widths(), data.train.len(), data.test.len());
        Ok(Timed {
            first_seconds,
            seconds,
            test_acc: history
                .last()
                .and_then(|r| r.test_metric)
                .unwrap_or(f64::NAN),
            gflops: flops / seconds / 1e9,
        })
    }
}

/// What [`Timer::classifier`] measured.
struct Timed {
    first_seconds: f64,
    /// The steady state's median.
    seconds: f64,
    test_acc: f64,
    gflops: f64,
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
mod tests;
