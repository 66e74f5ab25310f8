//! The experiments of *Dive into Deep Learning* chapters 3–4, end to end: each one's
//! configuration with the book's defaults, its data, its model and its run into a run folder.
//!
//! | experiment | module | d2l |
//! |---|---|---|
//! | `softmax-scratch` | [`softmax_scratch`] | 3.6 |
//! | `softmax` (default) | [`softmax`] | 3.7 |
//! | `mlp-scratch` | [`mlp_scratch`] | 4.2 |
//! | `mlp` | [`mlp`] | 4.3 |
//! | `weight-decay` | [`weight_decay`] | 4.5 |
//! | `dropout-scratch` | [`dropout_scratch`] | 4.6 |
//! | `dropout` | [`dropout`] | 4.6 |
//! | `numerical-stability` | [`numerical_stability`] | 4.8 |
//! | `house` | [`house`] | 4.10 |
//!
//! Every experiment is an [`Experiment`]: its `Config` (a Burn `Config`, saved as
//! `config.json` and loaded back by [`load_config`]), its command-line `Args`, its typed
//! `Results` (`summary.json`). [`train`] runs one; [`EXPERIMENTS`] lists them for the command
//! line. The book's sections live in [`book`] (the six Fashion-MNIST classifiers share
//! [`fashion`]), the tools over run folders in [`lab`]: a run folder can be resumed
//! ([`resume`]), evaluated, predicted with and exported ([`Entry`]); [`runs`] lists and
//! compares run folders, [`sweep`] trains and ranks many trials of one experiment, [`bench`](mod@bench)
//! times the recipes; [`export`] writes a trained model for PyTorch. Each module is
//! re-exported here under its own name (`d2l_experiments::house`).
//!
//! Train the concise softmax regression of d2l 3.7 for one epoch:
//!
//! ```no_run
//! use burn::tensor::Device;
//! use d2l_experiments::{Env, Experiment, softmax::Softmax, train};
//!
//! let mut config = Softmax::book_config();
//! config.learner.epochs = 1;
//! let summary = train::<Softmax>(&config, &Env::new("flex", Device::default()))?;
//! println!("test accuracy {:.3} in {}", summary.results.test_acc, summary.run_dir.display());
//! # Ok::<(), d2l_experiments::Error>(())
//! ```
//!
//! Adding an experiment: a module in `book/` with a type that implements [`Experiment`] (or,
//! for a Fashion-MNIST classifier, [`fashion::Classifier`]), and its line in [`EXPERIMENTS`].

mod args;
pub mod book;
mod error;
mod experiment;
pub mod export;
pub mod lab;
mod registry;

pub use book::{
    dropout, dropout_scratch, fashion, house, mlp, mlp_scratch, numerical_stability, softmax,
    softmax_scratch, weight_decay,
};
pub use lab::{bench, kernels, runs, sweep};

pub use args::LearnerArgs;
pub use error::Error;
pub use experiment::{
    Env, Experiment, Prediction, Provenance, Run, Summary, experiment_of, load_config,
    load_provenance, resume, train,
};
pub use registry::{Entry, Evaluation, Registered, RunSummary};

/// Every experiment, in the order of the book: the command line's `train` subcommands.
pub static EXPERIMENTS: &[&dyn Entry] = &[
    &Registered::<softmax_scratch::SoftmaxScratch>::ENTRY,
    &Registered::<softmax::Softmax>::ENTRY,
    &Registered::<mlp_scratch::MlpScratch>::ENTRY,
    &Registered::<mlp::Mlp>::ENTRY,
    &Registered::<weight_decay::WeightDecay>::ENTRY,
    &Registered::<dropout_scratch::DropoutScratch>::ENTRY,
    &Registered::<dropout::Dropout>::ENTRY,
    &Registered::<numerical_stability::NumericalStability>::ENTRY,
    &Registered::<house::House>::ENTRY,
];

/// What `train` runs when no experiment is named.
pub const DEFAULT: &str = <softmax::Softmax as Experiment>::NAME;

/// The experiment called `name`.
pub fn find(name: &str) -> Option<&'static dyn Entry> {
    EXPERIMENTS
        .iter()
        .copied()
        .find(|entry| entry.name() == name)
}

/// Held by every unit test that draws from a backend's random number generator. The
/// generators are the process's and tests run on several threads: a test comparing two seeded
/// runs must be the only one drawing meanwhile, or each run draws other numbers (CI caught one).
#[cfg(test)]
fn draws_alone() -> std::sync::MutexGuard<'static, ()> {
    static GENERATORS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    GENERATORS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;
    use d2l_learner::RunDir;

    /// `E`'s book configuration and `edited` ones, written as a run writes them, load back equal.
    fn round_trip<E: Experiment>(edits: &[fn(&mut E::Args)]) -> serde_json::Value {
        let root = tempfile::tempdir().unwrap();
        let env = Env::new("flex", Device::flex());
        let mut configs = vec![E::book_config()];
        for edit in edits {
            let mut args = E::Args::default();
            edit(&mut args);
            configs.push(E::config(&args).unwrap());
        }
        for config in &configs {
            let dir = RunDir::create(root.path(), E::NAME).unwrap();
            experiment::save_config::<E>(&dir, config, &env).unwrap();
            assert_eq!(
                &load_config::<E>(dir.path()).unwrap(),
                config,
                "{}",
                E::NAME
            );
            let provenance = load_provenance(dir.path()).unwrap();
            assert_eq!(provenance.len(), 1);
            assert_eq!(provenance[0].backend, "flex");
            assert_eq!(provenance[0].version, env!("CARGO_PKG_VERSION"));
        }
        let dir = RunDir::create(root.path(), E::NAME).unwrap();
        let path = experiment::save_config::<E>(&dir, &configs[0], &env).unwrap();
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn every_experiments_config_loads_back_to_an_equal_value() {
        use d2l_models::Init;
        let json = round_trip::<softmax_scratch::SoftmaxScratch>(&[|a| {
            a.learner.lr = Some(0.3);
            a.init = Some(Init::XavierUniform);
        }]);
        assert_eq!(json["net"]["softmax-scratch"]["init"], "normal", "{json}");
        assert_eq!(json["optimizer"], "scratch");
        let json = round_trip::<softmax::Softmax>(&[|a| a.init = Some(Init::Torch)]);
        assert!(json["optimizer"]["sgd"].is_object(), "{json}");
        round_trip::<mlp_scratch::MlpScratch>(&[|a| a.learner.seed = Some(7)]);
        round_trip::<mlp::Mlp>(&[|a| a.init = Some(Init::XavierNormal)]);
        let json = round_trip::<weight_decay::WeightDecay>(&[|a| a.lambda = Some(1.5)]);
        assert_eq!(json["model"]["init"], "normal:1", "{json}");
        round_trip::<dropout_scratch::DropoutScratch>(&[|a| a.learner.epochs = Some(3)]);
        let json = round_trip::<dropout::Dropout>(&[]);
        assert_eq!(json["net"]["mlp"]["init"], "torch", "{json}");
        round_trip::<numerical_stability::NumericalStability>(&[|a| a.learner.lr = Some(0.2)]);
        let json = round_trip::<house::House>(&[
            |a| a.recipe = Some(house::HouseRecipe::Better),
            |a| {
                a.model = Some(house::HouseModel::Mlp);
                a.dropout = Some(0.2);
                a.weight_decay = Some(0.1);
            },
        ]);
        assert_eq!(
            (&json["model"], &json["recipe"]),
            (&"linear".into(), &"book".into())
        );
        assert_eq!(json["experiment"], "house");
    }

    #[test]
    fn a_config_of_another_experiment_is_refused_by_name() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::create(root.path(), "mlp").unwrap();
        let env = Env::new("flex", Device::flex());
        experiment::save_config::<mlp::Mlp>(&dir, &<mlp::Mlp as Experiment>::book_config(), &env)
            .unwrap();
        let err = load_config::<house::House>(dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("config.json") && err.contains("config of mlp, not of house"),
            "{err}"
        );
    }

    #[test]
    fn a_loop_without_epochs_is_refused_before_anything_is_written() {
        let root = tempfile::tempdir().unwrap();
        let mut env = Env::new("flex", Device::flex());
        env.runs_dir = root.path().join("runs");
        let mut config = <softmax::Softmax as Experiment>::book_config();
        config.learner.epochs = 0;
        let err = train::<softmax::Softmax>(&config, &env).unwrap_err();
        assert!(matches!(err, Error::Option(_)), "{err}");
        assert!(err.to_string().contains("epochs 0"), "{err}");
        assert!(!env.runs_dir.exists());
    }

    #[test]
    fn every_experiment_is_registered_once_with_a_valid_command() {
        let mut names: Vec<&str> = EXPERIMENTS.iter().map(|e| e.name()).collect();
        for entry in EXPERIMENTS {
            entry.command().debug_assert();
            assert!(entry.section().starts_with("d2l "), "{}", entry.name());
            assert_eq!(find(entry.name()).map(|e| e.name()), Some(entry.name()));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EXPERIMENTS.len());
        assert!(find(DEFAULT).is_some());
        assert!(find("mlp-3000").is_none());
    }
}
