//! The hand-written operations of the from-scratch models (d2l 3.6).

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};

/// d2l's `softmax`: `exp(X) / exp(X).sum(1)`, row by row, written out.
///
/// Like the book's, it does not subtract the row maximum first, so very large scores
/// overflow; [`softmax_cross_entropy`] is the stable path.
///
/// # Shapes
/// - scores: `[batch, classes]`
/// - output: `[batch, classes]`, each row sums to 1
pub fn softmax(scores: Tensor<2>) -> Tensor<2> {
    let exp = scores.exp();
    let partition = exp.clone().sum_dim(1);
    exp / partition
}

/// d2l's `cross_entropy`: `-log(y_hat[i, y_i])` for each example, on probabilities.
///
/// # Shapes
/// - probabilities: `[batch, classes]`
/// - targets: `[batch]`, class indices
/// - output: `[batch]`
pub fn cross_entropy(probabilities: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    -pick(probabilities, targets).log()
}

/// Cross-entropy on unnormalised scores through `log_softmax` (the numerically stable path of
/// Burn's `CrossEntropyLoss` and of d2l 3.7), one value per example.
///
/// # Shapes
/// - logits: `[batch, classes]`
/// - targets: `[batch]`, class indices
/// - output: `[batch]`
pub fn softmax_cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    -pick(log_softmax(logits, 1), targets)
}

/// Squared error per example, `sum_j (ŷ_ij - y_ij)²` (the per-example terms of PyTorch's
/// `nn.MSELoss`, which d2l 4.10 trains the house-price models with).
///
/// # Shapes
/// - output: `[batch, outputs]`
/// - targets: `[batch, outputs]`
/// - result: `[batch]`
pub fn squared_error(output: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    (output - targets).square().sum_dim(1).squeeze_dim::<1>(1)
}

/// `values[i, targets[i]]` for each row `i`.
fn pick(values: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    values
        .gather(1, targets.unsqueeze_dim(1))
        .squeeze_dim::<1>(1)
}

#[cfg(test)]
mod tests {
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
    fn the_stable_path_survives_scores_that_overflow_the_naive_softmax() {
        let device = Device::flex();
        let logits = Tensor::<2>::from_data([[1000.0, 0.0]], &device);
        let y = targets(vec![1], &device);
        let stable = softmax_cross_entropy(logits.clone(), y).into_scalar::<f32>();
        assert!((stable - 1000.0).abs() < 1e-3);
        let naive = softmax(logits).try_to_vec_as::<f32>().unwrap();
        assert!(naive[0].is_nan(), "exp(1000) overflows: {naive:?}");
    }
}
