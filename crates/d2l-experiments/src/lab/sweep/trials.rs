//! A sweep's trials: a grid of options on the command line, or a sweep file of named trials.

use serde::Deserialize;
use std::path::Path;

use crate::Error;

/// One trial of a sweep: a name and the experiment's options that make it.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// Its name, in the tables and the plot.
    pub name: String,
    /// Its options, `(option, value)` as on the command line without the leading `--`
    /// (`("lr", "5")`); an empty value is a flag.
    pub options: Vec<(String, String)>,
    /// The line of the sweep file that starts it, for error messages.
    pub line: Option<usize>,
}

impl Trial {
    /// Its options as command-line arguments (`["--lr", "5"]`).
    pub fn args(&self) -> Vec<String> {
        self.options
            .iter()
            .flat_map(|(option, value)| {
                let flag = format!("--{option}");
                match value.is_empty() {
                    true => vec![flag],
                    false => vec![flag, value.clone()],
                }
            })
            .collect()
    }

    /// The name of its run folder: its name with every run of characters other than ASCII
    /// letters, digits, `.` and `-` made one `_`.
    pub fn folder(&self) -> String {
        let mut folder = String::new();
        for c in self.name.chars() {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                folder.push(c);
            } else if !folder.ends_with('_') {
                folder.push('_');
            }
        }
        let folder = folder.trim_matches('_');
        match folder.is_empty() {
            true => "trial".to_string(),
            false => folder.to_string(),
        }
    }

    pub(super) fn value(&self, option: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(o, _)| o == option)
            .map(|(_, v)| v.as_str())
    }
}

/// The trials of a command-line grid: `--option v1,v2,...` per option (or `--option=v1,v2`,
/// or a lone `--flag`), every combination of their values, the first option varying slowest.
/// Each trial is named by the options that take more than one value (`lr=5 hidden=64`), or
/// `default` when none does.
pub fn grid(tokens: &[String]) -> Result<Vec<Trial>, Error> {
    let mut axes: Vec<(String, Vec<String>)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        let Some(option) = token.strip_prefix("--") else {
            return Err(Error::Option(format!(
                "sweep grid: expected an option (--name values), found {token:?}"
            )));
        };
        let (option, values) = match option.split_once('=') {
            Some((option, values)) => (option.to_string(), values.to_string()),
            None => match tokens.get(i + 1).filter(|next| !next.starts_with("--")) {
                Some(values) => {
                    i += 1;
                    (option.to_string(), values.clone())
                }
                None => (option.to_string(), String::new()),
            },
        };
        i += 1;
        if axes.iter().any(|(o, _)| *o == option) {
            return Err(Error::Option(format!(
                "sweep grid: --{option} is given twice; list its values once, comma-separated"
            )));
        }
        let values: Vec<String> = match values.is_empty() {
            true => vec![String::new()],
            false => values.split(',').map(|v| v.trim().to_string()).collect(),
        };
        if values.iter().skip(1).any(String::is_empty) || values.len() > 1 && values[0].is_empty() {
            return Err(Error::Option(format!(
                "sweep grid: --{option} has an empty value"
            )));
        }
        axes.push((option, values));
    }
    let mut trials = vec![Vec::<(String, String)>::new()];
    for (option, values) in &axes {
        trials = trials
            .into_iter()
            .flat_map(|options| {
                values.iter().map(move |value| {
                    let mut options = options.clone();
                    options.push((option.clone(), value.clone()));
                    options
                })
            })
            .collect();
    }
    let varied: Vec<&String> = axes
        .iter()
        .filter(|(_, values)| values.len() > 1)
        .map(|(option, _)| option)
        .collect();
    Ok(trials
        .into_iter()
        .map(|options| {
            let name: Vec<String> = options
                .iter()
                .filter(|(option, _)| varied.contains(&option))
                .map(|(option, value)| format!("{option}={value}"))
                .collect();
            Trial {
                name: match name.is_empty() {
                    true => "default".to_string(),
                    false => name.join(" "),
                },
                options,
                line: None,
            }
        })
        .collect())
}

/// A sweep file (TOML): optionally the experiment it is for, options given to every trial,
/// and the trials, each a name and the options that make it (numbers, strings, or `true` for
/// a flag).
///
/// ```toml
/// experiment = "house"
///
/// [options]          # every trial
/// k = 5
///
/// [[trial]]
/// name = "linear, lr 5"
/// lr = 5
///
/// [[trial]]
/// name = "mlp, 5 hidden units"
/// model = "mlp"
/// hidden = 5
/// dropout = 0
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SweepFile {
    /// The experiment it is written for, if it says.
    pub experiment: Option<String>,
    /// Its trials, in order, with the common options first in each.
    pub trials: Vec<Trial>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    experiment: Option<String>,
    #[serde(default)]
    options: toml::Table,
    #[serde(default)]
    trial: Vec<toml::Spanned<toml::Table>>,
}

impl SweepFile {
    /// Reads and checks the sweep file at `path`: a TOML error, a trial without a name, two
    /// trials with the same folder, or a value that is not a number, a string or `true` is an
    /// error naming the file and the line.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::parse(path, &text)
    }

    /// [`read`](Self::read) of `text`, the content of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, Error> {
        let line_of = |offset: usize| text[..offset.min(text.len())].lines().count().max(1);
        let error = |line: usize, message: String| Error::Config {
            path: path.to_path_buf(),
            message: format!("line {line}: {message}"),
        };
        let raw: RawSweep = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |span| line_of(span.start + 1));
            error(line, e.message().to_string())
        })?;
        let common = options_of(&raw.options).map_err(|m| error(1, format!("[options]: {m}")))?;
        if raw.trial.is_empty() {
            return Err(error(1, "no [[trial]]".to_string()));
        }
        let mut trials: Vec<Trial> = Vec::new();
        for spanned in &raw.trial {
            let line = line_of(spanned.span().start + 1);
            let mut table = spanned.get_ref().clone();
            let name = match table.remove("name") {
                Some(toml::Value::String(name)) if !name.trim().is_empty() => name,
                _ => return Err(error(line, "a trial needs a name = \"...\"".to_string())),
            };
            let own =
                options_of(&table).map_err(|m| error(line, format!("trial {name:?}: {m}")))?;
            let mut options: Vec<(String, String)> = common
                .iter()
                .filter(|(option, _)| !own.iter().any(|(o, _)| o == option))
                .cloned()
                .collect();
            options.extend(own);
            let trial = Trial {
                name,
                options,
                line: Some(line),
            };
            if let Some(other) = trials.iter().find(|t| t.folder() == trial.folder()) {
                return Err(error(
                    line,
                    format!(
                        "trial {:?} would share the folder {} with trial {:?}",
                        trial.name,
                        trial.folder(),
                        other.name
                    ),
                ));
            }
            trials.push(trial);
        }
        Ok(Self {
            experiment: raw.experiment,
            trials,
        })
    }
}

/// A TOML table of options as `(option, value)` pairs, `_` in keys spelt `-` as on the
/// command line.
fn options_of(table: &toml::Table) -> Result<Vec<(String, String)>, String> {
    let mut options = Vec::new();
    for (key, value) in table {
        let value = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(true) => String::new(),
            toml::Value::Boolean(false) => continue,
            other => {
                return Err(format!(
                    "{key} = {other}: an option takes a number, a string or true"
                ));
            }
        };
        options.push((key.replace('_', "-"), value));
    }
    Ok(options)
}
