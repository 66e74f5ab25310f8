//! `d2l-train`: trains one experiment of d2l.ai chapters 3–4 into a run folder and prints a
//! one-line JSON summary. `cargo xtask train` builds it with the requested backend and runs it.

use clap::Parser;
use d2l::Backend;
use d2l::experiments::{Experiment, HouseModel, HouseRecipe, Overrides, RunOptions, run};
use d2l::models::Init;
use std::path::PathBuf;
use std::process::ExitCode;

/// Train an experiment of Dive into Deep Learning (chapters 3–4) with Burn.
#[derive(Debug, Parser)]
#[command(name = "d2l-train", version, after_help = experiments_help())]
struct Cli {
    /// The experiment to train (see the list below).
    #[arg(default_value = Experiment::DEFAULT.name())]
    experiment: String,
    /// Passes over the training data [book: 10; weight-decay, house: 100; house --recipe better: 400].
    #[arg(long)]
    epochs: Option<usize>,
    /// Learning rate [book: 0.1; dropout: 0.5; weight-decay: 0.003; house: 5, better: 0.003].
    #[arg(long)]
    lr: Option<f64>,
    /// Minibatch size [book: 256; weight-decay: 5; house: 64, better: 256].
    #[arg(long)]
    batch_size: Option<usize>,
    /// Seed of initialisation, synthetic data and shuffling [default: 42].
    #[arg(long)]
    seed: Option<u64>,
    /// Weight initialisation of the Fashion-MNIST models: normal (σ 0.01), xavier,
    /// xavier-normal or torch [book: normal; dropout: torch].
    #[arg(long, value_parser = parse_init)]
    init: Option<Init>,
    /// weight-decay: train only this λ [book: 0 and 3]; house: Adam's weight decay [default: 0].
    #[arg(long)]
    weight_decay: Option<f64>,
    /// house: folds of the cross-validation [default: 5].
    #[arg(long)]
    k: Option<usize>,
    /// house: linear or mlp [default: linear].
    #[arg(long)]
    model: Option<HouseModel>,
    /// house --model mlp: hidden units [default: 256].
    #[arg(long)]
    hidden: Option<usize>,
    /// house --model mlp: dropout probability after the hidden layer [default: 0.1].
    #[arg(long)]
    dropout: Option<f64>,
    /// house: book (d2l 4.10) or better (log prices, log-transformed skewed features, lasso)
    /// [default: book].
    #[arg(long)]
    recipe: Option<HouseRecipe>,
    /// Backend: flex, ndarray or wgpu, among those compiled in [default: $D2L_BACKEND, else
    /// the first compiled].
    #[arg(long)]
    backend: Option<Backend>,
    /// Data directory [default: $D2L_DATA_DIR, else the repository's datasets/].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Where run folders are created.
    #[arg(long, default_value = "runs")]
    runs_dir: PathBuf,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

fn parse_init(name: &str) -> Result<Init, String> {
    Init::parse(name).ok_or_else(|| {
        format!("unknown initialisation '{name}'; expected normal, xavier, xavier-normal or torch")
    })
}

fn experiments_help() -> String {
    let mut help = String::from("Experiments:\n");
    for e in Experiment::ALL {
        let default = if e == Experiment::DEFAULT {
            " (default)"
        } else {
            ""
        };
        help.push_str(&format!("  {:<20} {}{default}\n", e.name(), e.section()));
    }
    let compiled: Vec<&str> = Backend::compiled().iter().map(|b| b.name()).collect();
    help.push_str(&format!(
        "\nBackends compiled into this binary: {}",
        compiled.join(", ")
    ));
    help
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let experiment = match cli.experiment.parse::<Experiment>() {
        Ok(experiment) => experiment,
        Err(err) => {
            eprintln!("error: {err}\n\n{}", experiments_help());
            return ExitCode::from(2);
        }
    };
    let options = RunOptions {
        experiment,
        overrides: Overrides {
            epochs: cli.epochs,
            lr: cli.lr,
            batch_size: cli.batch_size,
            seed: cli.seed,
            init: cli.init,
            weight_decay: cli.weight_decay,
            k: cli.k,
            model: cli.model,
            hidden: cli.hidden,
            dropout: cli.dropout,
            recipe: cli.recipe,
        },
        backend: cli.backend,
        data_dir: cli.data_dir,
        runs_dir: cli.runs_dir,
        progress: !cli.quiet,
    };
    match run(&options) {
        Ok(summary) => {
            println!(
                "{}",
                serde_json::to_string(&summary).expect("a summary serialises")
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
