//! The sweep's unit tests.

use super::report::csv_cell;
use super::*;

fn tokens(line: &str) -> Vec<String> {
    line.split_whitespace().map(String::from).collect()
}

#[test]
fn a_grid_is_every_combination_named_by_what_varies() {
    let trials = grid(&tokens("--lr 5,1 --model mlp --hidden=5,64 --dropout -0.5")).unwrap();
    let names: Vec<&str> = trials.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "lr=5 hidden=5",
            "lr=5 hidden=64",
            "lr=1 hidden=5",
            "lr=1 hidden=64"
        ]
    );
    assert_eq!(
        trials[1].args(),
        tokens("--lr 5 --model mlp --hidden 64 --dropout -0.5")
    );
    assert_eq!(trials[2].folder(), "lr_1_hidden_5");
    let flag = grid(&tokens("--quiet --lr 0.1")).unwrap();
    assert_eq!(flag.len(), 1);
    assert_eq!(flag[0].name, "default");
    assert_eq!(flag[0].args(), tokens("--quiet --lr 0.1"));
    assert_eq!(grid(&[]).unwrap().len(), 1, "no option: one default trial");
}

#[test]
fn a_grid_refuses_stray_values_repeated_options_and_empty_values() {
    for (line, expected) in [
        ("5,1", "expected an option"),
        ("--lr 5 --lr 1", "given twice"),
        ("--lr 5,,1", "empty value"),
    ] {
        let err = grid(&tokens(line)).unwrap_err().to_string();
        assert!(err.contains(expected), "{line}: {err}");
    }
}

#[test]
fn a_sweep_file_gives_named_trials_with_the_common_options() {
    let text = r#"
experiment = "house"

[options]
k = 3
epochs = 10

[[trial]]
name = "linear, lr 5"
lr = 5.0

[[trial]]
name = "mlp"
model = "mlp"
hidden = 5
epochs = 20
batch_size = 64
"#;
    let file = SweepFile::parse(Path::new("s.toml"), text).unwrap();
    assert_eq!(file.experiment.as_deref(), Some("house"));
    assert_eq!(file.trials.len(), 2);
    assert_eq!(file.trials[0].args(), tokens("--epochs 10 --k 3 --lr 5"));
    assert_eq!(file.trials[0].line, Some(8));
    assert_eq!(file.trials[0].folder(), "linear_lr_5");
    assert_eq!(
        file.trials[1].args(),
        tokens("--k 3 --batch-size 64 --epochs 20 --hidden 5 --model mlp")
    );
}

#[test]
fn a_bad_sweep_file_is_an_error_naming_the_file_and_the_line() {
    for (text, line, expected) in [
        ("[[trial]]\nname = \"a\"\nlr = \n", 3, "line 3"),
        (
            "[[trial]]\nname = \"a\"\n\n[[trial]]\nlr = 1\n",
            4,
            "needs a name",
        ),
        (
            "[[trial]]\nname = \"a b\"\n[[trial]]\nname = \"a_b\"\n",
            3,
            "share the folder",
        ),
        (
            "[[trial]]\nname = \"a\"\nlr = [1, 2]\n",
            1,
            "a number, a string",
        ),
        (
            "title = \"x\"\n[[trial]]\nname = \"a\"\n",
            1,
            "unknown field",
        ),
        ("experiment = \"house\"\n", 1, "no [[trial]]"),
    ] {
        let err = SweepFile::parse(Path::new("dir/s.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("dir/s.toml") && err.contains(&format!("line {line}")),
            "{text:?}: {err}"
        );
        assert!(err.contains(expected), "{text:?}: {err}");
    }
}

#[test]
fn cells_with_commas_are_quoted() {
    assert_eq!(csv_cell("linear, lr 5"), "\"linear, lr 5\"");
    assert_eq!(csv_cell("a\"b"), "\"a\"\"b\"");
    assert_eq!(csv_cell("plain"), "plain");
}
