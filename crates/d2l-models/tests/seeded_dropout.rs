//! Dropout masks come from the device's generator, which is one per process: these checks seed
//! it and compare masks, so they are one test, alone in this test binary (tests running beside
//! it in the same process would draw from the generator between a seed and its use).

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};
use d2l_models::Model;
use d2l_models::{Dropout, Mlp, MlpConfig, dropout};

fn values<const D: usize>(x: Tensor<D>) -> Vec<f32> {
    x.try_to_vec_as::<f32>().unwrap()
}

#[test]
fn the_same_seed_drops_the_same_units() {
    let device = Device::flex().autodiff();
    let x = Tensor::<2>::random([16, 32], Distribution::Default, &device);

    // The hand-written dropout repeats itself under a seed, and the layer is the same function.
    let by_hand = || {
        device.seed(7);
        values(dropout(x.clone(), 0.3))
    };
    assert_eq!(by_hand(), by_hand());
    device.seed(7);
    assert_eq!(values(Dropout::new(0.3).forward(x.clone())), by_hand());

    // The scratch and concise dropout MLPs with the same parameters: the same training output.
    let config = MlpConfig::dropout_book();
    let scratch = config.init_scratch(&device);
    let concise = Mlp::from(&scratch);
    let inputs = Tensor::<2>::random([8, 784], Distribution::Default, &device);
    device.seed(3);
    let from_scratch = values(scratch.forward(inputs.clone()));
    device.seed(3);
    let from_concise = values(concise.forward(inputs.clone()));
    let max_diff = from_scratch
        .iter()
        .zip(&from_concise)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(max_diff < 1e-5, "{max_diff}");
    assert_ne!(
        from_scratch,
        values(scratch.valid().forward(inputs.inner())),
        "training mode drops units"
    );
}
