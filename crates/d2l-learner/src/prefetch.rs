//! Batches gathered on a second thread while the current one trains.

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

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, Int, Tensor, TensorData};
    use d2l_data::dataset::{TensorDataset, seeded_rng};

    fn rows(batch: (Tensor<2>, Tensor<1, Int>)) -> (Vec<f32>, Vec<i64>) {
        (
            batch.0.try_to_vec_as::<f32>().unwrap(),
            batch.1.try_to_vec_as::<i64>().unwrap(),
        )
    }

    #[test]
    fn prefetched_batches_arrive_in_order_and_a_consumer_may_stop_early() {
        let device = Device::flex();
        let data = TensorDataset::new(
            Tensor::from_data(
                TensorData::new((0..10).map(|i| i as f32).collect(), [10, 1]),
                &device,
            ),
            Tensor::<1, Int>::from_data(TensorData::new((0..10i64).collect(), [10]), &device),
        );
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
}
