//! The book's sections, one module each: its configuration with the book's defaults, its
//! options, its data, its model and its run into a run folder, and its typed results. The six
//! Fashion-MNIST classifiers share [`fashion`].

pub mod dropout;
pub mod dropout_scratch;
pub mod fashion;
pub mod house;
pub mod mlp;
pub mod mlp_scratch;
pub mod numerical_stability;
pub mod softmax;
pub mod softmax_scratch;
pub mod weight_decay;

use burn::module::Module;
use burn::tensor::Tensor;
use d2l_learner::{Model, TrainError};
use d2l_models::LinearLayers;
use std::path::Path;

use crate::Error;

/// What is done with an experiment's network, whatever its model type: the network is built
/// from the config in one place per experiment ([`fashion::Net::build`], house's `build`),
/// which hands it to one of these (training it, loading a run's weights into it, counting
/// its kernels).
pub trait WithNetwork {
    /// What doing it gives.
    type Output;
    /// Does it with `model`.
    fn with<M: Model + LinearLayers + 'static>(self, model: M) -> Self::Output;
}

/// A trained network behind one type: its forward pass and its layers.
pub(crate) trait Network {
    /// The forward pass ([`Model::forward`]).
    fn forward(&self, x: Tensor<2>) -> Tensor<2>;
    /// The layers ([`LinearLayers::linear_layers`]).
    fn linear_layers(&self) -> Vec<(Tensor<2>, Tensor<1>)>;
}

impl<M: Model + LinearLayers> Network for M {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        Model::forward(self, x)
    }

    fn linear_layers(&self) -> Vec<(Tensor<2>, Tensor<1>)> {
        LinearLayers::linear_layers(self)
    }
}

/// Loads the weights at `path` into the network it is given.
pub(crate) struct Load<'a>(pub(crate) &'a Path);

impl WithNetwork for Load<'_> {
    type Output = Result<Box<dyn Network>, Error>;

    fn with<M: Model + LinearLayers + 'static>(self, model: M) -> Self::Output {
        Ok(Box::new(load(model, self.0)?))
    }
}

/// `model` with the weights saved at `path`.
pub(crate) fn load<M: Module>(model: M, path: &Path) -> Result<M, Error> {
    model.try_load_file(path).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        message: format!("cannot load the weights: {e}"),
    })
}

/// Writes a file the user asked for, naming it in the error.
pub(crate) fn write(path: &Path, contents: &[u8]) -> Result<(), Error> {
    std::fs::write(path, contents).map_err(|e| Error::Train(TrainError::io(path)(e)))
}
