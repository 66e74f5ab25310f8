//! The house experiment's unit tests.

use super::train::k_fold_rows;
use super::*;
use d2l_data::kaggle_house::Frame;

#[test]
fn folds_are_contiguous_and_cover_k_times_n_over_k_rows() {
    // d2l's get_k_fold_data with n = 10, k = 3: fold size 3, row 9 in no fold.
    let (train, valid) = k_fold_rows(10, 3, 1);
    assert_eq!(valid, vec![3, 4, 5]);
    assert_eq!(train, vec![0, 1, 2, 6, 7, 8]);
    let (train, valid) = k_fold_rows(1460, 5, 4);
    assert_eq!((valid[0], valid.len()), (1168, 292));
    assert_eq!(
        (train[0], *train.last().unwrap(), train.len()),
        (0, 1167, 1168)
    );
}

#[test]
fn a_missing_sale_price_is_an_error_naming_file_line_and_column() {
    let columns = d2l_data::kaggle_house::COLUMNS;
    let mut row: Vec<String> = columns.iter().map(|_| "NA".to_string()).collect();
    row[0] = "1".to_string();
    let csv = format!("{}\n{}\n", columns.join(","), row.join(","));
    let path = std::path::Path::new("somewhere/train.csv");
    let train = Frame::parse(path, csv.as_bytes(), &columns).unwrap();
    let test = Frame::parse(
        path,
        format!("{}\n", columns[..80].join(",")).as_bytes(),
        &columns[..80],
    )
    .unwrap();
    let err = HouseData::prepare(&HouseConfig::new(), &KaggleHouse { train, test })
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("somewhere/train.csv") && err.contains('2') && err.contains("SalePrice"),
        "{err}"
    );
}

#[test]
fn options_set_the_recipe_and_refuse_what_the_model_does_not_take() {
    let args = |edit: fn(&mut HouseArgs)| {
        let mut args = HouseArgs::default();
        edit(&mut args);
        House::config(&args)
    };
    let book = args(|_| {}).unwrap();
    assert_eq!(book, HouseConfig::new());
    assert_eq!(
        (
            book.learner.lr,
            book.learner.batch_size,
            book.learner.epochs
        ),
        (5.0, 64, 100)
    );
    let better = args(|a| a.recipe = Some(HouseRecipe::Better)).unwrap();
    assert_eq!((better.learner.lr, better.l1), (0.003, 6e-4));
    let mlp = args(|a| {
        a.recipe = Some(HouseRecipe::Better);
        a.model = Some(HouseModel::Mlp);
        a.hidden = Some(64);
        a.weight_decay = Some(0.5);
    })
    .unwrap();
    assert_eq!((mlp.hidden, mlp.l1, mlp.weight_decay()), (64, 0.0, 0.5));
    let err = args(|a| a.dropout = Some(0.2)).unwrap_err().to_string();
    assert!(err.contains("--model mlp"), "{err}");
    let notes = args(|a| {
        a.loss = Some(HouseLoss::LogRmse);
        a.eval_mode = Some(EvalMode::Train);
    })
    .unwrap();
    assert_eq!(
        (notes.loss, notes.eval_mode),
        (HouseLoss::LogRmse, EvalMode::Train)
    );
    let err = args(|a| {
        a.recipe = Some(HouseRecipe::Better);
        a.loss = Some(HouseLoss::LogRmse);
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("--recipe book"), "{err}");
}

#[test]
fn the_spread_over_folds_is_the_sample_standard_deviation() {
    let report = KFoldReport {
        folds: [(0.1, 0.2), (0.3, 0.2), (0.2, 0.5)]
            .map(|(train, valid)| FoldScore { train, valid })
            .to_vec(),
        epoch_seconds: Vec::new(),
    };
    // train 0.1, 0.3, 0.2: mean 0.2, squares 0.01 + 0.01 + 0 over n - 1 = 2: sd 0.1.
    assert!((report.train() - 0.2).abs() < 1e-12);
    assert!((report.train_sd() - 0.1).abs() < 1e-12);
    // valid 0.2, 0.2, 0.5: mean 0.3, squares 0.01 + 0.01 + 0.04 = 0.06 / 2: sd √0.03.
    assert!((report.valid_sd() - 0.03f64.sqrt()).abs() < 1e-12);
    let one = KFoldReport {
        folds: vec![FoldScore {
            train: 1.0,
            valid: 2.0,
        }],
        epoch_seconds: Vec::new(),
    };
    assert_eq!(one.valid_sd(), 0.0);
}
