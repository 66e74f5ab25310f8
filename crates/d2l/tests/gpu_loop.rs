//! The training loop on the GPU path (wgpu; software Vulkan, lavapipe, in CI), for each of the
//! six Fashion-MNIST classifiers of the book:
//! - an epoch reads from the device at most 3 times and uploads nothing per batch (one
//!   permutation of the examples per epoch); the counts are those of `d2l::devices` (`counts`),
//!   through which the crates' uploads and reads go;
//! - its first epoch gives the losses of flex from the same initial weights;
//! - dropout is drawn on the device, repeats under a seed, and is off at evaluation.
//!
//! The counters are process-wide and the device's generator one per process: the tests of this
//! file run one at a time.
#![cfg(all(feature = "wgpu", feature = "flex"))]

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Int, Tensor};
use d2l::Backend;
use d2l::data::FashionMnist;
use d2l::devices::{Transfers, counts, is_accelerator};
use d2l::experiments::dropout::Dropout;
use d2l::experiments::dropout_scratch::DropoutScratch;
use d2l::experiments::fashion::{Classifier, ClassifierConfig, Net, book_classifiers};
use d2l::learner::{
    Accuracy, EpochRecord, Learner, Model, Observer, TensorDataset, TrainError, evaluate,
};
use d2l::models::dropout;
use std::sync::{Mutex, MutexGuard, PoisonError};

static ALONE: Mutex<()> = Mutex::new(());

fn alone() -> MutexGuard<'static, ()> {
    ALONE.lock().unwrap_or_else(PoisonError::into_inner)
}

type Data = TensorDataset<Tensor<1, Int>>;

/// The first `train` and `test` examples of Fashion-MNIST on `device` (a few batches keep the
/// tests short on software Vulkan).
fn subset(device: &Device, train: usize, test: usize) -> (Data, Data) {
    let data = FashionMnist::load(&d2l::data::data_dir(None)).unwrap();
    FashionMnist {
        train: data.train.head(train),
        test: data.test.head(test),
    }
    .datasets(device)
}

/// Draws every parameter of a model now (Burn draws them when first used, on the device the
/// model is on then: moved before, they would be drawn by the other device's generator).
struct Draw;

impl ModuleVisitor for Draw {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        param.val();
    }
}

/// `model`, its parameters drawn on its device, moved to `device`.
fn moved<M: Module>(model: M, device: &Device) -> M {
    model.visit(&mut Draw);
    model.fork(device)
}

/// Trains the network of `config` for `epochs` on `train` (evaluated on `test`), initialised on
/// `init_on` and moved to `device` (both with autodiff), telling `observer` of each epoch.
fn fit(
    config: &ClassifierConfig,
    epochs: usize,
    (init_on, device): (&Device, &Device),
    (train, test): (&Data, &Data),
    observer: &mut dyn Observer,
) -> Vec<EpochRecord> {
    fit_waiting(
        config,
        epochs,
        (init_on, device),
        (train, test),
        observer,
        false,
    )
}

/// [`fit`], waiting for the device after each step or not ([`Learner::wait_each_step`]).
fn fit_waiting(
    config: &ClassifierConfig,
    epochs: usize,
    (init_on, device): (&Device, &Device),
    (train, test): (&Data, &Data),
    observer: &mut dyn Observer,
    wait: bool,
) -> Vec<EpochRecord> {
    fn run<M: Model>(
        config: &ClassifierConfig,
        epochs: usize,
        model: M,
        (train, test): (&Data, &Data),
        observer: &mut dyn Observer,
        wait: bool,
    ) -> Vec<EpochRecord> {
        let loss = config.net.loss();
        let learner = config.learner.clone().with_epochs(epochs);
        Learner::new(learner, &loss, &Accuracy, config.optimizer.init())
            .progress(false)
            .wait_each_step(wait)
            .observer(observer)
            .fit(model, train, Some(test))
            .unwrap()
            .1
    }
    init_on.seed(config.learner.seed);
    // The networks are of four types: one generic call each.
    macro_rules! fit_on_device {
        ($model:expr) => {
            run(
                config,
                epochs,
                moved($model, device),
                (train, test),
                observer,
                wait,
            )
        };
    }
    match &config.net {
        Net::SoftmaxScratch(c) => fit_on_device!(c.init_scratch(init_on)),
        Net::Softmax(c) => fit_on_device!(c.init(init_on)),
        Net::MlpScratch(c) => fit_on_device!(c.init_scratch(init_on)),
        Net::Mlp(c) => fit_on_device!(c.init(init_on)),
    }
}

/// The transfers counted when each epoch ended.
struct Counter(Vec<Transfers>);

impl Observer for Counter {
    fn on_epoch(&mut self, _: &EpochRecord) -> Result<(), TrainError> {
        self.0.push(counts());
        Ok(())
    }
}

/// Nothing to observe.
struct Quiet;

impl Observer for Quiet {
    fn on_epoch(&mut self, _: &EpochRecord) -> Result<(), TrainError> {
        Ok(())
    }
}

fn wgpu() -> Device {
    Backend::Wgpu.device().unwrap()
}

#[test]
fn an_epoch_on_the_gpu_path_reads_at_most_three_times_and_uploads_no_batch() {
    let _alone = alone();
    let device = wgpu();
    assert!(is_accelerator(&device));
    let ad = device.clone().autodiff();
    // 8 training batches of 256, one evaluation batch.
    let (train, test) = subset(&device, 2048, 512);
    assert!(train.is_resident() && test.is_resident());
    for (name, config) in book_classifiers() {
        let mut counter = Counter(Vec::new());
        fit(&config, 3, (&ad, &ad), (&train, &test), &mut counter);
        // Epochs 2 and 3, whole: shuffle, 8 steps, evaluation, the end of the epoch.
        for pair in counter.0.windows(2) {
            let epoch = pair[1] - pair[0];
            assert!(epoch.reads <= 3, "{name}: {epoch:?} in one epoch");
            assert!(
                epoch.uploads <= 1,
                "{name}: {epoch:?} in one epoch (8 batches)"
            );
        }
    }
}

/// From the same initial weights and shuffles, the first epoch's mean loss and accuracies on
/// wgpu are flex's. The dropout networks run with dropout off here (flex draws its masks on the
/// host, wgpu on the device: other masks), as in the parity fixtures; the loop is otherwise
/// theirs (three layers, lr 0.5).
#[test]
fn the_first_epoch_on_wgpu_matches_flex_for_every_classifier() {
    let _alone = alone();
    let flex = Backend::Flex.device().unwrap();
    let (flex_ad, wgpu_ad) = (flex.clone().autodiff(), wgpu().autodiff());
    let on_flex = subset(&flex, 2048, 512);
    let on_wgpu = subset(&wgpu(), 2048, 512);
    for (name, mut config) in book_classifiers() {
        config.net = match config.net {
            Net::MlpScratch(c) => Net::MlpScratch(c.with_dropout(Vec::new())),
            Net::Mlp(c) => Net::Mlp(c.with_dropout(Vec::new())),
            other => other,
        };
        let a = fit(
            &config,
            1,
            (&flex_ad, &flex_ad),
            (&on_flex.0, &on_flex.1),
            &mut Quiet,
        );
        let b = fit(
            &config,
            1,
            (&flex_ad, &wgpu_ad),
            (&on_wgpu.0, &on_wgpu.1),
            &mut Quiet,
        );
        let (a, b) = (&a[0], &b[0]);
        // Tolerances: 8 steps in f32 with other summation orders (flex 1e-7 per step in the
        // parity fixtures); an accuracy may move by one example of 2048 or 512.
        assert!(
            (a.train_loss - b.train_loss).abs() <= 1e-4 * a.train_loss,
            "{name}: loss {} on flex, {} on wgpu",
            a.train_loss,
            b.train_loss
        );
        assert!(
            (a.train_metric - b.train_metric).abs() <= 1.0 / 2048.0,
            "{name}: {a:?} {b:?}"
        );
        let (ta, tb) = (a.test_metric.unwrap(), b.test_metric.unwrap());
        assert!((ta - tb).abs() <= 1.0 / 512.0, "{name}: {a:?} {b:?}");
    }
}

/// Dropout on wgpu: masks drawn by the device keep about `1 - p` of the units scaled by
/// `1 / (1 - p)`, repeat under a seed, and are off in validation mode, where the trained
/// dropout networks evaluate to the same accuracy every time.
#[test]
fn dropout_on_wgpu_is_drawn_by_the_device_seeded_and_off_at_evaluation() {
    let _alone = alone();
    let device = wgpu();
    let ad = device.clone().autodiff();
    let x = Tensor::<2>::ones([100, 100], &ad);
    let draw = |seed| {
        ad.seed(seed);
        let before = counts();
        let values = dropout(x.clone(), 0.5)
            .inner()
            .try_to_vec_as::<f32>()
            .unwrap();
        assert_eq!(
            counts() - before,
            Transfers::default(),
            "no upload, no read"
        );
        values
    };
    let first = draw(7);
    assert!(first.iter().all(|&v| v == 0.0 || v == 2.0));
    let kept = first.iter().filter(|&&v| v == 2.0).count();
    // 10 000 Bernoulli(0.5) draws: 5 000 ± 50 (σ); 4 700..5 300 is 6σ.
    assert!((4700..5300).contains(&kept), "{kept}");
    assert_eq!(first, draw(7), "the same seed, the same mask");
    assert_ne!(first, draw(8));
    let off = dropout(x.inner(), 0.5).try_to_vec_as::<f32>().unwrap();
    assert!(off.iter().all(|&v| v == 1.0), "the identity off autodiff");

    let (train, test) = subset(&device, 1024, 512);
    for (name, config) in book_classifiers()
        .into_iter()
        .filter(|(name, _)| name.starts_with("dropout"))
    {
        let history = fit(&config, 2, (&ad, &ad), (&train, &test), &mut Quiet);
        // Below ln(10) ≈ 2.303, the loss of a uniform guess over the ten classes.
        assert!(history[1].train_loss < 2.3, "{name}: {history:?}");
    }
    let config = DropoutScratch::book();
    let Net::MlpScratch(net) = &config.net else {
        panic!("the scratch dropout network")
    };
    let model = net.init_scratch(&ad).valid();
    let (inputs, _) = test.batches(512).next().unwrap();
    let logits = || {
        model
            .forward(inputs.clone())
            .try_to_vec_as::<f32>()
            .unwrap()
    };
    assert_eq!(logits(), logits(), "validation mode draws no mask");
    let accuracy = || evaluate(&model, &test, &Accuracy, 256).unwrap();
    assert_eq!(accuracy(), accuracy());
}

/// Waiting for the device after each step (what the experiments do on a software adapter)
/// changes none of an epoch's figures and reads nothing more: a seeded dropout network, on
/// wgpu, the same with and without waiting.
#[test]
fn waiting_for_each_step_on_wgpu_changes_no_figure_and_reads_no_more() {
    let _alone = alone();
    let device = wgpu();
    let ad = device.clone().autodiff();
    let (train, test) = subset(&device, 2048, 512);
    let config = Dropout::book();
    let mut counter = Counter(Vec::new());
    let free = fit(&config, 2, (&ad, &ad), (&train, &test), &mut Quiet);
    let waiting = fit_waiting(&config, 2, (&ad, &ad), (&train, &test), &mut counter, true);
    let figures = |records: &[EpochRecord]| -> Vec<_> {
        records
            .iter()
            .map(|r| (r.train_loss, r.train_metric, r.test_metric))
            .collect()
    };
    assert_eq!(figures(&free), figures(&waiting));
    let epoch = counter.0[1] - counter.0[0];
    assert!(
        epoch.reads <= 3 && epoch.uploads <= 1,
        "{epoch:?} in one epoch"
    );
}
