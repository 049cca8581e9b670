//! PNG plots for the examples (plotters, bitmap backend): log-log timings with fitted
//! slopes, function/step plots with labelled vertical markers, histograms.
//!
//! Text is drawn with DejaVu Sans embedded in the binary (`examples/assets`, license
//! alongside) through plotters' `ab_glyph` feature, so no system font or font library is
//! needed. Every plot gets a title, axis labels (with units: pass them in the label) and a
//! legend.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

/// Plot errors (I/O, font, drawing) as one boxed error.
pub type PlotResult = Result<(), Box<dyn std::error::Error>>;

const SIZE: (u32, u32) = (1000, 680);
const FONT: &str = "sans-serif";
const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// One labelled line: `(x, y)` points in drawing order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// A vertical line at `x` with a label next to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub label: String,
}

/// Title and axis labels of one plot (units go into the labels).
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a> {
    pub title: &'a str,
    pub x: &'a str,
    pub y: &'a str,
}

fn register_font() -> PlotResult {
    static ONCE: Once = Once::new();
    static BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
    let mut ok = true;
    ONCE.call_once(|| ok = plotters::style::register_font(FONT, FontStyle::Normal, BYTES).is_ok());
    if ok {
        Ok(())
    } else {
        Err("the embedded font examples/assets/DejaVuSans.ttf could not be parsed".into())
    }
}

fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

fn area(path: &Path) -> Result<DrawingArea<BitMapBackend<'_>, Shift>, Box<dyn std::error::Error>> {
    register_font()?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    Ok(root)
}

/// Least-squares fit `log y = intercept + slope · log x` over the points with `x, y > 0`:
/// `(slope, intercept)`, `None` with fewer than two distinct x.
pub fn loglog_fit(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let logs: Vec<(f64, f64)> =
        points.iter().filter(|(x, y)| *x > 0.0 && *y > 0.0).map(|(x, y)| (x.ln(), y.ln())).collect();
    let n = logs.len() as f64;
    let mx = logs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = logs.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (logs.len() >= 2 && sxx > 1e-12).then(|| (sxy / sxx, my - sxy / sxx * mx))
}

/// The slope of [`loglog_fit`].
pub fn loglog_slope(points: &[(f64, f64)]) -> Option<f64> {
    loglog_fit(points).map(|f| f.0)
}

/// `label (slope 2.9)`, or the bare label when no slope can be fitted.
pub fn slope_label(label: &str, points: &[(f64, f64)]) -> String {
    match loglog_slope(points) {
        Some(s) => format!("{label} (slope {s:.2})"),
        None => label.to_string(),
    }
}

/// A tick label: at most 6 significant decimals, no trailing zeros, no "-0".
pub fn tick(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { &s };
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// A tick label on a log axis: plain decimals from 0.001 to 10⁶, else `1e-5`.
fn log_tick(v: f64) -> String {
    if (1e-3..1e6).contains(&v.abs()) {
        tick(v)
    } else {
        format!("{v:.0e}")
    }
}

/// Ticks of a log axis in `[lo, hi]`: 1-2-5 per decade (1-1.5-2-3-5-7 over less than two decades,
/// powers of ten only over more than five).
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let decades = (hi / lo).log10();
    let mult: &[f64] = if decades > 5.0 {
        &[1.0]
    } else if decades > 2.0 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0]
    };
    let (e0, e1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let ticks = (e0..=e1).flat_map(|e| mult.iter().map(move |m| m * 10f64.powi(e)));
    ticks.filter(|t| (lo..=hi).contains(t)).collect()
}

/// Range of a set of values, widened when empty or degenerate.
fn span(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && (!log || *v > 0.0))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi {
        return if log { (0.1, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        (lo / 1.5, hi * 1.5)
    } else {
        let pad = if hi > lo { 0.04 * (hi - lo) } else { 0.5 * lo.abs().max(1.0) };
        (lo - pad, hi + pad)
    }
}

/// Log-log lines, one per series, each legend entry with its fitted slope.
pub fn loglog_lines(path: &Path, labels: Labels<'_>, series: &[Series]) -> PlotResult {
    let root = area(path)?;
    let (x0, x1) = span(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)), true);
    let (y0, y1) = span(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), true);
    let mut chart = ChartBuilder::on(&root)
        .caption(labels.title, (FONT, 24))
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(
            (x0..x1).log_scale().with_key_points(log_ticks(x0, x1)),
            (y0..y1).log_scale().with_key_points(log_ticks(y0, y1)),
        )?;
    chart
        .configure_mesh()
        .x_desc(labels.x)
        .y_desc(labels.y)
        .x_label_formatter(&|v| log_tick(*v))
        .y_label_formatter(&|v| log_tick(*v))
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 18))
        .draw()?;
    for (i, s) in series.iter().enumerate() {
        let c = color(i);
        let pts: Vec<(f64, f64)> = s.points.iter().copied().filter(|(x, y)| *x > 0.0 && *y > 0.0).collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?
            .label(slope_label(&s.label, &pts))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4, c.filled())))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    root.present()?;
    Ok(())
}

fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    pos: SeriesLabelPosition,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .position(pos)
        .label_font((FONT, 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
}

/// Vertical marker lines across the plot, each with its own colour and legend entry.
fn draw_markers<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    markers: &[Marker],
    (y0, y1): (f64, f64),
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    for (i, m) in markers.iter().enumerate() {
        let c = color(i + 3);
        chart
            .draw_series(LineSeries::new([(m.x, y0), (m.x, y1)], c.stroke_width(2)))?
            .label(m.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x + 10, y - 8), (x + 10, y + 8)], c.stroke_width(2))
            });
    }
    Ok(())
}

/// Lines (or steps: `y` holds from one x to the next) with optional vertical markers.
pub fn lines(
    path: &Path,
    labels: Labels<'_>,
    series: &[Series],
    step: bool,
    markers: &[Marker],
) -> PlotResult {
    let root = area(path)?;
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).chain(markers.iter().map(|m| m.x));
    let (x0, x1) = span(xs, false);
    let (y0, y1) = span(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), false);
    let mut chart = ChartBuilder::on(&root)
        .caption(labels.title, (FONT, 24))
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    mesh(&mut chart, labels)?;
    for (i, s) in series.iter().enumerate() {
        let c = color(i);
        let pts = if step { steps(&s.points) } else { s.points.clone() };
        chart
            .draw_series(LineSeries::new(pts, c.stroke_width(2)))?
            .label(s.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    draw_markers(&mut chart, markers, (y0, y1))?;
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    root.present()?;
    Ok(())
}

fn mesh<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    labels: Labels<'_>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_mesh()
        .x_desc(labels.x)
        .y_desc(labels.y)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 18))
        .draw()
}

/// The corner points of a right-continuous step function through `points`.
fn steps(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(2 * points.len());
    for (i, &(x, y)) in points.iter().enumerate() {
        if i > 0 {
            out.push((x, points[i - 1].1));
        }
        out.push((x, y));
    }
    out
}

/// Histogram: bin `i` spans `edges[i]..edges[i+1]` with height `heights[i]`.
pub fn histogram(
    path: &Path,
    labels: Labels<'_>,
    legend_label: &str,
    edges: &[f64],
    heights: &[f64],
    markers: &[Marker],
) -> PlotResult {
    if edges.len() != heights.len() + 1 {
        return Err(format!("histogram: {} edges for {} bins", edges.len(), heights.len()).into());
    }
    let root = area(path)?;
    let (x0, x1) = span(edges.iter().copied().chain(markers.iter().map(|m| m.x)), false);
    let (_, top) = span(heights.iter().copied().chain([0.0]), false);
    let mut chart = ChartBuilder::on(&root)
        .caption(labels.title, (FONT, 24))
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, 0.0..top)?;
    mesh(&mut chart, labels)?;
    let c = color(0);
    let bars = heights
        .iter()
        .enumerate()
        .map(|(i, &h)| Rectangle::new([(edges[i], 0.0), (edges[i + 1], h)], c.filled()));
    chart
        .draw_series(bars)?
        .label(legend_label.to_string())
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], c.filled()));
    draw_markers(&mut chart, markers, (0.0, top))?;
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    root.present()?;
    Ok(())
}
