//! Trained weights out of Burn: a run's model as SafeTensors under the names d2l's PyTorch
//! network gives its parameters, so that `net.load_state_dict(safetensors.torch.load_file(..))`
//! takes it (`bench/parity/load_export.py` does, and measures its test accuracy).
//!
//! d2l builds its networks as `nn.Sequential`: the Fashion-MNIST ones start with
//! `nn.Flatten()` (index 0), then each `nn.Linear` is followed by `nn.ReLU()` and, in d2l 4.6's
//! dropout network, `nn.Dropout(p)`; the last layer stands alone. The mlp of d2l 4.3 is
//! `nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))`: its
//! parameters are `1.weight` `[256, 784]`, `1.bias`, `3.weight` `[10, 256]`, `3.bias`, weights
//! transposed from Burn's `[inputs, outputs]` to `nn.Linear`'s `[outputs, inputs]`. A network
//! from scratch is exported as its concise twin (the same function; d2l 3.6's softmax
//! regression computes the softmax itself, the concise one leaves it to the loss: the same
//! classes). The house-price models have no `nn.Flatten()`: `0.weight`, `0.bias`.

use burn::tensor::Tensor;
use safetensors::{Dtype, tensor::TensorView};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::Error;
use d2l_learner::TrainError;

/// Where d2l's `nn.Sequential` puts the linear layers of a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TorchSequential {
    /// Whether it starts with `nn.Flatten()` (the Fashion-MNIST networks).
    pub flatten: bool,
    /// Whether each hidden layer's `nn.ReLU()` is followed by an `nn.Dropout(p)`.
    pub dropout: bool,
}

impl TorchSequential {
    /// The `nn.Sequential` index of the `layer`-th linear layer (from 0).
    pub fn index(&self, layer: usize) -> usize {
        usize::from(self.flatten) + layer * (2 + usize::from(self.dropout))
    }

    /// The network in PyTorch, for layers of `widths` (inputs first):
    /// `nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))`.
    /// Dropout probabilities are left out (`nn.Dropout()`): evaluation does not use them.
    pub fn describe(&self, widths: &[usize]) -> String {
        let mut modules = Vec::new();
        if self.flatten {
            modules.push("nn.Flatten()".to_string());
        }
        for (i, pair) in widths.windows(2).enumerate() {
            modules.push(format!("nn.Linear({}, {})", pair[0], pair[1]));
            if i + 2 < widths.len() {
                modules.push("nn.ReLU()".to_string());
                if self.dropout {
                    modules.push("nn.Dropout()".to_string());
                }
            }
        }
        format!("nn.Sequential({})", modules.join(", "))
    }
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exported {
    /// The file written.
    pub out: PathBuf,
    /// Its format (`safetensors`).
    pub format: &'static str,
    /// The PyTorch network its parameters load into.
    pub network: String,
    /// The parameters' names, in the network's order.
    pub tensors: Vec<String>,
    /// The number of values in all.
    pub parameters: usize,
}

/// Writes `layers` (weight `[inputs, outputs]` and bias per linear layer, input side first,
/// as [`LinearLayers`](d2l_models::LinearLayers) gives them) to `out` as SafeTensors (f32,
/// little-endian) with `layout`'s PyTorch names; the file's metadata names the experiment and
/// the network.
pub fn write_safetensors(
    layers: Vec<(Tensor<2>, Tensor<1>)>,
    layout: TorchSequential,
    experiment: &str,
    out: &Path,
) -> Result<Exported, Error> {
    let mut widths = Vec::new();
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (i, (weight, bias)) in layers.into_iter().enumerate() {
        let [inputs, outputs] = weight.dims();
        if widths.is_empty() {
            widths.push(inputs);
        }
        widths.push(outputs);
        let index = layout.index(i);
        let weight = weight.transpose().try_to_vec_as::<f32>()?;
        let bias = bias.try_to_vec_as::<f32>()?;
        tensors.push((
            format!("{index}.weight"),
            vec![outputs, inputs],
            bytes(&weight),
        ));
        tensors.push((format!("{index}.bias"), vec![outputs], bytes(&bias)));
    }
    let network = layout.describe(&widths);
    let views = tensors
        .iter()
        .map(|(name, shape, data)| {
            let view = TensorView::new(Dtype::F32, shape.clone(), data).expect("sizes agree");
            (name.clone(), view)
        })
        .collect::<Vec<_>>();
    let metadata = HashMap::from([
        ("experiment".to_string(), experiment.to_string()),
        ("network".to_string(), network.clone()),
        (
            "written_by".to_string(),
            "burn-d2l (d2l export)".to_string(),
        ),
    ]);
    safetensors::serialize_to_file(views, Some(metadata), out).map_err(|e| match e {
        safetensors::SafeTensorError::IoError(e) => Error::Train(TrainError::io(out)(e)),
        other => Error::Config {
            path: out.to_path_buf(),
            message: other.to_string(),
        },
    })?;
    Ok(Exported {
        out: out.to_path_buf(),
        format: "safetensors",
        network,
        parameters: tensors.iter().map(|(_, _, data)| data.len() / 4).sum(),
        tensors: tensors.into_iter().map(|(name, _, _)| name).collect(),
    })
}

/// Little-endian bytes of `values`.
fn bytes(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|value| value.to_le_bytes())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;
    use d2l_models::{LinearLayers, MlpConfig, SoftmaxConfig};
    use safetensors::SafeTensors;

    /// A tensor read back: name, shape, values.
    type Named = (String, Vec<usize>, Vec<f32>);

    /// The tensors of a SafeTensors file, read back by the format's own crate, and its
    /// metadata.
    fn read(path: &Path) -> (Vec<Named>, HashMap<String, String>) {
        let buffer = std::fs::read(path).unwrap();
        let (_, metadata) = SafeTensors::read_metadata(&buffer).unwrap();
        let file = SafeTensors::deserialize(&buffer).unwrap();
        let mut tensors: Vec<_> = file
            .tensors()
            .into_iter()
            .map(|(name, view)| {
                assert_eq!(view.dtype(), Dtype::F32);
                let values = view
                    .data()
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                    .collect();
                (name, view.shape().to_vec(), values)
            })
            .collect();
        tensors.sort_by(|a, b| a.0.cmp(&b.0));
        (tensors, metadata.metadata().clone().unwrap_or_default())
    }

    #[test]
    fn the_dropout_mlp_reads_back_under_d2ls_names_transposed() {
        let _alone = crate::draws_alone();
        let device = Device::flex();
        let net = MlpConfig::dropout_book()
            .with_hidden(vec![3, 2])
            .with_num_inputs(4)
            .init(&device);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("net.safetensors");
        let layout = TorchSequential {
            flatten: true,
            dropout: true,
        };
        let exported = write_safetensors(net.linear_layers(), layout, "dropout", &out).unwrap();
        assert_eq!(
            exported.network,
            "nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Dropout(), \
             nn.Linear(3, 2), nn.ReLU(), nn.Dropout(), nn.Linear(2, 10))"
        );
        let names = [
            "1.weight", "1.bias", "4.weight", "4.bias", "7.weight", "7.bias",
        ];
        assert_eq!(exported.tensors, names);
        assert_eq!(exported.parameters, 4 * 3 + 3 + 3 * 2 + 2 + 2 * 10 + 10);

        let (tensors, metadata) = read(&out);
        assert_eq!(metadata["experiment"], "dropout");
        assert_eq!(metadata["network"], exported.network);
        let mut expected = Vec::new();
        for (i, (weight, bias)) in net.linear_layers().into_iter().enumerate() {
            let [inputs, outputs] = weight.dims();
            let weight = weight.try_to_vec_as::<f32>().unwrap();
            // PyTorch's [outputs, inputs]: element (o, i) is Burn's (i, o).
            let transposed = (0..outputs * inputs)
                .map(|k| weight[(k % inputs) * outputs + k / inputs])
                .collect();
            let index = 1 + 3 * i;
            expected.push((format!("{index}.weight"), vec![outputs, inputs], transposed));
            let bias = bias.try_to_vec_as::<f32>().unwrap();
            expected.push((format!("{index}.bias"), vec![outputs], bias));
        }
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(tensors, expected);
    }

    #[test]
    fn a_regression_network_has_no_flatten() {
        let layout = TorchSequential {
            flatten: false,
            dropout: false,
        };
        assert_eq!(layout.index(0), 0);
        assert_eq!(layout.index(1), 2);
        assert_eq!(
            layout.describe(&[330, 64, 1]),
            "nn.Sequential(nn.Linear(330, 64), nn.ReLU(), nn.Linear(64, 1))"
        );
        let device = Device::flex();
        let net = SoftmaxConfig::new().with_num_inputs(3).init(&device);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("net.safetensors");
        let exported = write_safetensors(net.linear_layers(), layout, "x", &out).unwrap();
        assert_eq!(exported.tensors, ["0.weight", "0.bias"]);
        let (tensors, _) = read(&out);
        assert_eq!(tensors[1].1, [10, 3]);
    }

    #[test]
    fn an_unwritable_file_is_named() {
        let _alone = crate::draws_alone();
        let device = Device::flex();
        let net = SoftmaxConfig::new().init(&device);
        let out = Path::new("/nonexistent-folder/net.safetensors");
        let layout = TorchSequential {
            flatten: true,
            dropout: false,
        };
        let error = write_safetensors(net.linear_layers(), layout, "softmax", out).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("/nonexistent-folder/net.safetensors"),
            "{error}"
        );
    }
}
