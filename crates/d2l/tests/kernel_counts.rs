//! Kernels per training step on wgpu (software Vulkan, lavapipe, in CI), counted with the
//! runtime's kernel log (`d2l::runtime::KernelLog`: CubeCL's profiling logger, one line per
//! launch), held at what this build launches so that no change adds launches unseen. The
//! evaluation pass is counted apart.
//!
//! Where they stand (docs/performance.md, "Kernels per step"): before this build, on an H200, softmax 26,
//! mlp 42, dropout 51 per batch (lavapipe: mlp 44); this build on lavapipe 16, 22 and 33
//! (the cross-entropy computed with its gradient, `d2l_models::softmax_cross_entropy`, and
//! Burn's fusion search kept to three blocks, `d2l::runtime::FUSION_MAX_BLOCKS`). PyTorch's
//! eager loop launches 27 per MLP step and 39 with dropout on CUDA
//! (`bench/gpu/torch_kernels.py`, torch.profiler on the H200). The figures can move by a launch
//! or two from one process to another (which kernel autotune picks for a matrix product is
//! timed), so the limits leave that room over what was measured, and stay under PyTorch's.

//! The kernel log is configured once per process, before the first wgpu device: this file is
//! its own test binary with one test.
#![cfg(feature = "wgpu")]

use d2l::Backend;
use d2l::data::FashionMnist;
use d2l::experiments::fashion::book_classifiers;
use d2l::experiments::kernels::{count_house_kernels, count_kernels};
use d2l::runtime::KernelLog;

/// The recipes held, with the most kernels per training batch allowed (measured on lavapipe:
/// 16, 22, 33; PyTorch: mlp 27, dropout 39; see the file's docs).
const LIMITS: [(&str, f64); 3] = [("softmax", 18.0), ("mlp", 24.0), ("dropout", 36.0)];

/// The most kernels per fold epoch of the house K-fold allowed (19 batches of Adam on
/// `Linear(330, 1)` and the epoch's evaluations, the five folds side by side as one model, a
/// fifth of an epoch of it; measured on lavapipe: 47.6. Folds one by one: 205, 10 per batch;
/// 262, 13 per batch, before `squared_error` stopped reducing over its one output).
const HOUSE_LIMIT: f64 = 55.0;

#[test]
fn training_steps_launch_no_more_kernels_than_they_did() {
    let dir = tempfile::tempdir().unwrap();
    let log = KernelLog::start(&dir.path().join("kernels.log")).unwrap();
    let device = Backend::Wgpu.device().unwrap();
    let data = FashionMnist::load(&d2l::data::data_dir(None)).unwrap();
    let launches = || log.launches(&device).map_err(|e| e.to_string());
    let mut report = Vec::new();
    for (name, limit) in LIMITS {
        let (_, config) = book_classifiers()
            .into_iter()
            .find(|(known, _)| *known == name)
            .unwrap();
        let counts = count_kernels(&config, &data, &device, &launches).unwrap();
        eprintln!("{name}: {counts:?}");
        report.push((name, limit, counts));
    }
    for (name, limit, counts) in &report {
        assert!(
            counts.per_batch <= *limit,
            "{name}: {} kernels per training step, more than {limit}: {report:?}",
            counts.per_batch
        );
        assert!(counts.eval_pass > 0, "{name}: {counts:?}");
    }
    let runs = tempfile::tempdir().unwrap();
    let house =
        count_house_kernels(&d2l::data::data_dir(None), &device, runs.path(), &launches).unwrap();
    eprintln!("house: {house} per fold epoch");
    assert!(
        house <= HOUSE_LIMIT,
        "house: {house} kernels per fold epoch, more than {HOUSE_LIMIT}"
    );
}
