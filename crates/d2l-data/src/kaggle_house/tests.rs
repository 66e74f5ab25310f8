//! The house data's unit tests.

use super::preprocess::skewness;
use super::*;

const TINY: &[&str] = &["Id", "LotArea", "Street", "SalePrice"];

fn parse(text: &str) -> Result<Frame> {
    Frame::parse(Path::new("dir/tiny.csv"), text.as_bytes(), TINY)
}

#[test]
fn reads_typed_cells_and_pandas_missing_markers() {
    let frame = parse("Id,LotArea,Street,SalePrice\n1,10,Pave,100\n2,NA,None,200\n").unwrap();
    assert_eq!(frame.len(), 2);
    assert_eq!(frame.rows[0][2], Value::Category("Pave".into()));
    assert_eq!(frame.rows[1][1], Value::Missing);
    assert_eq!(frame.rows[1][2], Value::Missing);
    assert_eq!(frame.numbers("SalePrice"), vec![Some(100.0), Some(200.0)]);
}

#[test]
fn malformed_files_name_file_line_and_column() {
    let m = parse("Id,LotArea,Street\n1,2,3\n").unwrap_err().to_string();
    assert!(
        m.contains("dir/tiny.csv") && m.contains("line 1") && m.contains("header"),
        "{m}"
    );
    let m = parse("Id,LotArea,Street,SalePrice\n1,10,Pave,100\n2,20,Pave\n")
        .unwrap_err()
        .to_string();
    assert!(m.contains("dir/tiny.csv") && m.contains("line 3"), "{m}");
    let m = parse("Id,LotArea,Street,SalePrice\n1,10,Pave,100\n2,big,Pave,1\n")
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("line 3") && m.contains("LotArea") && m.contains("\"big\" is not a number"),
        "{m}"
    );
}

#[test]
fn standardises_and_one_hot_encodes_like_pandas() {
    let frame = parse("Id,LotArea,Street,SalePrice\n1,1,Pave,1\n2,2,Grvl,1\n3,3,,1\n4,NA,Pave,1\n")
        .unwrap();
    let pre = Preprocessor::fit(&[&frame]);
    assert_eq!(
        pre.feature_names(),
        vec!["LotArea", "Street_Grvl", "Street_Pave", "Street_nan"]
    );
    let x = pre.transform(&frame).unwrap();
    // LotArea 1, 2, 3: mean 2, sample std 1; the missing one becomes 0.
    let rows: Vec<&[f32]> = x.chunks(4).collect();
    assert_eq!(rows[0], [-1.0, 0.0, 1.0, 0.0]);
    assert_eq!(rows[1], [0.0, 1.0, 0.0, 0.0]);
    assert_eq!(rows[2], [1.0, 0.0, 0.0, 1.0]);
    assert_eq!(rows[3], [0.0, 0.0, 1.0, 0.0]);
    let json = serde_json::to_string(&pre).unwrap();
    assert_eq!(serde_json::from_str::<Preprocessor>(&json).unwrap(), pre);
}

#[test]
fn skewed_columns_are_log_transformed_and_values_clipped() {
    let frame =
        parse("Id,LotArea,Street,SalePrice\n1,1,Pave,1\n2,2,Pave,1\n3,3,Pave,1\n4,10,Pave,1\n")
            .unwrap();
    // pandas: pd.Series([1, 2, 3, 10]).skew() == 1.763632614803888
    assert!((skewness(&[1.0, 2.0, 3.0, 10.0]) - 1.763_632_614_803_888).abs() < 1e-12);
    let options = PreprocessOptions {
        log1p_skewed: Some(0.75),
        clip: Some(1.0),
    };
    let pre = Preprocessor::fit_with(&[&frame], options);
    let x = pre.transform(&frame).unwrap();
    // pandas: l = np.log1p(s); (l - l.mean()) / l.std() gives
    // [-0.963796, -0.406200, -0.010579, 1.380575]; the last is clipped to 1.
    let expected = [-0.963_796, -0.406_2, -0.010_579, 1.0];
    // Three features per row: LotArea, Street_Pave, Street_nan.
    for (got, want) in x.iter().step_by(3).zip(expected) {
        assert!((got - want).abs() < 1e-5, "{x:?}");
    }
    // Below the skewness limit nothing is transformed.
    let limit = PreprocessOptions {
        log1p_skewed: Some(2.0),
        clip: None,
    };
    let plain = Preprocessor::fit_with(&[&frame], limit);
    assert_eq!(plain, Preprocessor::fit(&[&frame]));
}
