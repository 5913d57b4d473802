//! Inline SVG charts. Plain strings: three chart shapes do not justify a plotting crate,
//! and the output stays readable and diffable.

use super::html::escape;
use std::fmt::Write;

const BLUE: &str = "#1f6feb";
const GREEN: &str = "#1a7f37";
const GREY: &str = "#8c959f";

/// One horizontal bar: `value` against `goal`.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub goal: f64,
    pub text: String,
}

/// Horizontal progress bars with a 100 % marker; bars past the goal turn green.
pub fn progress_bars(bars: &[Bar]) -> String {
    let (width, row, label_w, text_w) = (1000.0, 26.0, 120.0, 230.0);
    let plot_w = width - label_w - text_w;
    // The scale reaches past 100 % when some town overshoots, so overshoot stays visible.
    let max_ratio = bars
        .iter()
        .filter(|b| b.goal > 0.0)
        .map(|b| b.value / b.goal)
        .fold(1.0f64, f64::max)
        .min(3.0);
    let height = row * bars.len() as f64 + 24.0;
    let mut s = format!(
        "<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"completion by town\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    let x100 = label_w + plot_w / max_ratio;
    for (i, b) in bars.iter().enumerate() {
        let y = i as f64 * row;
        let ratio = if b.goal > 0.0 { b.value / b.goal } else { 0.0 };
        let w = plot_w * ratio.min(max_ratio) / max_ratio;
        let color = if ratio >= 1.0 { GREEN } else { BLUE };
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"15\" text-anchor=\"end\">{}</text>\
             <rect x=\"{label_w}\" y=\"{:.1}\" width=\"{plot_w:.1}\" height=\"{:.1}\" fill=\"#eaeef2\"/>\
             <rect x=\"{label_w}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"14\">{}</text>",
            label_w - 8.0,
            y + 18.0,
            escape(&b.label),
            y + 5.0,
            row - 8.0,
            y + 5.0,
            row - 8.0,
            label_w + plot_w + 8.0,
            y + 18.0,
            escape(&b.text),
        );
    }
    let _ = writeln!(
        s,
        "<line x1=\"{x100:.1}\" y1=\"0\" x2=\"{x100:.1}\" y2=\"{:.1}\" stroke=\"#cf222e\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>\
         <text x=\"{x100:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"middle\" fill=\"#cf222e\">100 %</text>\n</svg>",
        height - 18.0,
        height - 4.0
    );
    s
}

/// Monthly cumulative line (12 points) against a straight target-pace line.
pub fn cumulative_line(cumulative: &[f64], target: f64) -> String {
    let (width, height, left, bottom, top, right) = (1000.0, 330.0, 70.0, 40.0, 16.0, 130.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let top_value = cumulative.iter().copied().fold(target, f64::max).max(1.0);
    let step = nice_step(top_value / 5.0);
    let max = (top_value / step).ceil() * step;
    let x = |m: f64| left + plot_w * m / 12.0;
    let y = |v: f64| top + plot_h * (1.0 - v / max);
    let mut s = format!(
        "<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"cumulative built vs target pace\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    let ticks = (max / step).round() as u32;
    for k in 0..=ticks {
        let v = step * f64::from(k);
        let _ = writeln!(
            s,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#d8dee4\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"end\">{}</text>",
            left + plot_w,
            y(v),
            y(v),
            left - 6.0,
            y(v) + 4.0,
            super::thousands(v.round() as i64)
        );
    }
    for m in 1..=12 {
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"middle\">{m}</text>",
            x(f64::from(m)),
            height - bottom + 18.0
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"middle\" fill=\"#57606a\">month</text>",
        left + plot_w / 2.0,
        height - 4.0
    );
    let _ = writeln!(
        s,
        "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{GREY}\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"14\" fill=\"{GREY}\">target pace</text>",
        x(0.0),
        y(0.0),
        x(12.0),
        y(target),
        x(12.0) + 8.0,
        y(target) + 4.0
    );
    let mut points = format!("{:.1},{:.1}", x(0.0), y(0.0));
    for (i, v) in cumulative.iter().enumerate() {
        let _ = write!(points, " {:.1},{:.1}", x(i as f64 + 1.0), y(*v));
    }
    let last = cumulative.last().copied().unwrap_or(0.0);
    let _ = writeln!(
        s,
        "<polyline points=\"{points}\" fill=\"none\" stroke=\"{BLUE}\" stroke-width=\"3\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"14\" fill=\"{BLUE}\">built</text>\n</svg>",
        x(12.0) + 8.0,
        y(last) + 4.0
    );
    s
}

/// The smallest 1, 2 or 5 × 10^k at least `raw`: axis steps people read at a glance.
fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.max(1.0).log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// A point on the scatter map.
#[derive(Debug, Clone)]
pub struct MapPoint {
    pub lat: f64,
    pub lon: f64,
    /// Index into the legend.
    pub class: usize,
}

/// Lat/lon scatter (equirectangular, x scaled by cos(latitude) so shapes are not
/// stretched), with optional place labels and a legend of (name, colour).
pub fn scatter(
    points: &[MapPoint],
    labels: &[(String, f64, f64)],
    legend: &[(&str, &str)],
) -> String {
    let (width, height, pad) = (1000.0, 640.0, 24.0);
    let mut s = format!(
        "<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"blind spot map\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#fbfcfd\" stroke=\"#d0d7de\"/>\n"
    );
    if points.is_empty() {
        s.push_str("<text x=\"20\" y=\"40\" font-size=\"16\">no blind spots</text>\n</svg>");
        return s;
    }
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in points {
        lat0 = lat0.min(p.lat);
        lat1 = lat1.max(p.lat);
        lon0 = lon0.min(p.lon);
        lon1 = lon1.max(p.lon);
    }
    let k = ((lat0 + lat1) / 2.0).to_radians().cos();
    let span_x = ((lon1 - lon0) * k).max(1e-6);
    let span_y = (lat1 - lat0).max(1e-6);
    let legend_h = 30.0;
    let scale = ((width - 2.0 * pad) / span_x).min((height - 2.0 * pad - legend_h) / span_y);
    let off_x = (width - span_x * scale) / 2.0;
    let px = |lon: f64| off_x + (lon - lon0) * k * scale;
    let py = |lat: f64| pad + legend_h + (lat1 - lat) * scale;
    // Draw resolved (background) classes first so open spots stay on top.
    for class in (0..legend.len()).rev() {
        let color = legend[class].1;
        for p in points.iter().filter(|p| p.class == class) {
            let _ = writeln!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{color}\" fill-opacity=\"0.8\"/>",
                px(p.lon),
                py(p.lat)
            );
        }
    }
    for (name, lat, lon) in labels {
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"14\" text-anchor=\"middle\" fill=\"#24292f\" \
             stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
            px(*lon),
            py(*lat),
            escape(name)
        );
    }
    let mut x = pad;
    for (name, color) in legend {
        let _ = writeln!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"6\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"14\">{}</text>",
            x + 6.0,
            pad,
            x + 16.0,
            pad + 5.0,
            escape(name)
        );
        x += 30.0 + 9.0 * name.len() as f64;
    }
    s.push_str("</svg>\n");
    s
}
