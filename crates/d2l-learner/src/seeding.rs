//! Every seeding of a device's generator: the run's seed at its start, one per epoch, and the
//! one a fit ends with.

use burn::tensor::Device;

/// Seeds `device`'s generator (initial parameters, which Burn draws when a model is first
/// used, and dropout masks) with `seed` at the start of a run: every seeding of a device in
/// this project is here or in [`Learner::fit`](crate::Learner::fit) (each later epoch with
/// [`epoch_seed`], and the end of a fit with [`seed_as_a_fit_ends`]), so that a run's
/// randomness follows from its seed alone and a resumed run is the run that did not stop.
/// Seeding `device` seeds its autodiff side too.
pub fn seed_run(device: &Device, seed: u64) {
    device.seed(seed);
}

/// The seed of the device's generator for `epoch` of a loop seeded with `seed` (SplitMix64 of
/// the two, so that neighbouring seeds and epochs give unrelated streams).
pub fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    let mut z = seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Seeds `device`'s generator as a fit of `epochs` epochs from `seed` leaves it when it ends
/// ([`epoch_seed`]`(seed, epochs + 1)`): what follows a fit (the next fold's initialisation)
/// draws the same numbers whether the fit ran, was restored, or trained beside others (the
/// house K-fold's folds side by side).
pub fn seed_as_a_fit_ends(device: &Device, seed: u64, epochs: usize) {
    device.seed(epoch_seed(seed, epochs + 1));
}
