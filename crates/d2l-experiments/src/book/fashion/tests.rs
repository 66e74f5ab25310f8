//! The unit tests of `fashion`.

use super::*;

#[test]
fn the_grid_titles_each_image_with_truth_and_prediction() {
    let mut images = vec![0u8; 2 * IMAGE_PIXELS];
    images[5] = 200;
    let svg = image_grid(&images, Some(&[0, 9]), &[0, 7]);
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    assert!(svg.contains(">t-shirt</text>"));
    assert!(svg.contains(">ankle boot</text>"));
    assert!(
        svg.contains("fill=\"red\">sneaker</text>"),
        "a wrong guess is red"
    );
    assert!(
        svg.contains("rgb(200,200,200)"),
        "the one lit pixel is drawn"
    );
    // Without the truth, only the predictions: no t-shirt (image 0's true class).
    let unknown = image_grid(&images, None, &[7, 9]);
    assert!(unknown.contains(">sneaker</text>") && unknown.contains(">ankle boot</text>"));
    assert!(!unknown.contains("t-shirt") && !unknown.contains("red"));
}
