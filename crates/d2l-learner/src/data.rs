//! An in-memory dataset kept as tensors, and its batches.
//!
//! A split lives on the device as one tensor of features and one of targets; a batch is a
//! `select` (shuffled) or a `narrow` (in order) of them: no per-example work in the hot loop.

use burn::tensor::{Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::Targets;

/// Features and targets of one split, as tensors on one device.
#[derive(Debug, Clone)]
pub struct TensorDataset<T> {
    /// Features, `[n, features]`.
    pub inputs: Tensor<2>,
    /// Targets, `[n, ..]`.
    pub targets: T,
}

impl<T: Targets> TensorDataset<T> {
    /// Pairs features with targets.
    ///
    /// # Panics
    /// When they do not hold the same number of examples.
    pub fn new(inputs: Tensor<2>, targets: T) -> Self {
        assert_eq!(
            inputs.dims()[0],
            targets.len(),
            "features and targets must hold the same number of examples"
        );
        Self { inputs, targets }
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the dataset holds no example.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The batches of one pass, in order (the last one may be smaller).
    pub fn batches(&self, batch_size: usize) -> impl Iterator<Item = (Tensor<2>, T)> + '_ {
        assert!(batch_size > 0, "batch size must be positive");
        (0..self.len()).step_by(batch_size).map(move |start| {
            let length = batch_size.min(self.len() - start);
            (
                self.inputs.clone().narrow(0, start, length),
                self.targets.narrow(start, length),
            )
        })
    }

    /// The batches of one pass in a random order drawn from `rng` (d2l's `shuffle=True`).
    pub fn shuffled_batches<'a>(
        &'a self,
        batch_size: usize,
        rng: &mut StdRng,
    ) -> impl Iterator<Item = (Tensor<2>, T)> + 'a {
        assert!(batch_size > 0, "batch size must be positive");
        let mut order: Vec<i64> = (0..self.len() as i64).collect();
        order.shuffle(rng);
        let device = self.inputs.device();
        (0..self.len()).step_by(batch_size).map(move |start| {
            let end = (start + batch_size).min(order.len());
            let indices = Tensor::<1, Int>::from_data(
                TensorData::new(order[start..end].to_vec(), [end - start]),
                &device,
            );
            (
                self.inputs.clone().select(0, indices.clone()),
                self.targets.select(indices),
            )
        })
    }

    /// Number of batches in one pass.
    pub fn num_batches(&self, batch_size: usize) -> usize {
        self.len().div_ceil(batch_size)
    }
}

/// The random generator for a seed: the same seed gives the same shuffles on every run.
pub fn seeded_rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

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
    fn shuffled_batches_are_a_seeded_permutation_that_keeps_pairs_together() {
        let data = dataset(10);
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
}
