//! Checkpoints: after the epochs of [`Learner::fit_into`](crate::Learner::fit_into) (the first,
//! the last, one at least every [`SAVE_EVERY`](crate::learner::SAVE_EVERY) in between, the one
//! an interrupt stops), the run folder holds what the loop needs to continue exactly from
//! there, as if it had not stopped.
//!
//! `checkpoints/<prefix>epoch-<n>/` holds the model (`model.bpk`), the optimizer's state
//! (`optimizer.bpk`, for a Burn optimizer) and `state.json` (the loop's settings and the
//! history of the `n` epochs); `checkpoints/<prefix>latest.json` names the last complete one.
//! A checkpoint is written into a temporary folder, renamed into place, and only then named by
//! `latest.json` (itself written to a temporary file and renamed), so a process killed at any
//! instant leaves the previous checkpoint or the new one, whole. The shuffles are not saved:
//! they are drawn again from the seed, and the device's generator is seeded per epoch.

use d2l_models::Model;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::record::{EpochRecord, LearnerConfig, TrainError};
use crate::run::{RunDir, files, write_atomically};
use crate::updater::Updater;

/// A checkpoint's model, in its folder.
const MODEL: &str = "model.bpk";
/// A checkpoint's optimizer state (a Burn optimizer's record), in its folder.
const OPTIMIZER: &str = "optimizer.bpk";
/// A checkpoint's loop state ([`CheckpointState`]), in its folder.
const STATE: &str = "state.json";

/// `state.json` of a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointState {
    /// Epochs done.
    pub epoch: usize,
    /// The loop's settings when it was written (`epochs` may grow on resume; nothing else may
    /// change).
    pub learner: LearnerConfig,
    /// One record per epoch done, its numbers written as text, so that they read back bit
    /// for bit.
    #[serde(with = "exact")]
    pub history: Vec<EpochRecord>,
}

/// The history with every number as the shortest text that reads back to the same `f64`:
/// serde_json reads JSON numbers back to within one unit in the last place (exactly only with
/// its `float_roundtrip` feature, which would rebuild Burn), and a resumed run must report the
/// very numbers of the run it continues (a K-fold average over restored folds, for one).
mod exact {
    use super::EpochRecord;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Record {
        epoch: usize,
        train_loss: String,
        train_metric: String,
        test_metric: Option<String>,
        seconds: String,
    }

    pub fn serialize<S: Serializer>(history: &[EpochRecord], s: S) -> Result<S::Ok, S::Error> {
        let text = |x: f64| format!("{x:?}");
        history
            .iter()
            .map(|r| Record {
                epoch: r.epoch,
                train_loss: text(r.train_loss),
                train_metric: text(r.train_metric),
                test_metric: r.test_metric.map(text),
                seconds: text(r.seconds),
            })
            .collect::<Vec<_>>()
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<EpochRecord>, D::Error> {
        let number = |text: &str| text.parse::<f64>().map_err(serde::de::Error::custom);
        Vec::<Record>::deserialize(d)?
            .into_iter()
            .map(|r| {
                Ok(EpochRecord {
                    epoch: r.epoch,
                    train_loss: number(&r.train_loss)?,
                    train_metric: number(&r.train_metric)?,
                    test_metric: r.test_metric.as_deref().map(number).transpose()?,
                    seconds: number(&r.seconds)?,
                })
            })
            .collect()
    }
}

/// `latest.json`: the last complete checkpoint of a training run.
#[derive(Debug, Serialize, Deserialize)]
struct Latest {
    epoch: usize,
}

/// The files of a training run's checkpoints ([`Checkpoints::path`]).
enum File {
    /// The folder of every checkpoint of the run folder.
    Root,
    /// The pointer to the last complete checkpoint.
    Latest,
    /// The checkpoint of an epoch.
    Epoch(usize),
    /// The checkpoint of an epoch while it is written.
    Writing(usize),
}

/// What the Learner needs of a training run's checkpoints: one saved after an epoch (as
/// often as [`SAVE_EVERY`](crate::learner::SAVE_EVERY) allows), the last one restored when the
/// run resumes. [`Checkpoints`] keeps them in a run folder.
pub trait Checkpointer {
    /// Saves the checkpoint of epoch `history.len()`: the model, the updater's state, the
    /// loop's settings and the history.
    fn save<M: Model>(
        &self,
        model: &M,
        updater: &Updater,
        config: &LearnerConfig,
        history: &[EpochRecord],
    ) -> Result<(), TrainError>;

    /// Restores `model` and `updater` from the last checkpoint, with the history so far, after
    /// checking that it was written by a loop with `config`'s settings; `None` when there is
    /// none.
    fn restore<M: Model>(
        &self,
        model: M,
        updater: Updater,
        config: &LearnerConfig,
    ) -> Result<Option<Restored<M>>, TrainError>;
}

/// A restored training run: the model, the updater and the history of the epochs done.
pub type Restored<M> = (M, Updater, Vec<EpochRecord>);

/// The checkpoints of one training run (one prefix) of a run folder.
#[derive(Debug)]
pub struct Checkpoints<'a> {
    run_dir: &'a RunDir,
    prefix: &'a str,
}

impl<'a> Checkpoints<'a> {
    /// The checkpoints of the training run `prefix` (`""`, `fold-2-`) of `run_dir`.
    pub fn new(run_dir: &'a RunDir, prefix: &'a str) -> Self {
        Self { run_dir, prefix }
    }

    /// Where each of this training run's checkpoint files goes: the one function that names
    /// them.
    fn path(&self, file: File) -> PathBuf {
        let root = self.run_dir.path().join(files::CHECKPOINTS);
        let prefix = self.prefix;
        match file {
            File::Root => root,
            File::Latest => root.join(format!("{prefix}{}", files::LATEST)),
            File::Epoch(epoch) => root.join(format!("{prefix}epoch-{epoch}")),
            File::Writing(epoch) => root.join(format!(".{prefix}epoch-{epoch}.tmp")),
        }
    }

    /// The state of the last complete checkpoint, `None` when there is none.
    pub fn latest(&self) -> Result<Option<CheckpointState>, TrainError> {
        let latest_path = self.path(File::Latest);
        let latest: Latest = match std::fs::read_to_string(&latest_path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| damaged(&latest_path, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(TrainError::io(&latest_path)(e)),
        };
        let path = self.path(File::Epoch(latest.epoch)).join(STATE);
        let text = std::fs::read_to_string(&path).map_err(|e| damaged(&path, e))?;
        let state: CheckpointState = serde_json::from_str(&text).map_err(|e| damaged(&path, e))?;
        if state.epoch != latest.epoch || state.history.len() != state.epoch {
            return Err(damaged(
                &path,
                format!(
                    "it holds {} epochs of history for epoch {}, named as epoch {}",
                    state.history.len(),
                    state.epoch,
                    latest.epoch
                ),
            ));
        }
        Ok(Some(state))
    }
}

impl Checkpointer for Checkpoints<'_> {
    fn restore<M: Model>(
        &self,
        model: M,
        updater: Updater,
        config: &LearnerConfig,
    ) -> Result<Option<Restored<M>>, TrainError> {
        let Some(state) = self.latest()? else {
            return Ok(None);
        };
        let dir = self.path(File::Epoch(state.epoch));
        let saved = &state.learner;
        let state_path = dir.join(STATE);
        if (saved.batch_size, saved.lr, saved.seed) != (config.batch_size, config.lr, config.seed) {
            return Err(TrainError::Checkpoint {
                path: state_path,
                message: format!(
                    "it was trained with batch size {}, lr {}, seed {}; the config says batch \
                     size {}, lr {}, seed {}",
                    saved.batch_size,
                    saved.lr,
                    saved.seed,
                    config.batch_size,
                    config.lr,
                    config.seed
                ),
            });
        }
        if state.epoch > config.epochs {
            return Err(TrainError::Checkpoint {
                path: state_path,
                message: format!(
                    "{} epochs are done; ask for at least as many (the config says {})",
                    state.epoch, config.epochs
                ),
            });
        }
        let model_path = dir.join(MODEL);
        let model = model
            .try_load_file(&model_path)
            .map_err(|e| damaged(&model_path, e))?;
        let updater = match updater {
            Updater::Sgd => Updater::Sgd,
            Updater::Optimizer(optimizer) => {
                let path = dir.join(OPTIMIZER);
                Updater::Optimizer(optimizer.load(&path).map_err(|e| damaged(&path, e))?)
            }
        };
        Ok(Some((model, updater, state.history)))
    }

    /// Writes the checkpoint of epoch `history.len()`, then names it the latest and removes
    /// the older ones.
    fn save<M: Model>(
        &self,
        model: &M,
        updater: &Updater,
        config: &LearnerConfig,
        history: &[EpochRecord],
    ) -> Result<(), TrainError> {
        let epoch = history.len();
        let root = self.path(File::Root);
        std::fs::create_dir_all(&root).map_err(TrainError::io(&root))?;
        let final_dir = self.path(File::Epoch(epoch));
        let temporary = self.path(File::Writing(epoch));
        for stale in [&temporary, &final_dir] {
            if stale.exists() {
                std::fs::remove_dir_all(stale).map_err(TrainError::io(stale))?;
            }
        }
        std::fs::create_dir(&temporary).map_err(TrainError::io(&temporary))?;
        let model_path = temporary.join(MODEL);
        model
            .clone()
            .save_file(&model_path)
            .map_err(|e| TrainError::io(&model_path)(std::io::Error::other(e.to_string())))?;
        if let Updater::Optimizer(optimizer) = updater {
            let path = temporary.join(OPTIMIZER);
            optimizer
                .save(&path)
                .map_err(|e| TrainError::io(&path)(std::io::Error::other(e.to_string())))?;
        }
        let state = CheckpointState {
            epoch,
            learner: config.clone(),
            history: history.to_vec(),
        };
        let json = serde_json::to_string_pretty(&state).expect("a checkpoint state serialises");
        let state_path = temporary.join(STATE);
        std::fs::write(&state_path, json).map_err(TrainError::io(&state_path))?;
        std::fs::rename(&temporary, &final_dir).map_err(TrainError::io(&final_dir))?;
        let latest = serde_json::to_string(&Latest { epoch }).expect("serialises");
        write_atomically(&self.path(File::Latest), latest.as_bytes())?;
        self.remove_older_than(epoch)
    }
}

impl Checkpoints<'_> {
    fn remove_older_than(&self, epoch: usize) -> Result<(), TrainError> {
        let root = self.path(File::Root);
        let entries = std::fs::read_dir(&root).map_err(TrainError::io(&root))?;
        let own = format!("{}epoch-", self.prefix);
        for entry in entries {
            let entry = entry.map_err(TrainError::io(&root))?;
            let name = entry.file_name().to_string_lossy().to_string();
            let older = name
                .strip_prefix(&own)
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n < epoch);
            if older {
                let path = entry.path();
                std::fs::remove_dir_all(&path).map_err(TrainError::io(&path))?;
            }
        }
        Ok(())
    }
}

fn damaged(path: &Path, error: impl std::fmt::Display) -> TrainError {
    TrainError::Checkpoint {
        path: path.to_path_buf(),
        message: format!("damaged: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers that serde_json alone reads back one unit in the last place off come back
    /// exactly: the check runs over many random metrics of the sizes a run records.
    #[test]
    fn a_states_history_reads_back_bit_for_bit() {
        // splitmix64, 53 random bits per number in [0, 1).
        let mut state = 7u64;
        let mut uniform = move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) as f64 / u64::MAX as f64
        };
        let history: Vec<EpochRecord> = (1..=5000)
            .map(|epoch| EpochRecord {
                epoch,
                train_loss: uniform() * 10.0,
                train_metric: uniform(),
                test_metric: (epoch % 2 == 0).then(|| uniform() / 3.0),
                seconds: uniform(),
            })
            .collect();
        let state = CheckpointState {
            epoch: history.len(),
            learner: LearnerConfig::new(),
            history,
        };
        let text = serde_json::to_string(&state).unwrap();
        let back: CheckpointState = serde_json::from_str(&text).unwrap();
        assert!(back == state, "a number changed on the way");
    }
}
