//! d2l 4.8, numerical stability and initialization: the sigmoid's vanishing gradient, the
//! exploding product of random matrices, the symmetry that equal initial weights never break
//! (and that dropout does break), and, from d2l 4.7, the memory a training step holds beyond
//! what an inference pass needs.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use clap::Args;
use d2l_data::TensorDataset;
use d2l_learner::{Accuracy, Curve, Learner, LearnerConfig, Scale, Updater, plot_lines};
use d2l_models::{Init, MlpConfig, Model, softmax_cross_entropy};
use peak_alloc::PeakAlloc;
use serde::Serialize;

use crate::experiment::{Experiment, Run};
use crate::{Error, LearnerArgs};

/// The configuration of a numerical-stability run (`config.json`).
#[derive(Config, Debug, PartialEq)]
pub struct StabilityConfig {
    /// How many random `4 × 4` matrices are multiplied.
    #[config(default = 100)]
    pub matrices: usize,
    /// The network of the symmetry demonstration: 4 inputs, 2 hidden units, 3 classes.
    #[config(
        default = "MlpConfig::new().with_num_inputs(4).with_hidden(vec![2]).with_num_outputs(3)"
    )]
    pub model: MlpConfig,
    /// The initialisation under which the hidden units stay equal: every weight 0.5.
    #[config(default = "Init::Constant { value: 0.5 }")]
    pub symmetric_init: Init,
    /// The initialisation that breaks the symmetry: the book's `N(0, 0.01²)`.
    #[config(default = "Init::BOOK")]
    pub random_init: Init,
    /// The dropout probability after the hidden layer that breaks the symmetry of the equal
    /// initialisation (d2l 4.8.2.3: "dropout regularization would" break it).
    #[config(default = 0.5)]
    pub symmetry_dropout: f64,
    /// The network whose training step and inference pass are measured: d2l 4.2's MLP
    /// (784-256-10).
    #[config(default = "MlpConfig::new()")]
    pub memory_model: MlpConfig,
    /// The batch of the memory measurement (d2l 4.2's 256).
    #[config(default = 256)]
    pub memory_batch: usize,
    /// The symmetry demonstration's loop, with d2l's hand-written SGD: 5 epochs of batch 16
    /// at lr 0.1.
    #[config(default = "LearnerConfig::new().with_epochs(5).with_batch_size(16).with_lr(0.1)")]
    pub learner: LearnerConfig,
}

/// The options of `numerical-stability`.
#[derive(Args, Debug, Clone, Default, PartialEq)]
pub struct StabilityArgs {
    /// The symmetry demonstration's loop.
    #[command(flatten)]
    pub learner: LearnerArgs,
}

/// What a numerical-stability run reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StabilityResults {
    /// The largest gradient of the sigmoid on `[-8, 8)` (0.25).
    pub sigmoid_grad_peak: f64,
    /// Where it is (0).
    pub sigmoid_grad_peak_x: f64,
    /// The largest entry (in absolute value) of the product of random matrices.
    pub product_max_abs: f64,
    /// How much the two hidden units' weights differ after training from the symmetric
    /// initialisation (0: they stayed equal).
    pub symmetric_units_difference: f64,
    /// The same from the random initialisation.
    pub random_units_difference: f64,
    /// The same from the symmetric initialisation with dropout after the hidden layer (above
    /// 0: dropout broke the symmetry).
    pub symmetric_dropout_units_difference: f64,
    /// Heap bytes one training step of the memory model allocates beyond what was allocated
    /// before it, at its peak (forward pass with the values kept for the backward pass, and
    /// the gradients); `None` where the process does not count its heap (the `d2l` binary
    /// does) or the device's memory is not the heap (a GPU).
    pub train_step_bytes: Option<u64>,
    /// The same for one inference pass of the same batch in validation mode (`valid()`).
    pub inference_bytes: Option<u64>,
}

/// d2l 4.8: vanishing and exploding gradients, and the symmetry of equal initialisation.
pub struct NumericalStability;

impl Experiment for NumericalStability {
    const NAME: &'static str = "numerical-stability";
    const SECTION: &'static str = "d2l 4.8 numerical stability and initialization";
    type Args = StabilityArgs;
    type Config = StabilityConfig;
    type Results = StabilityResults;

    fn config(args: &StabilityArgs) -> Result<StabilityConfig, Error> {
        let config = StabilityConfig::new();
        let learner = args.learner.apply(config.learner.clone());
        Ok(config.with_learner(learner))
    }

    fn learner(config: &StabilityConfig) -> &LearnerConfig {
        &config.learner
    }

    fn learner_mut(config: &mut StabilityConfig) -> &mut LearnerConfig {
        &mut config.learner
    }

    const HEADLINE: &'static str = "product_max_abs";

    /// Runs the three demonstrations; writes `sigmoid.svg`.
    fn run(config: &StabilityConfig, run: &Run<'_>) -> Result<StabilityResults, Error> {
        let device = run.device;
        let points = sigmoid_and_gradient(device)?;
        let curves: Vec<Curve> = vec![
            (
                "sigmoid".to_string(),
                points.iter().map(|&(x, y, _)| (x, y)).collect(),
            ),
            (
                "gradient".to_string(),
                points.iter().map(|&(x, _, g)| (x, g)).collect(),
            ),
        ];
        let svg = plot_lines(&curves, "x", Scale::Linear).map_err(d2l_learner::TrainError::io(
            run.dir.path().join("sigmoid.svg"),
        ))?;
        run.dir.write_file("sigmoid.svg", svg.as_bytes())?;
        let (peak_x, peak) =
            points
                .iter()
                .map(|&(x, _, g)| (x, g))
                .fold(
                    (f64::NAN, f64::MIN),
                    |best, p| if p.1 > best.1 { p } else { best },
                );

        let product = random_matrix_product(config.matrices, device);
        let max_abs = f64::from(product.abs().max().try_into_scalar::<f32>()?);

        let difference = |init| {
            hidden_unit_difference(
                &config.model.clone().with_init(init),
                &config.learner,
                device,
            )
        };
        let (symmetric, _) = difference(config.symmetric_init)?;
        let (broken, _) = difference(config.random_init)?;
        let dropout = vec![config.symmetry_dropout; config.model.hidden.len()];
        let (dropped, _) = hidden_unit_difference(
            &config
                .model
                .clone()
                .with_init(config.symmetric_init)
                .with_dropout(dropout),
            &config.learner,
            device,
        )?;
        let memory = step_memory(&config.memory_model, config.memory_batch, device)?;
        if run.progress {
            eprintln!(
                "sigmoid gradient peaks at {peak:.4} (x = {peak_x:.1}); the product of {} random \
                 4x4 matrices has entries up to {max_abs:.3e}; hidden units initialised equal \
                 differ by {symmetric} after training (by {broken:.3e} from {}, by \
                 {dropped:.3e} with dropout {})",
                config.matrices, config.random_init, config.symmetry_dropout
            );
            if let Some((train, inference)) = memory {
                eprintln!(
                    "a training step of the {:?} MLP on a batch of {} holds {:.2} MiB of heap, \
                     an inference pass {:.2} MiB",
                    config.memory_model.hidden,
                    config.memory_batch,
                    train as f64 / MIB,
                    inference as f64 / MIB
                );
            }
        }
        Ok(StabilityResults {
            sigmoid_grad_peak: peak,
            sigmoid_grad_peak_x: peak_x,
            product_max_abs: max_abs,
            symmetric_units_difference: symmetric,
            random_units_difference: broken,
            symmetric_dropout_units_difference: dropped,
            train_step_bytes: memory.map(|(train, _)| train),
            inference_bytes: memory.map(|(_, inference)| inference),
        })
    }
}

// ANCHOR: sigmoid_and_gradient
/// The sigmoid and its gradient (by autodiff) on `x ∈ [-8, 8)` in steps of 0.1, as in
/// d2l 4.8.1.1: `(x, sigmoid(x), sigmoid'(x))` per point.
pub fn sigmoid_and_gradient(device: &Device) -> Result<Vec<(f64, f64, f64)>, Error> {
    let xs: Vec<f32> = (0..160).map(|i| -8.0 + 0.1 * i as f32).collect();
    let ad = device.clone().autodiff();
    let x = Tensor::<1>::from_data(TensorData::new(xs.clone(), [xs.len()]), &ad).require_grad();
    let y = sigmoid(x.clone());
    let grads = y.clone().sum().backward();
    let grad = x
        .grad(&grads)
        .expect("x requires its gradient")
        .try_to_vec_as::<f32>()?;
    let y = y.inner().try_to_vec_as::<f32>()?;
    Ok(xs
        .iter()
        .zip(y)
        .zip(grad)
        .map(|((&x, y), g)| (f64::from(x), f64::from(y), f64::from(g)))
        .collect())
}
// ANCHOR_END: sigmoid_and_gradient

// ANCHOR: random_matrix_product
/// d2l 4.8.1.2: the product of `n` random `4 × 4` `N(0, 1)` matrices (the first included), whose
/// entries explode (the book prints entries around 1e23–1e27 for 100).
pub fn random_matrix_product(n: usize, device: &Device) -> Tensor<2> {
    let normal = || Tensor::<2>::random([4, 4], Distribution::Normal(0.0, 1.0), device);
    (1..n).fold(normal(), |m, _| m.matmul(normal()))
}
// ANCHOR_END: random_matrix_product

const MIB: f64 = 1024.0 * 1024.0;

// ANCHOR: step_memory
/// d2l 4.7's point that training needs more memory than inference, measured: the peak heap
/// bytes, beyond those allocated before, of one training step of `model` (a forward pass on
/// an autodiff device, the loss, the backward pass and its gradients) and of one inference
/// pass of the same batch of `batch` examples in validation mode; `(training, inference)`.
///
/// The heap is counted by the [`PeakAlloc`] allocator, which the `d2l` binary installs; `None`
/// where it is not installed or the device keeps tensors elsewhere (a GPU), told apart by a
/// probe tensor of 1 MiB.
pub fn step_memory(
    model: &MlpConfig,
    batch: usize,
    device: &Device,
) -> Result<Option<(u64, u64)>, Error> {
    let heap = PeakAlloc;
    let before = heap.current_usage();
    let probe = Tensor::<2>::ones([256, 1024], device);
    let counted = heap.current_usage() >= before + (1 << 20);
    probe.sum().try_into_scalar::<f32>()?;
    if !counted {
        return Ok(None);
    }
    let ad = device.clone().autodiff();
    let net = model.init(&ad);
    let x = Tensor::<2>::random([batch, model.num_inputs], Distribution::Default, device);
    let classes: Vec<i64> = (0..batch as i64)
        .map(|i| i % model.num_outputs as i64)
        .collect();
    let y = Tensor::<1, Int>::from_data(TensorData::new(classes, [batch]), device);
    let train_step = || -> Result<(), Error> {
        let output = net.forward(x.clone().autodiff());
        let loss = softmax_cross_entropy(output, y.clone().autodiff()).mean();
        let grads = loss.backward();
        let first = net.layers[0].weight.val().grad(&grads);
        first
            .map(|g| g.sum().try_into_scalar::<f32>())
            .transpose()?;
        Ok(())
    };
    let inference = || -> Result<(), Error> {
        let valid = net.valid();
        valid.forward(x.clone()).sum().try_into_scalar::<f32>()?;
        Ok(())
    };
    // The heap is the process's: another thread's allocations made during a pass count too
    // (once in a test run, an inference pass peaked at 1.39 MB against its usual 0.53 MB), so
    // each pass is measured three times and its least peak kept.
    let peak = |pass: &dyn Fn() -> Result<(), Error>| -> Result<u64, Error> {
        let mut least = u64::MAX;
        for _ in 0..3 {
            let base = heap.current_usage();
            heap.reset_peak_usage();
            pass()?;
            least = least.min(heap.peak_usage().saturating_sub(base) as u64);
        }
        Ok(least)
    };
    // Once each first: Burn draws the parameters at their first use.
    train_step()?;
    inference()?;
    Ok(Some((peak(&train_step)?, peak(&inference)?)))
}
// ANCHOR_END: step_memory

// ANCHOR: hidden_unit_difference
/// d2l 4.8.2.3's symmetry: the MLP of `model` (4 inputs, 3 classes, at least two hidden units)
/// is trained with d2l's hand-written SGD on a small classification problem; returns the
/// largest difference between the first two hidden units' incoming weights after training
/// (0: the units stayed identical) and the accuracy reached.
pub fn hidden_unit_difference(
    model: &MlpConfig,
    config: &LearnerConfig,
    device: &Device,
) -> Result<(f64, f64), Error> {
    if model.num_inputs != 4 || model.num_outputs != 3 || model.hidden.first() < Some(&2) {
        return Err(Error::Option(format!(
            "the symmetry demonstration needs 4 inputs, at least 2 hidden units and 3 classes, \
             not {} -> {:?} -> {}",
            model.num_inputs, model.hidden, model.num_outputs
        )));
    }
    let n = 64;
    let x = Tensor::<2>::random([n, 4], Distribution::Normal(0.0, 1.0), device);
    // Three classes by the arg-max of a fixed linear map.
    let map = Tensor::<2>::from_data(
        [
            [1.0, -1.0, 0.0],
            [0.5, 1.0, -1.0],
            [-1.0, 0.0, 1.0],
            [0.0, 0.5, 0.5],
        ],
        device,
    );
    let y: Tensor<1, Int> = x.clone().matmul(map).argmax(1).squeeze_dim(1);
    let data = TensorDataset::new(x, y);
    let model = model.init(&device.clone().autodiff());
    let (model, history) = Learner::new(
        config.clone(),
        &softmax_cross_entropy,
        &Accuracy,
        Updater::Sgd,
    )
    .progress(false)
    .fit(model, &data, Some(&data))?;
    let w1 = model.layers[0].weight.val().inner();
    let difference = (w1.clone().narrow(1, 0, 1) - w1.narrow(1, 1, 1))
        .abs()
        .max()
        .try_into_scalar::<f32>()?;
    let accuracy = history
        .last()
        .and_then(|r| r.test_metric)
        .unwrap_or(f64::NAN);
    Ok((f64::from(difference), accuracy))
}
// ANCHOR_END: hidden_unit_difference

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sigmoid_gradient_peaks_at_a_quarter_at_zero_and_vanishes_at_the_ends() {
        let points = sigmoid_and_gradient(&Device::flex()).unwrap();
        assert_eq!(points.len(), 160);
        let (x, _, g) = points
            .iter()
            .copied()
            .fold((0.0, 0.0, f64::MIN), |a, p| if p.2 > a.2 { p } else { a });
        assert!(x.abs() < 0.05 && (g - 0.25).abs() < 1e-6, "{x} {g}");
        // sigmoid'(-8) = σ(-8)(1 - σ(-8)) ≈ 3.35e-4.
        assert!((points[0].2 - 3.35e-4).abs() < 1e-5, "{:?}", points[0]);
    }

    #[test]
    fn the_product_of_a_hundred_random_matrices_explodes() {
        let _alone = crate::draws_alone();
        let device = Device::flex();
        d2l_learner::seed_run(&device, 1);
        let max = random_matrix_product(100, &device)
            .abs()
            .max()
            .into_scalar::<f32>();
        // log10 of the largest entry grows by about 0.6 per factor (Lyapunov exponent of
        // 4x4 Gaussian products); the book shows 1e23–1e27. Assert the order of magnitude.
        assert!(max > 1e15 && max.is_finite(), "{max:e}");
    }

    /// Two hidden units initialised equal receive equal gradients and stay equal under SGD;
    /// a random initialisation makes them differ.
    #[test]
    fn equal_initialisation_keeps_hidden_units_equal() {
        let _alone = crate::draws_alone();
        let device = Device::flex();
        d2l_learner::seed_run(&device, 3);
        let config = StabilityConfig::new();
        let difference = |init| {
            hidden_unit_difference(
                &config.model.clone().with_init(init),
                &config.learner,
                &device,
            )
            .unwrap()
            .0
        };
        assert_eq!(difference(config.symmetric_init), 0.0);
        assert!(difference(config.random_init) > 1e-4);
    }

    /// Dropout zeroes the two equal units independently, so their gradients differ and the
    /// symmetry breaks: d2l 4.8.2.3's remark, shown.
    #[test]
    fn dropout_breaks_the_symmetry_of_equal_initialisation() {
        let _alone = crate::draws_alone();
        let device = Device::flex();
        d2l_learner::seed_run(&device, 3);
        let config = StabilityConfig::new();
        let model = config
            .model
            .clone()
            .with_init(config.symmetric_init)
            .with_dropout(vec![config.symmetry_dropout]);
        let (difference, _) = hidden_unit_difference(&model, &config.learner, &device).unwrap();
        assert!(difference > 1e-3, "{difference}");
    }

    #[test]
    fn memory_is_not_reported_where_the_heap_is_not_counted() {
        let _alone = crate::draws_alone();
        // This test binary does not install the counting allocator: no figure, no error.
        let config = StabilityConfig::new();
        let memory = step_memory(&config.memory_model, 8, &Device::flex()).unwrap();
        assert_eq!(memory, None);
    }

    #[test]
    fn a_network_the_demonstration_cannot_use_is_an_error() {
        let config = StabilityConfig::new();
        let one_unit = config.model.clone().with_hidden(vec![1]);
        let err = hidden_unit_difference(&one_unit, &config.learner, &Device::flex()).unwrap_err();
        assert!(err.to_string().contains("at least 2 hidden units"), "{err}");
    }
}
