//! Training curves as SVG, like d2l's `Animator`: loss and metrics per epoch.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::record::EpochRecord;

/// The vertical axis of a plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Scale {
    /// Linear, from 0 (accuracies, cross-entropy).
    Linear,
    /// Logarithmic (d2l's `yscale='log'`: squared losses, log-RMSE).
    Log,
}

/// One named curve: `(x, y)` points.
pub type Curve = (String, Vec<(f64, f64)>);

/// The curves of `history` (train loss, train metric, test metric against the epoch) as an
/// SVG document. `metric` names the metric in the legend (`"acc"`).
pub fn plot_curves(history: &[EpochRecord], metric: &str, scale: Scale) -> std::io::Result<String> {
    let curves = vec![
        (
            "train loss".to_string(),
            history
                .iter()
                .map(|r| (r.epoch as f64, r.train_loss))
                .collect(),
        ),
        (
            format!("train {metric}"),
            history
                .iter()
                .map(|r| (r.epoch as f64, r.train_metric))
                .collect(),
        ),
        (
            format!("test {metric}"),
            history
                .iter()
                .filter_map(|r| r.test_metric.map(|m| (r.epoch as f64, m)))
                .collect(),
        ),
    ];
    plot_lines(&curves, "epoch", scale)
}

/// Any named curves as an SVG line plot (like d2l's `plot`), `x_desc` labelling the x axis.
/// Non-finite points are left out, and so are non-positive ones on a log scale.
pub fn plot_lines(curves: &[Curve], x_desc: &str, scale: Scale) -> std::io::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 400)).into_drawing_area();
        let curves: Vec<Curve> = curves
            .iter()
            .map(|(name, points)| {
                let kept = points
                    .iter()
                    .copied()
                    .filter(|&(x, y)| {
                        x.is_finite() && y.is_finite() && (scale == Scale::Linear || y > 0.0)
                    })
                    .collect();
                (name.clone(), kept)
            })
            .collect();
        let points = || curves.iter().flat_map(|(_, points)| points.iter());
        let (x_lo, x_hi) = bounds(points().map(|p| p.0));
        let (y_lo, y_hi) = bounds(points().map(|p| p.1));
        let x = x_lo..x_hi.max(x_lo + 1.0);
        let drawn = match scale {
            Scale::Linear => draw(
                &root,
                &curves,
                x_desc,
                x,
                y_lo.min(0.0)..(y_hi * 1.05).max(y_lo.min(0.0) + 1e-9),
            ),
            Scale::Log => draw(
                &root,
                &curves,
                x_desc,
                x,
                (y_lo / 1.5..y_hi * 1.5).log_scale(),
            ),
        };
        drawn.map_err(|e| std::io::Error::other(e.to_string()))?;
        root.present()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    Ok(svg)
}

/// The smallest and largest of `values`, `(1, 1)` for none.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .fold(None, |acc: Option<(f64, f64)>, v| {
            Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
        })
        .unwrap_or((1.0, 1.0))
}

const COLORS: [RGBColor; 6] = [BLUE, MAGENTA, GREEN, RED, CYAN, BLACK];

fn draw<Y>(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    curves: &[Curve],
    x_desc: &str,
    x: std::ops::Range<f64>,
    y: Y,
) -> Result<(), Box<dyn std::error::Error>>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d(x, y)?;
    chart.configure_mesh().x_desc(x_desc).draw()?;
    for ((name, points), color) in curves.iter().zip(COLORS.iter().cycle()) {
        if points.is_empty() {
            continue;
        }
        let color = *color;
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
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
        let svg = plot_curves(&history, "acc", Scale::Linear).unwrap();
        assert!(svg.starts_with("<svg"));
        for label in ["train loss", "train acc", "test acc"] {
            assert!(svg.contains(label), "missing {label}");
        }
        let log = plot_curves(&history, "log_rmse", Scale::Log).unwrap();
        assert!(log.contains("test log_rmse"));
    }
}
