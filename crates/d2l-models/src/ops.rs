//! The hand-written operations of the from-scratch models (d2l 3.6, 4.2, 4.5, 4.6), and the
//! vector-Jacobian product of d2l 2.5's `l.backward(gradient=...)`.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Distribution, Gradients, Int, Tensor, TensorData};
use d2l_device::{is_accelerator, read, upload};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::sync::Mutex;

// ANCHOR: softmax
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
// ANCHOR_END: softmax

// ANCHOR: cross_entropy
/// d2l's `cross_entropy`: `-log(y_hat[i, y_i])` for each example, on probabilities.
///
/// # Shapes
/// - probabilities: `[batch, classes]`
/// - targets: `[batch]`, class indices
/// - output: `[batch]`
pub fn cross_entropy(probabilities: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    -pick(probabilities, targets).log()
}
// ANCHOR_END: cross_entropy

// ANCHOR: softmax_cross_entropy
/// Cross-entropy on unnormalised scores through `log_softmax` (the numerically stable path of
/// Burn's `CrossEntropyLoss` and of d2l 3.7), one value per example.
///
/// On an accelerator ([`is_accelerator`]) while training (an autodiff device), the loss and
/// its gradient with respect to the scores, `softmax(logits) - onehot(targets)`, are computed
/// together outside the autodiff graph, which then only carries that gradient back: the same
/// values and gradients (to f32 rounding) in fewer kernel launches on wgpu: 9 against 18 for
/// the loss, its backward pass and the update of one linear layer measured alone, 22 against 26
/// per training step of the book's MLP (`d2l kernels`). Elsewhere it is the plain expression.
///
/// # Shapes
/// - logits: `[batch, classes]`
/// - targets: `[batch]`, class indices
/// - output: `[batch]`
pub fn softmax_cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let device = logits.device();
    match device.is_autodiff() && is_accelerator(&device) {
        true => fused_softmax_cross_entropy(logits, targets),
        false => -pick(log_softmax(logits, 1), targets),
    }
}
// ANCHOR_END: softmax_cross_entropy

/// [`softmax_cross_entropy`] with its gradient computed beside it: with `g = softmax(z) - y`
/// (`y` one-hot) computed as a constant, each example's loss is `ce + z·g - (z·g)`, whose value
/// is `ce` and whose gradient with respect to `z` is `g`, as it is for `ce` itself.
///
/// The one-hot rows are built in float arithmetic, `max(1 - |t - j|, 0)`, which Burn fuses
/// with the rest (its `one_hot` took five kernels, an integer comparison and a cast two).
fn fused_softmax_cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [_, classes] = logits.dims();
    let z = logits.clone().inner();
    let columns = class_indices(&z.device(), classes);
    let shifted = z.clone() - z.max_dim(1);
    let exp = shifted.clone().exp();
    let partition = exp.clone().sum_dim(1);
    let onehot = (targets.inner().float().unsqueeze_dim::<2>(1) - columns)
        .abs()
        .neg()
        .add_scalar(1.0)
        .clamp_min(0.0);
    let ce = partition.clone().log() - (shifted * onehot.clone()).sum_dim(1);
    let gradient = exp / partition - onehot;
    let dot = (logits * Tensor::from_inner(gradient)).sum_dim(1);
    let constant = Tensor::from_inner(ce - dot.clone().inner());
    (dot + constant).squeeze_dim::<1>(1)
}

/// The row `[0, 1, ..., classes - 1]` as floats on `device`, uploaded once per device and
/// number of classes, then kept.
///
/// # Shapes
/// - output: `[1, classes]`
fn class_indices(device: &Device, classes: usize) -> Tensor<2> {
    static KNOWN: Mutex<Vec<(Device, Tensor<2>)>> = Mutex::new(Vec::new());
    let mut known = KNOWN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, row)) = known
        .iter()
        .find(|(d, row)| d == device && row.dims()[1] == classes)
    {
        return row.clone();
    }
    let indices = (0..classes).map(|c| c as f32).collect::<Vec<_>>();
    let row = upload(TensorData::new(indices, [1, classes]), device);
    known.push((device.clone(), row.clone()));
    row
}

// ANCHOR: squared_error
/// Squared error per example, `sum_j (ŷ_ij - y_ij)²` (the per-example terms of PyTorch's
/// `nn.MSELoss`, which d2l 4.10 trains the house-price models with).
///
/// # Shapes
/// - output: `[batch, outputs]`
/// - targets: `[batch, outputs]`
/// - result: `[batch]`
pub fn squared_error(output: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let [batch, outputs] = output.dims();
    let squares = (output - targets).square();
    match outputs {
        // One output (every regression of the book): the square is the sum, and a GPU
        // launches no reduction for it (one kernel fewer per house step).
        1 => squares.reshape([batch]),
        _ => squares.sum_dim(1).squeeze_dim(1),
    }
}
// ANCHOR_END: squared_error

/// d2l's `squared_loss` (3.4, and 4.5's from-scratch weight decay): `(ŷ - y)² / 2` per example,
/// summed over outputs.
///
/// # Shapes
/// - output: `[batch, outputs]`
/// - targets: `[batch, outputs]`
/// - result: `[batch]`
pub fn half_squared_error(output: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    squared_error(output, targets) / 2.0
}

/// The log-RMSE of a batch as a training loss, as the study notes wrote it in PyTorch:
/// `sqrt(mse(log(clamp(ŷ, 1)), log y))`, one value for the whole batch, repeated per example
/// so that its mean (what an optimizer backpropagates) is that value.
///
/// The gradient flows through the clamp as PyTorch's does: as the identity where `ŷ >= 1`,
/// zero where the clamp holds a prediction at 1 (a model that starts below 1 learns only from
/// the predictions above it). d2l 4.10 measures with this function but trains with MSE; as a
/// loss it trains far worse, which is what the notes found.
///
/// # Shapes
/// - output: `[batch, 1]`, predicted prices
/// - targets: `[batch, 1]`, prices (positive)
/// - result: `[batch]`, every entry the batch's log-RMSE
pub fn log_rmse_loss(output: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let [batch, _] = output.dims();
    let difference = output.clamp_min(1.0).log() - targets.log();
    difference.square().mean().sqrt().expand([batch])
}

// ANCHOR: relu
/// d2l 4.2's `relu`: `max(x, 0)` elementwise, written out.
///
/// # Shapes
/// - x: any; output: the same
pub fn relu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.clone() * x.greater_elem(0.0).float()
}
// ANCHOR_END: relu

// ANCHOR: dropout
/// d2l 4.6's `dropout_layer`: while training, each element is kept with probability `1 - p`
/// and scaled by `1 / (1 - p)` (so the expectation is unchanged), and `p = 1` drops everything;
/// when not training it is the identity.
///
/// "Training" is Burn's notion, the one its `Dropout` layer uses: the tensor lives on an
/// autodiff device. A model moved off it by [`Module::valid`](burn::module::Module::valid), as
/// the Learner does for every evaluation, runs without dropout.
///
/// Where the mask is drawn depends on the device ([`is_accelerator`]), and either way it comes
/// from the device's generator, so runs are reproducible under `device.seed(..)`:
/// - on an accelerator, by the device (Burn's Bernoulli random tensor): no read-back and no
///   upload, which would each wait for the device's queue once per layer per batch;
/// - on a CPU backend, on the host with a small fast generator (xoshiro) seeded by one draw from
///   the device's generator, then handed to the backend (a copy in memory): drawing it element
///   by element through the CPU backends' generator took a third of a dropout-MLP epoch.
///
/// # Shapes
/// - x: any; output: the same
pub fn dropout<const D: usize>(x: Tensor<D>, p: f64) -> Tensor<D> {
    assert!(
        (0.0..=1.0).contains(&p),
        "dropout probability {p} not in [0, 1]"
    );
    if p == 0.0 || !x.device().is_autodiff() {
        return x;
    }
    if p == 1.0 {
        return x.zeros_like();
    }
    let device = x.device();
    let shape = x.shape();
    let mask = match is_accelerator(&device) {
        true => {
            Tensor::random(shape, Distribution::Bernoulli(1.0 - p), &device) * (1.0 / (1.0 - p))
        }
        false => upload(
            TensorData::new(dropout_mask(shape.num_elements(), p, seed(&device)), shape),
            &device,
        ),
    };
    x * mask
}
// ANCHOR_END: dropout

/// A seed from the device's generator (two uniform draws, 48 random bits).
fn seed(device: &Device) -> u64 {
    let draws = read(Tensor::<1>::random([2], Distribution::Default, device))
        .expect("two random numbers from the device");
    // Each draw is k / 2^24 for a random k < 2^24.
    draws.iter().fold(0u64, |seed, &u| {
        (seed << 24) | (f64::from(u) * 16_777_216.0) as u64
    })
}

/// `n` mask values: `1 / (1 - p)` with probability `1 - p`, else 0.
fn dropout_mask(n: usize, p: f64, seed: u64) -> Vec<f32> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let keep = ((1.0 - p) * 4_294_967_296.0) as u64;
    let scale = (1.0 / (1.0 - p)) as f32;
    // Two 32-bit draws per 64-bit output, then one pass that compares them all: written per
    // element, the choice between `scale` and 0 compiled to a branch, mispredicted on every
    // other element at p = 0.5; over a slice it vectorises.
    let mut draws = Vec::with_capacity(n + 1);
    for _ in 0..n.div_ceil(2) {
        let bits = rng.next_u64();
        draws.extend([bits >> 32, bits & 0xffff_ffff]);
    }
    draws.truncate(n);
    draws
        .iter()
        .map(|&draw| if draw < keep { scale } else { 0.0 })
        .collect()
}

// ANCHOR: l2_penalty
/// d2l 4.5's `l2_penalty`: `‖w‖² / 2`.
///
/// # Shapes
/// - w: any; output: `[1]`
pub fn l2_penalty<const D: usize>(w: Tensor<D>) -> Tensor<1> {
    w.square().sum() / 2.0
}
// ANCHOR_END: l2_penalty

/// Backpropagates a vector `losses` with an explicit upstream gradient, as d2l 2.5's
/// `l.backward(gradient=v)`: the gradients of `sum_i v_i * l_i` (a vector-Jacobian product).
/// With `v` all ones this is `losses.sum().backward()`.
///
/// # Shapes
/// - losses: `[n]`, on an autodiff device
/// - upstream: `[n]`, treated as a constant
///
/// # Example
///
/// d2l 2.5's demonstration: for `y = x * x`, `y.backward(gradient=ones)` and
/// `y.sum().backward()` both give `2x`, and the mean gives `2x / n`.
///
/// ```
/// use burn::tensor::{Device, Tensor};
/// use d2l_models::backward_with;
///
/// let device = Device::default().autodiff();
/// let x = Tensor::<1>::from_data([0.0, 1.0, 2.0, 3.0], &device).require_grad();
/// let grad = |grads| x.grad(&grads).unwrap().try_to_vec_as::<f32>().unwrap();
/// let y = || x.clone() * x.clone();
/// let ones = Tensor::<1>::ones([4], &device);
/// assert_eq!(grad(backward_with(y(), ones)), vec![0.0, 2.0, 4.0, 6.0]);
/// assert_eq!(grad(y().sum().backward()), vec![0.0, 2.0, 4.0, 6.0]);
/// assert_eq!(grad(y().mean().backward()), vec![0.0, 0.5, 1.0, 1.5]);
/// ```
pub fn backward_with(losses: Tensor<1>, upstream: Tensor<1>) -> Gradients {
    (losses * upstream.detach()).sum().backward()
}

/// `values[i, targets[i]]` for each row `i`.
fn pick(values: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    values
        .gather(1, targets.unsqueeze_dim(1))
        .squeeze_dim::<1>(1)
}

#[cfg(test)]
mod tests;
