//! SVG charts with plotters.

use std::path::Path;

use anyhow::anyhow;
use plotters::prelude::*;

const BLUE: RGBColor = RGBColor(0x2b, 0x6c, 0xb0);
const ORANGE: RGBColor = RGBColor(0xdd, 0x6b, 0x20);

/// Two bars side by side under one label, such as "without" and "with" for a database.
pub struct BarPair {
    pub label: String,
    pub first: f64,
    pub second: f64,
}

/// One chart of bar pairs, with its own caption and scale.
pub struct Panel<'a> {
    pub caption: &'a str,
    pub pairs: Vec<BarPair>,
}

/// Panels side by side, each on a scale of its own, in ms.
pub fn paired_bars(
    file: &Path,
    title: &str,
    labels: (&str, &str),
    panels: &[Panel<'_>],
) -> anyhow::Result<()> {
    let root = SVGBackend::new(file, (460 * panels.len().max(1) as u32, 440)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let root = root
        .titled(title, ("sans-serif", 20))
        .map_err(|e| anyhow!("{e}"))?;
    for (area, panel) in root
        .split_evenly((1, panels.len().max(1)))
        .iter()
        .zip(panels)
    {
        // Headroom above the tallest bar keeps the legend off the bars.
        let top = panel
            .pairs
            .iter()
            .flat_map(|pair| [pair.first, pair.second])
            .fold(0.0, f64::max)
            * 1.55;
        let slots = panel.pairs.len() as f64 * 3.0;
        let mut chart = ChartBuilder::on(area)
            .caption(panel.caption, ("sans-serif", 15))
            .margin(14)
            .x_label_area_size(30)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..slots.max(1.0), 0.0..top.max(0.001))
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc("median query time (ms)")
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        for (i, pair) in panel.pairs.iter().enumerate() {
            let x = i as f64 * 3.0 + 0.5;
            for (offset, value, colour) in [(0.0, pair.first, ORANGE), (1.0, pair.second, BLUE)] {
                chart
                    .draw_series([Rectangle::new(
                        [(x + offset, 0.0), (x + offset + 0.9, value)],
                        colour.filled(),
                    )])
                    .map_err(|e| anyhow!("{e}"))?;
                chart
                    .draw_series([Text::new(
                        format!("{value:.2}"),
                        (x + offset + 0.1, value + top * 0.03),
                        ("sans-serif", 13),
                    )])
                    .map_err(|e| anyhow!("{e}"))?;
            }
            chart
                .draw_series([Text::new(
                    pair.label.clone(),
                    (x + 0.5, -top * 0.02),
                    ("sans-serif", 14),
                )])
                .map_err(|e| anyhow!("{e}"))?;
        }
        for (label, colour) in [(labels.0, ORANGE), (labels.1, BLUE)] {
            chart
                .draw_series([Rectangle::new([(0.0, 0.0), (0.0, 0.0)], colour.filled())])
                .map_err(|e| anyhow!("{e}"))?
                .label(label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .border_style(BLACK)
            .background_style(WHITE)
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
    }
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// One line per series over a numeric x axis, in ms.
pub fn lines(
    file: &Path,
    title: &str,
    x_label: &str,
    series: &[(&str, Vec<(f64, f64)>)],
) -> anyhow::Result<()> {
    let root = SVGBackend::new(file, (720, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let right = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|p| p.0))
        .fold(0.0, f64::max);
    let top = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|p| p.1))
        .fold(0.0, f64::max)
        * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..right.max(1.0), 0.0..top.max(0.001))
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc("median query time (ms)")
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    for ((name, points), colour) in series.iter().zip([ORANGE, BLUE]) {
        chart
            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
            .map_err(|e| anyhow!("{e}"))?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        chart
            .draw_series(
                points
                    .iter()
                    .map(|point| Circle::new(*point, 4, colour.filled())),
            )
            .map_err(|e| anyhow!("{e}"))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// Bars grouped under labels, one bar per series in each group, on one
/// scale described by `y_desc`; each bar carries its value.
pub fn grouped_bars(
    file: &Path,
    title: &str,
    y_desc: &str,
    series: &[&str],
    groups: &[(String, Vec<f64>)],
) -> anyhow::Result<()> {
    let width = series.len().max(1) as f64;
    // Each group: its bars, then a gap of one bar.
    let stride = width + 1.0;
    let root = SVGBackend::new(
        file,
        (
            (140.0 * groups.len().max(1) as f64 * stride / 3.0).max(520.0) as u32,
            460,
        ),
    )
    .into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    // Headroom above the tallest bar keeps the legend off the bars.
    let top = groups
        .iter()
        .flat_map(|(_, values)| values.iter().copied())
        .fold(0.0, f64::max)
        * 1.3;
    let slots = groups.len() as f64 * stride;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(16)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..slots.max(1.0), 0.0..top.max(0.001))
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(y_desc)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    let colours = [ORANGE, BLUE];
    for (i, (label, values)) in groups.iter().enumerate() {
        let x = i as f64 * stride + 0.5;
        for (j, value) in values.iter().enumerate() {
            let left = x + j as f64;
            let colour = colours[j % colours.len()];
            chart
                .draw_series([Rectangle::new(
                    [(left, 0.0), (left + 0.9, *value)],
                    colour.filled(),
                )])
                .map_err(|e| anyhow!("{e}"))?;
            chart
                .draw_series([Text::new(
                    format!("{value:.0}"),
                    (left, value + top * 0.02),
                    ("sans-serif", 12),
                )])
                .map_err(|e| anyhow!("{e}"))?;
        }
        chart
            .draw_series([Text::new(
                label.clone(),
                (x, -top * 0.02),
                ("sans-serif", 13),
            )])
            .map_err(|e| anyhow!("{e}"))?;
    }
    for (name, colour) in series.iter().zip(colours.iter().cycle()) {
        let colour = *colour;
        chart
            .draw_series([Rectangle::new([(0.0, 0.0), (0.0, 0.0)], colour.filled())])
            .map_err(|e| anyhow!("{e}"))?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}
