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
