//! The shipped Kaggle house files through d2l's preprocessing, against pandas.
//!
//! Reference values from pandas 3.1.1 running d2l 4.10's preprocessing on the same files
//! (`select_dtypes(include='number')` standardised with mean and sample std, `fillna(0)`,
//! `get_dummies(dummy_na=True)`): 330 columns; for the first training row MSSubClass
//! 0.0673199, LotFrontage -0.1844426, LotArea -0.2178414; GarageYrBlt of row 0 0.9731101;
//! LotFrontage of the first test row 0.4580959.

use d2l_data::kaggle_house::{DIR_NAME, TEST_FILE, TRAIN_FILE};
use d2l_data::{KaggleHouse, Preprocessor, data_dir};

#[test]
fn d2l_preprocessing_matches_pandas() {
    let house = KaggleHouse::load(&data_dir(None)).unwrap();
    assert_eq!((house.train.len(), house.test.len()), (1460, 1459));
    let pre = Preprocessor::fit(&[&house.train, &house.test]);
    let names = pre.feature_names();
    assert_eq!(pre.num_features(), 330);
    assert_eq!(names.len(), 330);
    assert_eq!(
        names[36..42],
        [
            "MSZoning_C (all)",
            "MSZoning_FV",
            "MSZoning_RH",
            "MSZoning_RL",
            "MSZoning_RM",
            "MSZoning_nan"
        ]
    );
    assert_eq!(names[329], "SaleCondition_nan");

    let train = pre.transform(&house.train).unwrap();
    let test = pre.transform(&house.test).unwrap();
    assert_eq!((train.len(), test.len()), (1460 * 330, 1459 * 330));
    let at = |name: &str| names.iter().position(|n| n == name).unwrap();
    let close = |a: f32, b: f32| (a - b).abs() < 1e-5;
    assert!(close(train[at("MSSubClass")], 0.067_319_9));
    assert!(close(train[at("LotFrontage")], -0.184_442_6));
    assert!(close(train[at("LotArea")], -0.217_841_4));
    assert!(close(train[at("GarageYrBlt")], 0.973_110_1));
    assert!(close(test[at("LotFrontage")], 0.458_095_9));
}

#[test]
fn a_changed_file_fails_its_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let from = data_dir(None).join(DIR_NAME);
    std::fs::create_dir_all(dir.path().join(DIR_NAME)).unwrap();
    for name in ["train.csv", "test.csv"] {
        std::fs::copy(from.join(name), dir.path().join(DIR_NAME).join(name)).unwrap();
    }
    let path = dir.path().join(DIR_NAME).join(TRAIN_FILE.0);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("1461,20,RL,80,9600,Pave,NA,Reg\n");
    std::fs::write(&path, text).unwrap();
    let message = KaggleHouse::load(dir.path()).unwrap_err().to_string();
    assert!(
        message.contains("train.csv") && message.contains("checksum"),
        "{message}"
    );
}

#[test]
fn datasets_readme_lists_the_checksums_the_loader_checks() {
    let readme = std::fs::read_to_string(data_dir(None).join("README.md")).unwrap();
    for (name, sha256) in [TRAIN_FILE, TEST_FILE] {
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| {name} ")))
            .unwrap_or_else(|| panic!("datasets/README.md has no row for {name}"));
        assert!(row.contains(sha256), "{name}: {row}");
    }
}

/// A user's CSV: any rows, with or without `SalePrice`, no checksum; a bad cell is named.
#[test]
fn a_users_csv_is_read_with_the_kaggle_schema() {
    use d2l_data::kaggle_house::read_frame;
    let dir = data_dir(None).join(DIR_NAME);
    let shipped = KaggleHouse::load(&data_dir(None)).unwrap();
    let test = read_frame(&dir.join(TEST_FILE.0)).unwrap();
    assert_eq!(test.rows, shipped.test.rows);
    let train = read_frame(&dir.join(TRAIN_FILE.0)).unwrap();
    assert_eq!(train.rows, shipped.train.rows);

    let text = std::fs::read_to_string(dir.join(TEST_FILE.0)).unwrap();
    let mut lines: Vec<String> = text.lines().take(4).map(String::from).collect();
    let mut cells: Vec<&str> = lines[2].split(',').collect();
    cells[4] = "wide"; // LotArea
    lines[2] = cells.join(",");
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("houses.csv");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let err = read_frame(&path).unwrap_err().to_string();
    assert!(
        err.contains("houses.csv") && err.contains("line 3") && err.contains("LotArea"),
        "{err}"
    );
}
