//! d2l's `predict_ch3` picture: test images titled with their labels, as SVG.

use d2l_data::fashion_mnist::IMAGE_SIDE;
use d2l_data::{CLASS_NAMES, IMAGE_PIXELS};
use std::fmt::Write;

/// d2l's `predict_ch3` as an SVG: `predicted.len()` images (`IMAGE_PIXELS` bytes each) in a
/// row, each titled with its true label over the predicted one (in red where they differ), or
/// with the predicted label alone when the truth is not known.
pub fn image_grid(pixels: &[u8], truth: Option<&[u8]>, predicted: &[usize]) -> String {
    const SCALE: usize = 4;
    const TITLE: usize = 36;
    let cell = IMAGE_SIDE * SCALE;
    let gap = 8;
    let width = predicted.len() * (cell + gap) + gap;
    let height = cell + TITLE + gap;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"11\" text-anchor=\"middle\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let name = |class: usize| CLASS_NAMES.get(class).copied().unwrap_or("?");
    for (i, &guess) in predicted.iter().enumerate() {
        let x0 = gap + i * (cell + gap);
        let centre = x0 + cell / 2;
        let (first, color) = match truth {
            Some(labels) => {
                let truth = usize::from(labels[i]);
                (name(truth), if truth == guess { "black" } else { "red" })
            }
            None => ("", "black"),
        };
        let _ = writeln!(
            svg,
            "<text x=\"{centre}\" y=\"14\" fill=\"{color}\">{first}</text>\
             <text x=\"{centre}\" y=\"28\" fill=\"{color}\">{}</text>",
            name(guess)
        );
        let _ = writeln!(
            svg,
            "<rect x=\"{x0}\" y=\"{TITLE}\" width=\"{cell}\" height=\"{cell}\" fill=\"black\"/>"
        );
        let image = &pixels[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS];
        for (p, &value) in image.iter().enumerate() {
            if value == 0 {
                continue;
            }
            let (row, col) = (p / IMAGE_SIDE, p % IMAGE_SIDE);
            let _ = writeln!(
                svg,
                "<rect x=\"{}\" y=\"{}\" width=\"{SCALE}\" height=\"{SCALE}\" \
                 fill=\"rgb({value},{value},{value})\"/>",
                x0 + col * SCALE,
                TITLE + row * SCALE
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}
