//! An in-memory dataset kept as tensors, and its batches.
//!
//! A split lives on the device as one tensor of features and one of targets; a batch is a
//! `select` (shuffled) or a `narrow` (in order) of them: no per-example work in the hot loop.
//! [`prefetch`] gathers the next batches on another thread while the current one trains.

use burn::tensor::{Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::Targets;

/// Features and targets of one split, as tensors on one device.
///
/// The features are one tensor, or several consecutive row blocks of the same height where a
/// device limits the size of one buffer (software Vulkan allows about 128 MiB): a batch is
/// gathered from whichever blocks hold its rows.
#[derive(Debug, Clone)]
pub struct TensorDataset<T> {
    chunks: Vec<Tensor<2>>,
    chunk_rows: usize,
    targets: T,
}

impl<T: Targets> TensorDataset<T> {
    /// Pairs features `[n, features]` with targets `[n, ..]`.
    ///
    /// # Panics
    /// When they do not hold the same number of examples.
    pub fn new(inputs: Tensor<2>, targets: T) -> Self {
        let rows = inputs.dims()[0];
        Self::from_chunks(vec![inputs], rows.max(1), targets)
    }

    /// Pairs features given as consecutive row blocks of `chunk_rows` rows each (the last may
    /// be shorter) with targets.
    ///
    /// # Panics
    /// When the blocks are not so, or do not hold as many examples as the targets.
    pub fn from_chunks(chunks: Vec<Tensor<2>>, chunk_rows: usize, targets: T) -> Self {
        assert!(
            !chunks.is_empty() && chunk_rows > 0,
            "features need one block at least"
        );
        let last = chunks.len() - 1;
        let mut rows = 0;
        for (i, chunk) in chunks.iter().enumerate() {
            let n = chunk.dims()[0];
            assert!(
                n == chunk_rows || (i == last && n <= chunk_rows),
                "block {i} has {n} rows, expected {chunk_rows}"
            );
            rows += n;
        }
        assert_eq!(
            rows,
            targets.len(),
            "features and targets must hold the same number of examples"
        );
        Self {
            chunks,
            chunk_rows,
            targets,
        }
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the dataset holds no example.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The targets.
    pub fn targets(&self) -> &T {
        &self.targets
    }

    /// The features' row blocks (one, unless the dataset was built from several).
    pub fn feature_chunks(&self) -> &[Tensor<2>] {
        &self.chunks
    }

    /// The batches of one pass, in order (the last one may be smaller).
    pub fn batches(&self, batch_size: usize) -> impl Iterator<Item = (Tensor<2>, T)> + '_ {
        assert!(batch_size > 0, "batch size must be positive");
        (0..self.len()).step_by(batch_size).map(move |start| {
            let length = batch_size.min(self.len() - start);
            (self.rows(start, length), self.targets.narrow(start, length))
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
        (0..self.len())
            .step_by(batch_size)
            .map(move |start| self.gather(&order[start..(start + batch_size).min(order.len())]))
    }

    /// Number of batches in one pass.
    pub fn num_batches(&self, batch_size: usize) -> usize {
        self.len().div_ceil(batch_size)
    }

    fn index_tensor(&self, indices: Vec<i64>) -> Tensor<1, Int> {
        let n = indices.len();
        Tensor::from_data(TensorData::new(indices, [n]), &self.chunks[0].device())
    }

    /// The examples at `indices` (grouped by block, so the order may change within the batch).
    fn gather(&self, indices: &[i64]) -> (Tensor<2>, T) {
        if let [only] = self.chunks.as_slice() {
            let indices = self.index_tensor(indices.to_vec());
            return (
                only.clone().select(0, indices.clone()),
                self.targets.select(indices),
            );
        }
        let rows = self.chunk_rows as i64;
        let mut order = Vec::with_capacity(indices.len());
        let mut parts = Vec::new();
        for (block, chunk) in self.chunks.iter().enumerate() {
            let start = order.len();
            order.extend(indices.iter().filter(|&&i| i / rows == block as i64));
            if order.len() > start {
                let local = order[start..].iter().map(|i| i % rows).collect();
                parts.push(chunk.clone().select(0, self.index_tensor(local)));
            }
        }
        (
            Tensor::cat(parts, 0),
            self.targets.select(self.index_tensor(order)),
        )
    }

    /// `length` consecutive rows from `start`.
    fn rows(&self, start: usize, length: usize) -> Tensor<2> {
        let mut parts = Vec::new();
        let (mut at, end) = (start, start + length);
        while at < end {
            let (block, offset) = (at / self.chunk_rows, at % self.chunk_rows);
            let take = (self.chunk_rows - offset).min(end - at);
            parts.push(self.chunks[block].clone().narrow(0, offset, take));
            at += take;
        }
        if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Tensor::cat(parts, 0)
        }
    }
}

/// Runs `consume` over `batches`, which another thread produces up to `depth` batches ahead.
///
/// Gathering a shuffled batch is a random read of the whole split (a third of a softmax
/// regression epoch on the CPU); ahead of time, on a second core, it costs the training loop
/// nothing. The batches arrive in the order `batches` yields them. When `consume` returns
/// early the producer stops at its next batch; a panic in the producer ends the batches early
/// and is raised again when `consume` has returned.
pub fn prefetch<I, R>(
    batches: I,
    depth: usize,
    consume: impl FnOnce(std::sync::mpsc::IntoIter<I::Item>) -> R,
) -> R
where
    I: Iterator + Send,
    I::Item: Send,
{
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel(depth);
        scope.spawn(move || {
            for batch in batches {
                if sender.send(batch).is_err() {
                    break;
                }
            }
        });
        consume(receiver.into_iter())
    })
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
    fn prefetched_batches_arrive_in_order_and_a_consumer_may_stop_early() {
        let data = dataset(10);
        let expected: Vec<_> = data
            .shuffled_batches(3, &mut seeded_rng(7))
            .map(rows)
            .collect();
        let got = prefetch(data.shuffled_batches(3, &mut seeded_rng(7)), 2, |batches| {
            batches.map(rows).collect::<Vec<_>>()
        });
        assert_eq!(got, expected);
        let first = prefetch(data.batches(1), 1, |mut batches| batches.next().map(rows));
        assert_eq!(first, Some((vec![0.0], vec![0])));
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

    /// The same ten examples as `dataset(10)`, as blocks of four rows.
    fn chunked(n: usize) -> TensorDataset<Tensor<1, Int>> {
        let device = Device::flex();
        let chunks = (0..n)
            .step_by(4)
            .map(|start| {
                let rows: Vec<f32> = (start..(start + 4).min(n)).map(|i| i as f32).collect();
                let len = rows.len();
                Tensor::from_data(TensorData::new(rows, [len, 1]), &device)
            })
            .collect();
        let targets: Vec<i64> = (0..n as i64).collect();
        TensorDataset::from_chunks(
            chunks,
            4,
            Tensor::from_data(TensorData::new(targets, [n]), &device),
        )
    }

    #[test]
    fn blocks_give_the_same_ordered_batches_as_one_tensor() {
        let whole: Vec<_> = dataset(10).batches(3).map(rows).collect();
        let blocks: Vec<_> = chunked(10).batches(3).map(rows).collect();
        assert_eq!(whole, blocks);
    }

    #[test]
    fn shuffled_batches_are_a_seeded_permutation_that_keeps_pairs_together() {
        for data in [dataset(10), chunked(10)] {
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
}
