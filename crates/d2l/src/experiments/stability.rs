//! d2l 4.8, numerical stability and initialization: the sigmoid's vanishing gradient, the
//! exploding product of random matrices, and the symmetry that equal initial weights never
//! break.

use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use d2l_learner::{
    Accuracy, Curve, Learner, LearnerConfig, Scale, TensorDataset, TrainError, plot_lines,
};
use d2l_models::{Init, MlpConfig, softmax_cross_entropy};
use serde::Serialize;
use std::collections::BTreeMap;

use super::{Context, Error, Outcome, io_error};

/// The loop of the symmetry demonstration: 5 epochs of batch 16 at lr 0.1.
pub(crate) fn learner_config() -> LearnerConfig {
    LearnerConfig::new()
        .with_epochs(5)
        .with_batch_size(16)
        .with_lr(0.1)
}

fn device_error(e: impl std::fmt::Debug) -> Error {
    Error::Train(TrainError::Device(format!("{e:?}")))
}

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
        .try_to_vec_as::<f32>()
        .map_err(device_error)?;
    let y = y.inner().try_to_vec_as::<f32>().map_err(device_error)?;
    Ok(xs
        .iter()
        .zip(y)
        .zip(grad)
        .map(|((&x, y), g)| (f64::from(x), f64::from(y), f64::from(g)))
        .collect())
}

/// d2l 4.8.1.2: the product of `n` random `4 × 4` `N(0, 1)` matrices (the first included), whose
/// entries explode (the book prints entries around 1e23–1e27 for 100).
pub fn random_matrix_product(n: usize, device: &Device) -> Tensor<2> {
    let normal = || Tensor::<2>::random([4, 4], Distribution::Normal(0.0, 1.0), device);
    (1..n).fold(normal(), |m, _| m.matmul(normal()))
}

/// d2l 4.8.2.3's symmetry: an MLP 4-2-3 whose parameters all start at the same value is
/// trained with minibatch SGD on a small classification problem; returns the largest
/// difference between the two hidden units' incoming weights after training (0: the units
/// stayed identical) and the accuracy reached.
pub fn hidden_unit_difference(
    init: Init,
    config: &LearnerConfig,
    device: &Device,
) -> Result<(f64, f64), Error> {
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
    let model = MlpConfig::new()
        .with_num_inputs(4)
        .with_hidden(vec![2])
        .with_num_outputs(3)
        .with_init(init)
        .init(&device.clone().autodiff());
    let (model, history) = Learner::new(
        config.clone(),
        &softmax_cross_entropy,
        &Accuracy,
        d2l_learner::Updater::Sgd,
    )
    .progress(false)
    .fit(model, &data, Some(&data))?;
    let w1 = model.layers[0].weight.val().inner();
    let [_, units] = w1.dims();
    assert_eq!(units, 2);
    let difference = (w1.clone().narrow(1, 0, 1) - w1.narrow(1, 1, 1))
        .abs()
        .max()
        .into_scalar::<f32>();
    let accuracy = history
        .last()
        .and_then(|r| r.test_metric)
        .unwrap_or(f64::NAN);
    Ok((f64::from(difference), accuracy))
}

/// The configuration of a numerical-stability run, saved as `config.json`.
#[derive(Debug, Clone, Serialize)]
struct StabilityConfig {
    experiment: String,
    backend: String,
    matrices: usize,
    symmetry_learner: LearnerConfig,
}

/// Runs the three demonstrations; writes `sigmoid.svg`.
pub(crate) fn run(context: &Context<'_>) -> Result<Outcome, Error> {
    let config = StabilityConfig {
        experiment: context.options.experiment.name().to_string(),
        backend: context.backend.name().to_string(),
        matrices: 100,
        symmetry_learner: context.options.learner_config(),
    };
    let run_dir = context.run_dir;
    run_dir
        .save_config(&config)
        .map_err(io_error(run_dir.path()))?;
    let device = &context.device;
    device.seed(config.symmetry_learner.seed);

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
    let svg = plot_lines(&curves, "x", Scale::Linear).map_err(io_error(run_dir.path()))?;
    run_dir
        .write_file("sigmoid.svg", svg.as_bytes())
        .map_err(io_error(run_dir.path()))?;
    let (peak_x, peak) =
        points
            .iter()
            .map(|&(x, _, g)| (x, g))
            .fold(
                (f64::NAN, f64::MIN),
                |best, p| if p.1 > best.1 { p } else { best },
            );

    let product = random_matrix_product(config.matrices, device);
    let max_abs = f64::from(product.abs().max().into_scalar::<f32>());

    let (symmetric, _) = hidden_unit_difference(
        Init::Constant { value: 0.5 },
        &config.symmetry_learner,
        device,
    )?;
    let (broken, _) = hidden_unit_difference(Init::BOOK, &config.symmetry_learner, device)?;
    if context.options.progress {
        eprintln!(
            "sigmoid gradient peaks at {peak:.4} (x = {peak_x:.1}); the product of {} random \
             4x4 matrices has entries up to {max_abs:.3e}; hidden units initialised equal \
             differ by {symmetric} after training (by {broken:.3e} from N(0, 0.01²))",
            config.matrices
        );
    }
    Ok(Outcome {
        epochs: config.symmetry_learner.epochs,
        results: BTreeMap::from([
            ("sigmoid_grad_peak".to_string(), peak),
            ("sigmoid_grad_peak_x".to_string(), peak_x),
            ("product_max_abs".to_string(), max_abs),
            ("symmetric_units_difference".to_string(), symmetric),
            ("random_units_difference".to_string(), broken),
        ]),
    })
}

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
        let device = Device::flex();
        device.seed(1);
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
        let device = Device::flex();
        device.seed(3);
        let config = learner_config();
        let (symmetric, _) =
            hidden_unit_difference(Init::Constant { value: 0.5 }, &config, &device).unwrap();
        assert_eq!(symmetric, 0.0);
        let (broken, _) = hidden_unit_difference(Init::BOOK, &config, &device).unwrap();
        assert!(broken > 1e-4, "{broken}");
    }
}
