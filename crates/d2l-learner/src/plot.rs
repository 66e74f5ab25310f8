//! Training curves as SVG, like d2l's `Animator`: loss and metrics per epoch.

use plotters::prelude::*;

use crate::learner::EpochRecord;

/// The curves of `history` (train loss, train metric, test metric against the epoch) as an
/// SVG document. `metric` names the metric in the legend (`"acc"`).
pub fn plot_curves(history: &[EpochRecord], metric: &str) -> std::io::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 400)).into_drawing_area();
        draw(&root, history, metric).map_err(|e| std::io::Error::other(e.to_string()))?;
        root.present()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    Ok(svg)
}

type Series = (String, Vec<(f64, f64)>, RGBColor);

fn draw(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    history: &[EpochRecord],
    metric: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    root.fill(&WHITE)?;
    let epochs = history.len().max(1) as f64;
    let series: Vec<Series> = vec![
        (
            "train loss".to_string(),
            history
                .iter()
                .map(|r| (r.epoch as f64, r.train_loss))
                .collect(),
            BLUE,
        ),
        (
            format!("train {metric}"),
            history
                .iter()
                .map(|r| (r.epoch as f64, r.train_metric))
                .collect(),
            MAGENTA,
        ),
        (
            format!("test {metric}"),
            history
                .iter()
                .filter_map(|r| r.test_metric.map(|m| (r.epoch as f64, m)))
                .collect(),
            GREEN,
        ),
    ];
    let top = series
        .iter()
        .flat_map(|(_, points, _)| points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(1.0f64, f64::max);
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(1.0..epochs.max(2.0), 0.0..top * 1.05)?;
    chart.configure_mesh().x_desc("epoch").draw()?;
    for (name, points, color) in series {
        if points.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_each_named_curve() {
        let history: Vec<EpochRecord> = (1..=3)
            .map(|epoch| EpochRecord {
                epoch,
                train_loss: 1.0 / epoch as f64,
                train_metric: 0.5,
                test_metric: Some(0.6),
                seconds: 0.1,
            })
            .collect();
        let svg = plot_curves(&history, "acc").unwrap();
        assert!(svg.starts_with("<svg"));
        for label in ["train loss", "train acc", "test acc"] {
            assert!(svg.contains(label), "missing {label}");
        }
    }
}
