//! The unit tests of `dataset`.

use super::*;
use crate::Table;

fn dataset(n: usize) -> TensorDataset<Tensor<1, Int>> {
    let device = Device::flex();
    let inputs: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let targets: Vec<i64> = (0..n as i64).collect();
    TensorDataset::new(
        Tensor::from_data(TensorData::new(inputs, [n, 1]), &device),
        Tensor::from_data(TensorData::new(targets, [n]), &device),
    )
}

fn rows(batch: (Tensor<2>, Tensor<1, Int>)) -> (Vec<f32>, Vec<i64>) {
    (
        batch.0.try_to_vec_as::<f32>().unwrap(),
        batch.1.try_to_vec_as::<i64>().unwrap(),
    )
}

#[test]
fn ordered_batches_cover_the_split_with_a_short_last_batch() {
    let data = dataset(10);
    let batches: Vec<_> = data.batches(4).map(rows).collect();
    assert_eq!(data.num_batches(4), 3);
    assert_eq!(batches.len(), 3);
    assert_eq!(batches[2].1, vec![8, 9]);
    assert_eq!(batches[0].0, vec![0.0, 1.0, 2.0, 3.0]);
}

#[test]
fn gathered_examples_come_in_the_order_asked_from_every_placement() {
    let indices = [7, 2, 2, 9, 0];
    let expected = (vec![7.0, 2.0, 2.0, 9.0, 0.0], vec![7, 2, 2, 9, 0]);
    for data in [
        dataset(10),
        bytes_in(Placement::Host, 10),
        bytes_in(Placement::Device, 10),
    ] {
        let (inputs, targets) = data.gather(&indices);
        assert_eq!(inputs.dims(), [5, 1]);
        assert_eq!(rows((inputs, targets)), expected);
    }
}

#[test]
#[should_panic(expected = "example 10 of a dataset of 10")]
fn gathering_past_the_end_names_the_index() {
    dataset(10).gather(&[3, 10]);
}

/// The same examples as `dataset(n)`, as bytes kept on the host (`n` ≤ 256).
fn bytes(n: usize) -> TensorDataset<Tensor<1, Int>> {
    bytes_in(Placement::Host, n)
}

fn bytes_in(placement: Placement, n: usize) -> TensorDataset<Tensor<1, Int>> {
    let device = Device::flex();
    let values: Vec<u8> = (0..n).map(|i| i as u8).collect();
    let targets: Vec<i64> = (0..n as i64).collect();
    let targets = Tensor::from_data(TensorData::new(targets, [n]), &device);
    TensorDataset::from_bytes_in(placement, Arc::new(values), 1, 1.0, targets, &device)
}

/// Resident bytes are packed two to a float, rows padded: rows of 1, 4 and 5 bytes, every
/// byte value among them, come back as on the host, bit for bit.
#[test]
fn resident_bytes_unpack_to_the_host_paths_batches() {
    let device = Device::flex();
    for width in [1usize, 4, 5] {
        let n = 256 / width + 1;
        let values: Vec<u8> = (0..n * width).map(|i| (i * 37 % 256) as u8).collect();
        let made = |placement| {
            let targets = Tensor::<1, Int>::from_data(
                TensorData::new((0..n as i64).collect::<Vec<_>>(), [n]),
                &device,
            );
            let values = Arc::new(values.clone());
            TensorDataset::from_bytes_in(placement, values, width, 255.0, targets, &device)
        };
        let (host, resident) = (made(Placement::Host), made(Placement::Device));
        assert!(resident.is_resident() && !host.is_resident());
        let ordered = |d: &TensorDataset<_>| d.batches(3).map(rows).collect::<Vec<_>>();
        assert_eq!(ordered(&host), ordered(&resident), "width {width}");
        let shuffled = |d: &TensorDataset<_>| {
            d.shuffled_batches(3, &mut seeded_rng(1))
                .map(rows)
                .collect::<Vec<_>>()
        };
        assert_eq!(shuffled(&host), shuffled(&resident), "width {width}");
    }
}

#[test]
fn table_rows_become_datasets_in_the_order_asked() {
    let device = Device::flex();
    let table = Table::new(
        vec![0.0, 1.0, 10.0, 11.0, 20.0, 21.0],
        2,
        vec![0.5, 1.5, 2.5],
    );
    let data = table.dataset(&[2, 0], &device);
    let (x, y) = data.batches(2).next().unwrap();
    assert_eq!(
        x.try_to_vec_as::<f32>().unwrap(),
        vec![20.0, 21.0, 0.0, 1.0]
    );
    assert_eq!(y.dims(), [2, 1]);
    assert_eq!(y.try_to_vec_as::<f32>().unwrap(), vec![2.5, 0.5]);
    assert_eq!(table.all(&device).len(), 3);
}

#[test]
#[should_panic(expected = "same number of examples")]
fn bytes_must_be_width_per_target() {
    let device = Device::flex();
    let targets = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1], [2]), &device);
    TensorDataset::from_bytes(Arc::new(vec![0; 5]), 2, 1.0, targets, &device);
}

#[test]
fn bytes_give_the_same_batches_as_a_tensor_scaled_by_the_divisor() {
    let whole: Vec<_> = dataset(10).batches(3).map(rows).collect();
    let from_bytes: Vec<_> = bytes(10).batches(3).map(rows).collect();
    assert_eq!(whole, from_bytes);
    let device = Device::flex();
    let targets = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1], [2]), &device);
    let pixels =
        TensorDataset::from_bytes(Arc::new(vec![0, 51, 255, 102]), 2, 255.0, targets, &device);
    let (x, _) = pixels.batches(2).next().unwrap();
    assert_eq!(x.dims(), [2, 2]);
    let x = x.try_to_vec_as::<f32>().unwrap();
    for (got, want) in x.iter().zip([0.0, 0.2, 1.0, 0.4]) {
        assert!((got - want).abs() < 1e-6, "{x:?}");
    }
}

#[test]
fn shuffled_batches_are_a_seeded_permutation_that_keeps_pairs_together() {
    for data in [dataset(10), bytes(10), bytes_in(Placement::Device, 10)] {
        check_shuffles(&data);
    }
}

fn check_shuffles(data: &TensorDataset<Tensor<1, Int>>) {
    let epoch = |seed| -> Vec<(Vec<f32>, Vec<i64>)> {
        data.shuffled_batches(4, &mut seeded_rng(seed))
            .map(rows)
            .collect()
    };
    let first = epoch(7);
    assert_eq!(first, epoch(7), "same seed, same order");
    assert_ne!(first, epoch(8), "another seed, another order");
    let mut seen: Vec<i64> = Vec::new();
    for (x, y) in &first {
        for (xi, yi) in x.iter().zip(y) {
            assert_eq!(*xi as i64, *yi, "features and targets stay paired");
        }
        seen.extend(y);
    }
    seen.sort();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
}
