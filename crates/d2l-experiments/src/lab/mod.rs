//! The tools that work over run folders and recipes rather than reproduce a section: listing
//! and comparing runs, sweeps, the benchmark, kernel counts.

pub mod bench;
pub mod kernels;
pub mod runs;
pub mod sweep;
