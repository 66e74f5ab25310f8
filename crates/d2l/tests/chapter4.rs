#![cfg(feature = "flex")]
//! The chapter-4 experiments that do not classify Fashion-MNIST, end to end: weight decay
//! (d2l 4.5), numerical stability (4.8) and the Kaggle house prices (4.10).

mod common;

use common::{config, env, train_serial};
use d2l::Backend;
use d2l::experiments::house::{EvalMode, House, HouseLoss, HouseModel, HouseRecipe};
use d2l::experiments::numerical_stability::NumericalStability;
use d2l::experiments::weight_decay::{PenaltyStyle, WeightDecay};
use d2l::experiments::{Experiment, Summary, load_config};

/// Trains `E` with the options `edit` sets, checks that its `config.json` loads back to the
/// config it ran with; the run folder lives as long as the `TempDir`.
fn train<E: Experiment>(
    edit: impl FnOnce(&mut E::Args),
) -> (Summary<E::Results>, tempfile::TempDir) {
    let runs = tempfile::tempdir().unwrap();
    let config = config::<E>(edit);
    let summary = train_serial::<E>(&config, &env(Backend::Flex, &runs)).unwrap();
    assert_eq!(load_config::<E>(&summary.run_dir).unwrap(), config);
    (summary, runs)
}

/// Book: ‖w‖ ≈ 12.96 at λ = 0 and 0.356 at λ = 3 (reader runs 12.5–14.2 and 0.34–0.46).
/// Acceptance: 10–16 and below 0.6, for both penalty styles, which minimise the same
/// objective from the same start and so agree closely.
#[test]
fn weight_decay_shrinks_the_weights_by_hand_and_by_the_optimizer() {
    let (summary, _runs) = train::<WeightDecay>(|_| {});
    assert_eq!(summary.epochs, 100);
    let results = &summary.results;
    let run = |style, lambda| results.get(style, lambda).unwrap();
    for style in [PenaltyStyle::Penalty, PenaltyStyle::Optimizer] {
        let (free, decayed) = (run(style, 0.0), run(style, 3.0));
        assert!((10.0..=16.0).contains(&free.w_norm), "{free:?}");
        assert!(decayed.w_norm < 0.6, "{decayed:?}");
        // Overfitting without decay: the test loss dwarfs the training loss.
        assert!(free.test_loss > 1000.0 * free.train_loss, "{free:?}");
    }
    for lambda in [0.0, 3.0] {
        let (a, b) = (
            run(PenaltyStyle::Penalty, lambda).w_norm,
            run(PenaltyStyle::Optimizer, lambda).w_norm,
        );
        assert!((a - b).abs() < 1e-3 * a, "λ={lambda}: {a} vs {b}");
    }
    // The JSON keeps the flat keys scripts read.
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(
        json["w_norm_penalty_3"],
        run(PenaltyStyle::Penalty, 3.0).w_norm
    );
    assert!(json["test_loss_optimizer_0"].is_f64(), "{json}");
    for file in [
        "penalty-lambda-0-metrics.csv",
        "penalty-lambda-3-curves.svg",
        "optimizer-lambda-3-metrics.csv",
        "optimizer-lambda-3-model.bpk",
    ] {
        assert!(summary.run_dir.join(file).is_file(), "{file}");
    }
}

#[test]
fn weight_decay_trains_only_the_lambda_asked_for() {
    let (summary, _runs) = train::<WeightDecay>(|a| {
        a.lambda = Some(1.0);
        a.learner.epochs = Some(5);
    });
    let runs = &summary.results.runs;
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|run| run.lambda == 1.0), "{runs:?}");
    let json = serde_json::to_value(&summary.results).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert!(keys.iter().all(|k| k.ends_with("_1")), "{keys:?}");
    assert_eq!(keys.len(), 6);
}

#[test]
fn numerical_stability_shows_vanishing_exploding_and_symmetry() {
    let (summary, _runs) = train::<NumericalStability>(|_| {});
    let results = &summary.results;
    assert!((results.sigmoid_grad_peak - 0.25).abs() < 1e-6);
    assert!(results.sigmoid_grad_peak_x.abs() < 0.05);
    let product = results.product_max_abs;
    assert!(product > 1e15 && product.is_finite(), "{product:e}");
    assert_eq!(results.symmetric_units_difference, 0.0);
    assert!(results.random_units_difference > 1e-4);
    assert!(results.symmetric_dropout_units_difference > 1e-3);
    // This test binary does not count its heap (the d2l binary does: tests/cli.rs).
    assert_eq!(
        (results.train_step_bytes, results.inference_bytes),
        (None, None)
    );
    let svg = std::fs::read_to_string(summary.run_dir.join("sigmoid.svg")).unwrap();
    assert!(svg.contains("sigmoid") && svg.contains("gradient"));
}

/// d2l 4.10's recipe, 5 folds × 100 epochs. PyTorch on the same recipe here: valid 0.1707,
/// train 0.1655 (shared/REFERENCE.md); the book 0.1702 / 0.1656. Acceptance: ≤ 0.171 and
/// ≤ 0.166.
#[test]
fn house_book_recipe_matches_the_book_and_writes_a_submission() {
    let (summary, _runs) = train::<House>(|_| {});
    let k_fold = &summary.results.k_fold;
    let (train, valid) = (k_fold.train(), k_fold.valid());
    assert!(
        valid <= 0.171 && train <= 0.166,
        "train {train}, valid {valid}"
    );
    assert_eq!(k_fold.folds.len(), 5);
    for (i, fold) in k_fold.folds.iter().enumerate() {
        assert!(
            fold.valid > 0.1 && fold.valid < 0.25,
            "fold {}: {fold:?}",
            i + 1
        );
        let log = summary.run_dir.join(format!("fold-{}-metrics.csv", i + 1));
        let csv = std::fs::read_to_string(log).unwrap();
        assert!(csv.starts_with("epoch,train_loss,train_log_rmse,test_log_rmse,seconds\n"));
        assert_eq!(csv.lines().count(), 101);
    }
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["valid_log_rmse"], valid);
    assert_eq!(json["fold_5_train_log_rmse"], k_fold.folds[4].train);
    for file in ["fold-1-curves.svg", "model.bpk", "preprocessor.json"] {
        assert!(summary.run_dir.join(file).is_file(), "{file}");
    }
    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(summary.run_dir.join("config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (&config["model"], &config["recipe"]),
        (&"linear".into(), &"book".into())
    );

    let submission = std::fs::read_to_string(summary.run_dir.join("submission.csv")).unwrap();
    let mut lines = submission.lines();
    assert_eq!(lines.next(), Some("Id,SalePrice"));
    let rows: Vec<(u32, f64)> = lines
        .map(|line| {
            let (id, price) = line.split_once(',').unwrap();
            (id.parse().unwrap(), price.parse().unwrap())
        })
        .collect();
    assert_eq!(rows.len(), 1459);
    let ids: Vec<u32> = rows.iter().map(|r| r.0).collect();
    assert_eq!(ids, (1461..=2919).collect::<Vec<_>>());
    assert!(rows.iter().all(|r| r.1.is_finite() && r.1 > 0.0));
    // Sale prices of this market: the median prediction is near the training median (163 000).
    let mut prices: Vec<f64> = rows.iter().map(|r| r.1).collect();
    prices.sort_by(f64::total_cmp);
    let median = prices[prices.len() / 2];
    assert!((120_000.0..220_000.0).contains(&median), "{median}");
}

/// The better recipe (log prices, log-transformed skewed features, clipping, lasso).
/// Acceptance: average 5-fold valid log-RMSE ≤ 0.125.
#[test]
fn house_better_recipe_beats_the_book() {
    let (summary, _runs) = train::<House>(|a| a.recipe = Some(HouseRecipe::Better));
    let valid = summary.results.k_fold.valid();
    assert!(valid <= 0.125, "{valid}");
}

/// The MLP with dropout, shortened: it trains, every fold is reported, and the config records
/// the options.
#[test]
fn house_mlp_runs_with_its_options() {
    let (summary, _runs) = train::<House>(|a| {
        a.model = Some(HouseModel::Mlp);
        a.k = Some(2);
        a.hidden = Some(32);
        a.dropout = Some(0.3);
        a.learner.epochs = Some(3);
        a.learner.lr = Some(0.5);
    });
    assert!(summary.results.k_fold.valid().is_finite());
    assert_eq!(summary.results.k_fold.folds.len(), 2);
    let config = load_config::<House>(&summary.run_dir).unwrap();
    assert_eq!(
        (config.model, config.hidden, config.dropout),
        (HouseModel::Mlp, 32, 0.3)
    );
}

/// The study notes' pitfall, on a short schedule: the same MLP with dropout validated with
/// dropout still on (no `net.eval()`) scores worse than in evaluation mode. The two runs
/// train the same weights (each epoch reseeds the device before training, so the masks the
/// evaluation draws do not reach the next epoch); only the measurement differs.
#[test]
fn validating_with_dropout_on_is_worse_than_in_eval_mode() {
    let run = |mode| {
        train::<House>(|a| {
            a.model = Some(HouseModel::Mlp);
            a.k = Some(2);
            a.hidden = Some(64);
            a.dropout = Some(0.2);
            a.eval_mode = Some(mode);
            a.learner.epochs = Some(10);
            a.learner.lr = Some(1.0);
        })
    };
    let (eval, _eval_runs) = run(EvalMode::Eval);
    let (train_mode, _train_runs) = run(EvalMode::Train);
    // The training losses, epoch by epoch: the same training.
    let losses = |dir: &std::path::Path, prefix: &str| -> Vec<String> {
        std::fs::read_to_string(dir.join(format!("{prefix}metrics.csv")))
            .unwrap()
            .lines()
            .map(|line| line.split(',').take(2).collect::<Vec<_>>().join(","))
            .collect()
    };
    for prefix in ["fold-1-", "fold-2-", ""] {
        assert_eq!(
            losses(&eval.run_dir, prefix),
            losses(&train_mode.run_dir, prefix),
            "{prefix}"
        );
    }
    let (eval, train_mode) = (&eval.results.k_fold, &train_mode.results.k_fold);
    for (e, t) in eval.folds.iter().zip(&train_mode.folds) {
        assert!(t.valid > e.valid && t.train > e.train, "{t:?} vs {e:?}");
    }
}

/// The notes' other trial: log-RMSE itself as the training loss (raw prices, the gradient
/// stopped where the clamp holds a prediction at 1). It trains: every epoch's loss is finite
/// and the final model's falls well below its first epoch's (from about 10 to about 3 here),
/// though far from MSE's 0.17.
#[test]
fn the_log_rmse_loss_trains() {
    let (summary, _runs) = train::<House>(|a| {
        a.loss = Some(HouseLoss::LogRmse);
        a.k = Some(2);
        a.learner.epochs = Some(10);
    });
    let csv = std::fs::read_to_string(summary.run_dir.join("metrics.csv")).unwrap();
    let losses: Vec<f64> = csv
        .lines()
        .skip(1)
        .map(|line| line.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(losses.len(), 10);
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    assert!(losses[9] < 0.6 * losses[0], "{losses:?}");
    assert!(summary.results.k_fold.valid() > 0.5, "far worse than MSE's");
}

#[test]
fn house_reports_a_corrupt_csv_by_file() {
    let runs = tempfile::tempdir().unwrap();
    let data = runs.path().join("data");
    std::fs::create_dir_all(data.join("kaggle-house")).unwrap();
    std::fs::write(data.join("kaggle-house/train.csv"), "Id,SalePrice\n1,2\n").unwrap();
    let mut env = env(Backend::Flex, &runs);
    env.data_dir = data;
    let message = train_serial::<House>(&House::book_config(), &env)
        .unwrap_err()
        .to_string();
    assert!(message.contains("kaggle-house/train.csv"), "{message}");
}
