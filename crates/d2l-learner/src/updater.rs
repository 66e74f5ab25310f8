//! How parameters are updated from a batch's losses: d2l's hand-written `sgd`, or any Burn
//! optimizer.

use burn::module::{Module, ModuleMapper, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Gradients, Tensor};
use serde::{Deserialize, Serialize};

/// Which update rule a run uses, as a config that saves and loads back: d2l's hand-written
/// `sgd`, or a Burn optimizer with its own config. In JSON: `"scratch"`, `{"sgd": {..}}`,
/// `{"adam": {..}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpdaterConfig {
    /// [`Updater::Sgd`], d2l's `sgd(params, lr, batch_size)`.
    Scratch,
    /// Burn's SGD (`torch.optim.SGD`).
    Sgd(SgdConfig),
    /// Burn's Adam (`torch.optim.Adam`).
    Adam(AdamConfig),
}

impl burn::config::Config for UpdaterConfig {}

/// Equal when their JSON is (Burn's optimizer configs do not implement `PartialEq`): the same
/// rule with the same settings.
impl PartialEq for UpdaterConfig {
    fn eq(&self, other: &Self) -> bool {
        serde_json::to_value(self).ok() == serde_json::to_value(other).ok()
    }
}

impl UpdaterConfig {
    /// The updater, with one parameter group (use [`ModuleOptimizer::with_group`] on the
    /// optimizer of [`init_optimizer`](Self::init_optimizer) for more).
    pub fn init(&self) -> Updater {
        match self.init_optimizer() {
            Some(optimizer) => Updater::Optimizer(optimizer),
            None => Updater::Sgd,
        }
    }

    /// The Burn optimizer, or `None` for the hand-written rule.
    pub fn init_optimizer(&self) -> Option<ModuleOptimizer> {
        match self {
            UpdaterConfig::Scratch => None,
            UpdaterConfig::Sgd(config) => Some(config.init()),
            UpdaterConfig::Adam(config) => Some(config.init()),
        }
    }
}

/// The update rule of a training run.
///
/// Mirrors d2l's `train_epoch_ch3`: a hand-written updater backpropagates `l.sum()` and
/// divides by the batch size itself; a framework optimizer backpropagates `l.mean()`.
#[derive(Clone)]
pub enum Updater {
    /// d2l's `sgd(params, lr, batch_size)`: `p -= lr * p.grad / batch_size` for every
    /// parameter, after backpropagating the sum of the losses.
    Sgd,
    /// A Burn optimizer (`SgdConfig::new().init()`, `AdamConfig::new().init()`, ...), stepped
    /// after backpropagating the mean of the losses.
    Optimizer(ModuleOptimizer),
}

impl std::fmt::Debug for Updater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Updater::Sgd => f.write_str("Updater::Sgd"),
            Updater::Optimizer(_) => f.write_str("Updater::Optimizer"),
        }
    }
}

impl From<ModuleOptimizer> for Updater {
    fn from(optimizer: ModuleOptimizer) -> Self {
        Updater::Optimizer(optimizer)
    }
}

impl Updater {
    // ANCHOR: step
    /// One update of `model` from the per-example `losses` of a batch.
    ///
    /// # Shapes
    /// - losses: `[batch]`, computed from `model` on an autodiff device
    pub fn step<M: Module>(&mut self, model: M, losses: Tensor<1>, lr: f64) -> M {
        let [batch_size] = losses.dims();
        match self {
            Updater::Sgd => sgd(model, losses.sum().backward(), lr, batch_size),
            Updater::Optimizer(optimizer) => {
                let grads = GradientsParams::from_grads(losses.mean().backward(), &model);
                optimizer.step(lr, model, grads)
            }
        }
    }
    // ANCHOR_END: step

    /// One update of `model` from gradients already computed for a batch of `batch_size`: the
    /// gradients of the losses' sum for [`Updater::Sgd`], of their mean for an optimizer (what
    /// [`step`](Self::step) backpropagates). Data-parallel training adds up its devices'
    /// gradients into these.
    pub fn apply<M: Module>(
        &mut self,
        model: M,
        grads: GradientsParams,
        lr: f64,
        batch_size: usize,
    ) -> M {
        match self {
            Updater::Sgd => model.map(&mut SgdMapper {
                grads: Grads::Params(grads),
                step: lr / batch_size as f64,
            }),
            Updater::Optimizer(optimizer) => optimizer.step(lr, model, grads),
        }
    }
}

// ANCHOR: sgd
/// d2l's minibatch SGD, by hand: every parameter with a gradient becomes
/// `p - lr * grad / batch_size`; parameters without one are left as they are.
pub fn sgd<M: Module>(model: M, grads: Gradients, lr: f64, batch_size: usize) -> M {
    model.map(&mut SgdMapper {
        grads: Grads::Graph(grads),
        step: lr / batch_size as f64,
    })
}
// ANCHOR_END: sgd

/// Where [`SgdMapper`] finds a parameter's gradient: in the backward pass's gradients (by the
/// parameter's tensor), or in gradients gathered by parameter id.
enum Grads {
    Graph(Gradients),
    Params(GradientsParams),
}

struct SgdMapper {
    grads: Grads,
    step: f64,
}

impl ModuleMapper for SgdMapper {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let grad = match &mut self.grads {
            Grads::Graph(grads) => tensor.grad_remove(grads),
            Grads::Params(grads) => grads.remove::<D>(id),
        };
        let tensor = match grad {
            Some(grad) => {
                let require_grad = tensor.is_require_grad();
                let updated = Tensor::from_inner(tensor.inner() - grad.mul_scalar(self.step));
                if require_grad {
                    updated.require_grad()
                } else {
                    updated
                }
            }
            None => tensor,
        };
        Param::from_mapped_value(id, tensor, mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::optim::SgdConfig;
    use burn::tensor::Device;

    #[derive(Module, Debug)]
    struct Scale {
        w: Param<Tensor<1>>,
    }

    fn model(device: &Device) -> Scale {
        Scale {
            w: Param::from_tensor(Tensor::from_data([1.0, -2.0], device)),
        }
    }

    /// Losses `w_i * x_i` for a batch of two: d(sum)/dw = x.
    fn losses(model: &Scale, device: &Device) -> Tensor<1> {
        model.w.val() * Tensor::<1>::from_data([3.0, 5.0], device)
    }

    #[test]
    fn hand_written_sgd_moves_parameters_by_lr_times_grad_over_batch_size() {
        let device = Device::flex().autodiff();
        let model = model(&device);
        let losses = losses(&model, &device);
        let updated = Updater::Sgd.step(model, losses, 0.1);
        // w - 0.1 * [3, 5] / 2 = [1 - 0.15, -2 - 0.25]
        let w = updated.w.val().try_to_vec_as::<f32>().unwrap();
        assert!(
            (w[0] - 0.85).abs() < 1e-6 && (w[1] + 2.25).abs() < 1e-6,
            "{w:?}"
        );
        assert!(
            updated.w.val().is_require_grad(),
            "still trainable after the step"
        );
    }

    #[test]
    fn updater_configs_spell_their_rule_and_load_back() {
        let scratch = serde_json::to_string(&UpdaterConfig::Scratch).unwrap();
        assert_eq!(scratch, "\"scratch\"");
        assert!(matches!(UpdaterConfig::Scratch.init(), Updater::Sgd));
        let adam = UpdaterConfig::Adam(AdamConfig::new().with_epsilon(1e-8));
        let json = serde_json::to_string(&adam).unwrap();
        assert!(json.starts_with("{\"adam\":{"), "{json}");
        let back: UpdaterConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        assert!(matches!(back.init(), Updater::Optimizer(_)));
    }

    #[test]
    fn the_burn_optimizer_path_steps_on_the_mean_and_agrees_with_sgd() {
        let device = Device::flex().autodiff();
        let model = model(&device);
        let losses = losses(&model, &device);
        let mut updater = Updater::from(SgdConfig::new().init());
        let updated = updater.step(model, losses, 0.1);
        // mean over the batch: the same update as the hand-written rule.
        let w = updated.w.val().try_to_vec_as::<f32>().unwrap();
        assert!(
            (w[0] - 0.85).abs() < 1e-6 && (w[1] + 2.25).abs() < 1e-6,
            "{w:?}"
        );
    }
}
