//! Command-line options shared by the experiments, and the checks of their values.

use clap::Args;
use d2l_learner::LearnerConfig;

/// The training loop's options, flattened into every experiment's own. Unset options keep the
/// experiment's defaults, which its help shows.
#[derive(Args, Debug, Clone, Default, PartialEq)]
pub struct LearnerArgs {
    /// Passes over the training data.
    #[arg(long, allow_negative_numbers = true, value_parser = positive_count)]
    pub epochs: Option<usize>,
    /// Learning rate.
    #[arg(long, allow_negative_numbers = true, value_parser = positive_number)]
    pub lr: Option<f64>,
    /// Examples per minibatch.
    #[arg(long, allow_negative_numbers = true, value_parser = positive_count)]
    pub batch_size: Option<usize>,
    /// Seed of initialisation, synthetic data, dropout and shuffles.
    #[arg(long, allow_negative_numbers = true)]
    pub seed: Option<u64>,
}

impl LearnerArgs {
    /// `config` with the options given here.
    pub fn apply(&self, mut config: LearnerConfig) -> LearnerConfig {
        if let Some(epochs) = self.epochs {
            config.epochs = epochs;
        }
        if let Some(lr) = self.lr {
            config.lr = lr;
        }
        if let Some(batch_size) = self.batch_size {
            config.batch_size = batch_size;
        }
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        config
    }

    /// The defaults the help shows for these options, read from `config`.
    pub fn shown_defaults(config: &LearnerConfig) -> Vec<(&'static str, String)> {
        vec![
            ("epochs", config.epochs.to_string()),
            ("lr", config.lr.to_string()),
            ("batch_size", config.batch_size.to_string()),
            ("seed", config.seed.to_string()),
        ]
    }
}

/// The command-line name of a value of a `ValueEnum` (`linear`).
pub fn value_name<V: clap::ValueEnum>(value: &V) -> String {
    value
        .to_possible_value()
        .expect("no value is skipped")
        .get_name()
        .to_string()
}

/// A whole number of at least 1.
pub fn positive_count(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("expected a whole number of at least 1".to_string()),
    }
}

/// A finite number above 0.
pub fn positive_number(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err("expected a finite number above 0".to_string()),
    }
}

/// A finite number of at least 0.
pub fn non_negative_number(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err("expected a finite number of at least 0".to_string()),
    }
}

/// A probability in `[0, 1)`.
pub fn probability(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(p) if (0.0..1.0).contains(&p) => Ok(p),
        _ => Err("expected a probability in [0, 1)".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_replace_only_what_they_name() {
        let config = LearnerArgs {
            lr: Some(0.5),
            ..LearnerArgs::default()
        }
        .apply(LearnerConfig::new());
        assert_eq!(
            (config.epochs, config.batch_size, config.seed, config.lr),
            (10, 256, 42, 0.5)
        );
    }

    #[test]
    fn values_out_of_range_are_refused() {
        assert_eq!(positive_count("3"), Ok(3));
        assert!(positive_count("0").is_err() && positive_count("-1").is_err());
        assert_eq!(positive_number("0.1"), Ok(0.1));
        for bad in ["0", "-1", "inf", "NaN", "x"] {
            assert!(positive_number(bad).is_err(), "{bad}");
        }
        assert_eq!(non_negative_number("0"), Ok(0.0));
        assert!(non_negative_number("-0.5").is_err());
        assert_eq!(probability("0.2"), Ok(0.2));
        assert!(probability("1").is_err() && probability("-0.1").is_err());
    }
}
