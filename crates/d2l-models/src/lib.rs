//! The models of *Dive into Deep Learning* chapters 3–4 as Burn modules, each from scratch
//! (hand-held parameters and hand-written operations) and concise (Burn layers), with configs
//! that hold the book's defaults.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use d2l_models::{Model, SoftmaxConfig};
//!
//! let device = Device::default();
//! let net = SoftmaxConfig::new().init(&device); // 784 -> 10, W ~ N(0, 0.01²), b = 0
//! let scores = net.forward(Tensor::zeros([2, 784], &device));
//! assert_eq!(scores.dims(), [2, 10]);
//! ```

pub mod init;
pub mod layers;
pub mod linear;
pub mod mlp;
pub mod model;
pub mod ops;
pub mod softmax;

pub use init::Init;
pub use layers::Dropout;
pub use linear::{LinearRegression, LinearRegressionConfig, LinearRegressionScratch};
pub use mlp::{Mlp, MlpConfig, MlpScratch};
pub use model::{LinearLayers, Model};
pub use ops::{
    backward_with, cross_entropy, dropout, half_squared_error, l2_penalty, log_rmse_loss, relu,
    softmax, softmax_cross_entropy, squared_error,
};
pub use softmax::{SoftmaxConfig, SoftmaxRegression, SoftmaxScratch};
