//! The unit tests of `bench`.

use super::*;

#[test]
fn medians_of_odd_and_even_counts() {
    assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
    assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
}

#[test]
fn the_steady_k_fold_counts_the_first_epoch_as_the_median_of_the_others() {
    // A first epoch that compiles (9 s), then epochs of 1, 3 and 2 s: 1 + 3 + 2 and 2 again.
    assert_eq!(first_and_steady(&[9.0, 1.0, 3.0, 2.0]), (9.0, 8.0));
    assert_eq!(first_and_steady(&[4.0]), (4.0, 4.0));
}

#[test]
fn ratios_divide_burn_by_pytorch() {
    let figures = |load, epoch| Figures {
        load_seconds: load,
        softmax_epoch_seconds: epoch,
        softmax_test_acc: 0.8,
        mlp_epoch_seconds: 2.0 * epoch,
        mlp_test_acc: 0.85,
        dropout_epoch_seconds: 3.0 * epoch,
        dropout_test_acc: 0.86,
        dropout_scratch_epoch_seconds: 3.0 * epoch,
        dropout_scratch_test_acc: 0.86,
        house_kfold_seconds: 10.0 * epoch,
        house_train_log_rmse: 0.16,
        house_valid_log_rmse: 0.17,
    };
    let per = |x| PerClassifier {
        softmax: x,
        mlp: 2.0 * x,
        dropout: 3.0 * x,
        dropout_scratch: 4.0 * x,
    };
    let burn = BurnFigures {
        backend: "flex".to_string(),
        adapter: None,
        load_uncached_seconds: 0.2,
        figures: figures(0.1, 0.05),
        first_epoch_seconds: per(1.0),
        house_first_epoch_seconds: 0.3,
        house_kfold_steady_seconds: 0.25,
        gflops: per(10.0),
    };
    let report = BenchReport::new(burn.clone(), None, Some(figures(1.0, 1.0)));
    let ratios = report.ratios.unwrap();
    assert!((ratios.load - 0.1).abs() < 1e-12 && (ratios.load_uncached - 0.2).abs() < 1e-12);
    assert!((ratios.softmax_epoch - 0.05).abs() < 1e-12);
    for ratio in [
        ratios.mlp_epoch,
        ratios.dropout_epoch,
        ratios.dropout_scratch_epoch,
        ratios.house_kfold,
    ] {
        assert!((ratio - 0.05).abs() < 1e-12, "{ratio}");
    }
    assert!((ratios.house_kfold_steady - 0.025).abs() < 1e-12);
    // On flex, flex is its own baseline; on another backend, its figures sit beside flex's.
    let mlp = &report.throughput[1];
    assert_eq!(
        (mlp.model.as_str(), mlp.gflops, mlp.flex_gflops),
        ("mlp", 20.0, 20.0)
    );
    let gpu = BurnFigures {
        backend: "wgpu".to_string(),
        gflops: per(100.0),
        first_epoch_seconds: per(9.0),
        ..burn.clone()
    };
    let report = BenchReport::new(gpu, Some(burn.clone()), None);
    assert!(report.ratios.is_none());
    let dropout = &report.throughput[2];
    assert_eq!(dropout.model, "dropout");
    assert_eq!((dropout.gflops, dropout.flex_gflops), (300.0, 30.0));
    assert_eq!(dropout.first_epoch_seconds, 27.0);
}

/// 784-256-10 (d2l 4.3): forward 2·(784·256 + 256·10) = 406 528 FLOPs per example; backward
/// as much again for the weights plus 2·256·10 for the hidden layer's inputs.
#[test]
fn an_epochs_matrix_products_count_forward_backward_and_evaluation() {
    let forward = 2.0 * (784.0 * 256.0 + 256.0 * 10.0);
    let backward = forward + 2.0 * 256.0 * 10.0;
    assert_eq!(epoch_flops(&[784, 256, 10], 1, 0), forward + backward);
    assert_eq!(epoch_flops(&[784, 256, 10], 0, 1), forward);
    // Softmax regression: no input gradient at all.
    assert_eq!(
        epoch_flops(&[784, 10], 3, 2),
        3.0 * 4.0 * 7840.0 + 2.0 * 2.0 * 7840.0
    );
}
