//! Data-parallel training: every batch split across several devices, each computing the
//! gradients of its shard with a replica of the model, the gradients added up on the model's
//! own device, one update there.
//!
//! The losses are per example and the update rules divide by the batch size themselves (the
//! hand-written SGD) or step on the mean (an optimizer, for which each shard backpropagates its
//! sum over the whole batch's size), so N devices sharing a batch of 256 compute the gradient
//! one device computes on it: the same run, to float rounding, where no dropout draws masks
//! (each device draws its own).
//!
//! Burn 0.22.1 has distributed collectives (`burn::tensor::distributed::all_reduce`, used by
//! burn-train's DDP strategy), but only CUDA implements them (a remote device passes them to the
//! backend its server hosts): on flex, ndarray and wgpu, and on a remote device served by one of
//! them, the all-reduce panics. The gradients are therefore
//! added up here with Burn's device-to-device transfers (`GradientsParams::to_device`), which
//! every backend, remote ones included, has.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};
use d2l_data::Targets;
use d2l_models::Model;

use crate::Loss;
use crate::metrics::Metric;
use crate::updater::Updater;

/// What one data-parallel step leaves: the updated model, and the batch's per-example losses
/// and metric terms (when asked for) on the model's device.
pub(crate) struct Step<M> {
    pub model: M,
    pub losses: Tensor<1>,
    pub terms: Option<Tensor<1>>,
}

/// `[start, length)` of each device's shard of `batch` rows: as even as can be, the first
/// devices taking one more; a device gets none when the batch has fewer rows than devices.
pub fn shards(batch: usize, devices: usize) -> Vec<(usize, usize)> {
    let (base, extra) = (batch / devices, batch % devices);
    let mut start = 0;
    (0..devices)
        .map(|i| {
            let length = base + usize::from(i < extra);
            let shard = (start, length);
            start += length;
            shard
        })
        .filter(|&(_, length)| length > 0)
        .collect()
}

/// One update of `model` (on `devices[0]`, an autodiff device) from the batch `inputs`,
/// `targets` (on `devices[0]` without autodiff), split across `devices` (without autodiff).
///
/// # Shapes
/// - inputs: `[batch, features]`
#[allow(clippy::too_many_arguments)]
pub(crate) fn step<M: Model, T: Targets>(
    updater: &mut Updater,
    loss: &dyn Loss<T>,
    metric: Option<&dyn Metric<T>>,
    model: M,
    inputs: Tensor<2>,
    targets: T,
    devices: &[Device],
    lr: f64,
) -> Step<M> {
    let main = &devices[0];
    let [batch, _] = inputs.dims();
    let mut losses = Vec::new();
    let mut terms = Vec::new();
    let mut grads = Vec::new();
    for (device, (start, length)) in devices.iter().zip(shards(batch, devices.len())) {
        let replica = match device == main {
            true => model.clone(),
            false => model.clone().fork(&device.clone().autodiff()),
        };
        let x = inputs.clone().narrow(0, start, length).to_device(device);
        let y = targets.narrow(start, length).to_device(device).autodiff();
        let output = replica.forward(x.autodiff());
        let shard_losses = loss.forward(output.clone(), y.clone());
        if let Some(metric) = metric {
            terms.push(metric.terms(output.detach(), y).inner().to_device(main));
        }
        losses.push(shard_losses.clone().detach().inner().to_device(main));
        let objective = match replica.penalty() {
            Some(penalty) => shard_losses + penalty,
            None => shard_losses,
        };
        let objective = match updater {
            Updater::Sgd => objective.sum(),
            Updater::Optimizer(_) => objective.sum().div_scalar(batch as f64),
        };
        let shard = GradientsParams::from_grads(objective.backward(), &replica);
        grads.push(shard.to_device(main, &replica));
    }
    let grads = add_up(&model, grads);
    Step {
        model: updater.apply(model, grads, lr, batch),
        losses: Tensor::cat(losses, 0),
        terms: (!terms.is_empty()).then(|| Tensor::cat(terms, 0)),
    }
}

/// The sum of the shards' gradients of every parameter of `model`.
fn add_up<M: Module>(model: &M, shards: Vec<GradientsParams>) -> GradientsParams {
    struct Adder {
        shards: Vec<GradientsParams>,
        sum: GradientsParams,
    }
    impl ModuleVisitor for Adder {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let parts = self
                .shards
                .iter_mut()
                .filter_map(|g| g.remove::<D>(param.id));
            if let Some(sum) = parts.reduce(|sum, part| sum + part) {
                self.sum.register(param.id, sum);
            }
        }
    }
    let mut adder = Adder {
        shards,
        sum: GradientsParams::new(),
    };
    model.visit(&mut adder);
    adder.sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_batch_in_order_as_evenly_as_can_be() {
        assert_eq!(shards(256, 2), [(0, 128), (128, 128)]);
        assert_eq!(shards(10, 3), [(0, 4), (4, 3), (7, 3)]);
        // The last batch of an epoch may be smaller than the number of devices.
        assert_eq!(shards(1, 2), [(0, 1)]);
        assert_eq!(shards(5, 1), [(0, 5)]);
    }
}
