//! The request to stop training at the end of the current epoch (Ctrl-C, for a command line).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// The process-wide flag [`Learner::fit_into`](crate::Learner::fit_into) reads after each
/// epoch's checkpoint: once it is set, the fit stops with
/// [`TrainError::Interrupted`](crate::TrainError::Interrupted). A command line registers it
/// for SIGINT (for example with `signal_hook::flag::register`).
pub fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    Arc::clone(FLAG.get_or_init(|| Arc::new(AtomicBool::new(false))))
}

/// Whether a stop has been requested.
pub fn interrupt_requested() -> bool {
    interrupt_flag().load(Ordering::SeqCst)
}
