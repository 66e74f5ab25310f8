use super::*;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Distribution, TensorData};

fn targets(values: Vec<i64>, device: &Device) -> Tensor<1, Int> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

#[test]
fn softmax_rows_are_positive_and_sum_to_one() {
    let device = Device::flex();
    let x = Tensor::<2>::random([2, 5], Distribution::Normal(0.0, 1.0), &device);
    let probabilities = softmax(x);
    let sums = probabilities
        .clone()
        .sum_dim(1)
        .try_to_vec_as::<f32>()
        .unwrap();
    for sum in sums {
        assert!((sum - 1.0).abs() < 1e-6, "row sums to {sum}");
    }
    let min = probabilities.min().into_scalar::<f32>();
    assert!(min > 0.0);
}

#[test]
fn cross_entropy_picks_the_true_class() {
    let device = Device::flex();
    // d2l 3.6.5: y_hat = [[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], y = [0, 2]
    // gives cross_entropy = [-ln 0.1, -ln 0.5] = [2.3026, 0.6931].
    let y_hat = Tensor::<2>::from_data([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], &device);
    let l = cross_entropy(y_hat, targets(vec![0, 2], &device))
        .try_to_vec_as::<f32>()
        .unwrap();
    assert!(
        (l[0] - std::f32::consts::LN_10).abs() < 1e-5
            && (l[1] - std::f32::consts::LN_2).abs() < 1e-5,
        "{l:?}"
    );
}

#[test]
fn both_cross_entropies_equal_burns_loss_on_the_same_input() {
    let device = Device::flex();
    let logits = Tensor::<2>::random([8, 10], Distribution::Normal(0.0, 2.0), &device);
    let y = targets(vec![0, 1, 2, 3, 4, 5, 6, 9], &device);
    let burn_loss = CrossEntropyLossConfig::new()
        .init(&device)
        .forward(logits.clone(), y.clone())
        .into_scalar::<f32>();
    let stable = softmax_cross_entropy(logits.clone(), y.clone())
        .mean()
        .into_scalar::<f32>();
    let scratch = cross_entropy(softmax(logits), y)
        .mean()
        .into_scalar::<f32>();
    assert!((stable - burn_loss).abs() < 1e-5, "{stable} vs {burn_loss}");
    assert!(
        (scratch - burn_loss).abs() < 1e-4,
        "{scratch} vs {burn_loss}"
    );
}

#[test]
fn squared_error_sums_over_outputs_per_example() {
    let device = Device::flex();
    let output = Tensor::<2>::from_data([[1.0, 2.0], [0.0, 0.0]], &device);
    let targets = Tensor::<2>::from_data([[0.0, 0.0], [3.0, 0.0]], &device);
    let l = squared_error(output, targets)
        .try_to_vec_as::<f32>()
        .unwrap();
    assert_eq!(l, vec![5.0, 9.0]);
}

#[test]
fn squared_error_of_one_output_is_its_square_with_its_gradient() {
    let device = Device::flex().autodiff();
    let output = Tensor::<2>::from_data([[3.0], [-1.0]], &device).require_grad();
    let targets = Tensor::<2>::from_data([[1.0], [1.0]], &device);
    let l = squared_error(output.clone(), targets);
    assert_eq!(l.dims(), [2]);
    let grads = l.clone().sum().backward();
    assert_eq!(l.try_to_vec_as::<f32>().unwrap(), vec![4.0, 4.0]);
    // d(ŷ - y)²/dŷ = 2(ŷ - y).
    let grad = output.grad(&grads).unwrap().try_to_vec_as::<f32>().unwrap();
    assert_eq!(grad, vec![4.0, -4.0]);
}

#[test]
fn log_rmse_loss_is_the_batch_value_per_example_and_the_clamp_stops_the_gradient() {
    let device = Device::flex().autodiff();
    // ŷ = [0.5, 1, e²], y = [e, e, e]: log(clamp(ŷ, 1)) = [0, 0, 2], differences
    // [-1, -1, 1], log-RMSE 1 for every example.
    let e = std::f32::consts::E;
    let output = Tensor::<2>::from_data([[0.5], [1.0], [e * e]], &device).require_grad();
    let targets = Tensor::<2>::from_data([[e], [e], [e]], &device);
    let losses = log_rmse_loss(output.clone(), targets);
    let values = losses.clone().inner().try_to_vec_as::<f32>().unwrap();
    assert!(values.iter().all(|l| (l - 1.0).abs() < 1e-5), "{values:?}");
    let grads = losses.mean().backward();
    let grad = output.grad(&grads).unwrap().try_to_vec_as::<f32>().unwrap();
    // d/dŷ_i of sqrt(mean(d²)) = d_i / (3 * rmse * ŷ_i) where ŷ_i >= 1 (PyTorch's clamp
    // passes the gradient at the bound), 0 below it.
    assert_eq!(grad[0], 0.0);
    assert!((grad[1] - (-1.0 / 3.0)).abs() < 1e-5, "{grad:?}");
    assert!((grad[2] - 1.0 / (3.0 * e * e)).abs() < 1e-6, "{grad:?}");
}

#[test]
fn the_stable_path_survives_scores_that_overflow_the_naive_softmax() {
    let device = Device::flex();
    let logits = Tensor::<2>::from_data([[1000.0, 0.0]], &device);
    let y = targets(vec![1], &device);
    let stable = softmax_cross_entropy(logits.clone(), y).into_scalar::<f32>();
    assert!((stable - 1000.0).abs() < 1e-3);
    let naive = softmax(logits).try_to_vec_as::<f32>().unwrap();
    assert!(naive[0].is_nan(), "exp(1000) overflows: {naive:?}");
}

#[test]
fn relu_and_the_l2_penalty_by_hand() {
    let device = Device::flex();
    let x = Tensor::<1>::from_data([-2.0, 0.0, 3.0], &device);
    assert_eq!(
        relu(x.clone()).try_to_vec_as::<f32>().unwrap(),
        vec![0.0, 0.0, 3.0]
    );
    // (4 + 0 + 9) / 2
    assert_eq!(l2_penalty(x).into_scalar::<f32>(), 6.5);
    let half = half_squared_error(
        Tensor::<2>::from_data([[3.0]], &device),
        Tensor::<2>::from_data([[1.0]], &device),
    );
    assert_eq!(half.into_scalar::<f32>(), 2.0);
}

#[test]
fn dropout_keeps_one_minus_p_scaled_while_training_and_is_the_identity_otherwise() {
    let device = Device::flex();
    let x = Tensor::<2>::ones([100, 100], &device);
    // Not training (no autodiff): the identity, for any p.
    let off = dropout(x.clone(), 0.5).try_to_vec_as::<f32>().unwrap();
    assert!(off.iter().all(|&v| v == 1.0));
    // Training: every element is 0 or 1 / (1 - p) = 2, about half of each.
    let on = dropout(x.autodiff(), 0.5)
        .inner()
        .try_to_vec_as::<f32>()
        .unwrap();
    assert!(on.iter().all(|&v| v == 0.0 || v == 2.0));
    let kept = on.iter().filter(|&&v| v == 2.0).count();
    // 10 000 Bernoulli(0.5) draws: 5 000 ± 50 (σ); 4 700..5 300 is 6σ.
    assert!((4700..5300).contains(&kept), "{kept}");
    let all_dropped = dropout(Tensor::<1>::ones([10], &device).autodiff(), 1.0);
    assert_eq!(all_dropped.inner().sum().into_scalar::<f32>(), 0.0);
    // Seeded masks are checked in `tests/seeded_dropout.rs`, alone in their process.
}

/// d2l 2.5: backpropagating the mean scales every gradient by `1 / batch` against the sum,
/// and a vector loss with upstream gradient `v` is the gradient of `sum(v * l)`.
#[test]
fn mean_and_sum_gradients_differ_by_the_batch_size_and_upstream_ones_is_the_sum() {
    let device = Device::flex().autodiff();
    let x = Tensor::<1>::from_data([1.0, 2.0, 3.0, 4.0], &device).require_grad();
    let grad = |grads: Gradients| x.grad(&grads).unwrap().try_to_vec_as::<f32>().unwrap();
    // l_i = x_i², dl_i/dx_i = 2 x_i.
    let losses = || x.clone().square();
    let from_sum = grad(losses().sum().backward());
    let from_mean = grad(losses().mean().backward());
    assert_eq!(from_sum, vec![2.0, 4.0, 6.0, 8.0]);
    for (s, m) in from_sum.iter().zip(&from_mean) {
        assert!((s / 4.0 - m).abs() < 1e-6, "{from_sum:?} {from_mean:?}");
    }
    let ones = Tensor::<1>::ones([4], &device);
    assert_eq!(grad(backward_with(losses(), ones)), from_sum);
    let v = Tensor::<1>::from_data([1.0, 0.0, -1.0, 0.5], &device);
    assert_eq!(grad(backward_with(losses(), v)), vec![2.0, 0.0, -6.0, 4.0]);
}
