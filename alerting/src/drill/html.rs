//! The HTML form of a drill report: one self-contained page (inline CSS, inline SVG
//! timeline, no script, nothing fetched), so it can be mailed or archived as a file.

use super::report::DrillReport;
use std::fmt::Write as _;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const WIDTH: f64 = 1000.0;
const LEFT: f64 = 300.0;
const ROW: f64 = 22.0;

/// The timeline: one row per injection (diamond at the injection, line to its detection)
/// and one per alert (bar from firing to resolution or drill end, ticks for acks).
fn timeline(r: &DrillReport) -> String {
    let (start, end) = (r.drill.start_ms, r.drill.end_ms);
    let span = (end - start).max(1) as f64;
    let x = |ms: i64| LEFT + (ms.clamp(start, end) - start) as f64 / span * (WIDTH - LEFT - 10.0);
    let rows = r.incidents.len() + r.alerts.len();
    let height = 40.0 + ROW * rows as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Drill timeline">"#
    );
    // Axis with 5 ticks.
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="20" x2="{}" y2="20" stroke="#555"/>"##,
        WIDTH - 10.0
    );
    for k in 0..=4 {
        let ms = start + (end - start) * k / 4;
        let label = &crate::time::rfc3339_millis(ms)[11..16];
        // The last label would overflow the right edge if centred.
        let anchor = if k == 4 { "end" } else { "middle" };
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" y1="16" x2="{0:.1}" y2="{1}" stroke="#ddd"/><text x="{0:.1}" y="12" font-size="10" text-anchor="{anchor}">{label} UTC</text>"##,
            x(ms),
            height
        );
    }
    let mut y = 40.0;
    for i in &r.incidents {
        let xi = x(i.injected_at_ms);
        let _ = write!(
            s,
            r##"<text x="4" y="{:.1}" font-size="11">{} ({})</text><path d="M{xi:.1} {:.1} l5 5 l-5 5 l-5 -5 z" fill="{}"><title>{} injected</title></path>"##,
            y + 4.0,
            esc(&i.injection_id),
            esc(&i.kind),
            y - 5.0,
            if i.detected_at_ms.is_some() {
                "#1f77b4"
            } else {
                "#d62728"
            },
            esc(&i.injection_id)
        );
        if let Some(d) = i.detected_at_ms {
            let _ = write!(
                s,
                r##"<line x1="{xi:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#1f77b4" stroke-dasharray="3 2"><title>detected after {:.0} s</title></line>"##,
                x(d),
                i.time_to_detect_seconds.unwrap_or(0.0)
            );
        }
        y += ROW;
    }
    for a in &r.alerts {
        let false_alarm = r.false_alarms.iter().any(|f| f.id == a.id);
        let (x0, x1) = (x(a.fired_at_ms), x(a.resolved_at_ms.unwrap_or(end)));
        let _ = write!(
            s,
            r##"<text x="4" y="{:.1}" font-size="11">{} {}</text><rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="10" fill="{}"><title>{} {} ({})</title></rect>"##,
            y + 4.0,
            esc(&a.alertname),
            esc(a.labels.get("target").map_or("", String::as_str)),
            y - 5.0,
            (x1 - x0).max(2.0),
            if false_alarm { "#ff7f0e" } else { "#2ca02c" },
            esc(&a.alertname),
            esc(a.labels.get("target").map_or("", String::as_str)),
            esc(&a.severity)
        );
        for k in r.acks.iter().filter(|k| k.alert_id == a.id) {
            let _ = write!(
                s,
                r##"<line x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" stroke="#000" stroke-width="2"><title>acknowledged by {3}</title></line>"##,
                x(k.at_ms),
                y - 7.0,
                y + 7.0,
                esc(&k.who)
            );
        }
        y += ROW;
    }
    s.push_str("</svg>");
    s
}

pub fn render(r: &DrillReport) -> String {
    let secs = |v: Option<f64>| v.map_or_else(|| "—".to_string(), |s| format!("{s:.0} s"));
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Drill report: {0}</title>\
<style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:1em 0}}\
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}.missed{{color:#d62728;font-weight:bold}}\
.figures td:first-child{{font-weight:bold}}</style></head><body><h1>Drill report: {0}</h1>",
        esc(&r.drill.name)
    );
    let scope: Vec<String> = r.drill.scope.iter().map(|c| c.to_string()).collect();
    let _ = write!(
        o,
        "<table class=\"figures\"><tr><td>Period</td><td>{} – {}</td></tr><tr><td>Scope</td><td>{}</td></tr>\
<tr><td>Injections</td><td>{}</td></tr><tr><td>Detected</td><td>{}</td></tr><tr><td>Detection coverage</td><td>{:.1} %</td></tr>\
<tr><td>MTTD</td><td>{}</td></tr><tr><td>MTTA</td><td>{}</td></tr><tr><td>False alarms</td><td>{}</td></tr></table>",
        r.start,
        r.end,
        esc(&scope.join(", ")),
        r.injections,
        r.detected,
        r.detection_coverage * 100.0,
        secs(r.mttd_seconds),
        secs(r.mtta_seconds),
        r.false_alarms.len()
    );
    let _ = write!(o, "<h2>Timeline</h2>{}", timeline(r));
    o.push_str("<h2>Incidents</h2><table><tr><th>Injection</th><th>Kind</th><th>Target</th><th>Injected</th><th>Detected by</th><th>TTD</th><th>Acknowledged by</th><th>TTA</th></tr>");
    for i in &r.incidents {
        let detected = i
            .detected_by
            .as_deref()
            .map_or_else(|| "<span class=\"missed\">missed</span>".to_string(), esc);
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{detected}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&i.injection_id),
            esc(&i.kind),
            esc(&i.target),
            i.injected_at,
            secs(i.time_to_detect_seconds),
            esc(i.acknowledged_by.as_deref().unwrap_or("—")),
            secs(i.time_to_acknowledge_seconds)
        );
    }
    o.push_str("</table><h2>False alarms</h2><table><tr><th>Alert</th><th>Target</th><th>Severity</th><th>Category</th></tr>");
    for a in &r.false_alarms {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.alertname),
            esc(a.labels.get("target").map_or("", String::as_str)),
            esc(&a.severity),
            esc(&a.category)
        );
    }
    o.push_str("</table><h2>Alerts by category and severity</h2><table><tr><th>Category</th><th>Alerts</th></tr>");
    for (k, v) in &r.alerts_by_category {
        let _ = write!(o, "<tr><td>{}</td><td>{v}</td></tr>", esc(k));
    }
    o.push_str("</table><table><tr><th>Severity</th><th>Alerts</th></tr>");
    for (k, v) in &r.alerts_by_severity {
        let _ = write!(o, "<tr><td>{}</td><td>{v}</td></tr>", esc(k));
    }
    o.push_str("</table></body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use crate::drill::report::DrillReport;

    #[test]
    fn renders_a_self_contained_page_with_a_timeline() {
        let (mut d, i, a, k) = crate::drill::report::tests::scripted();
        d.name = "<script>alert(1)</script>".into();
        let html = super::render(&DrillReport::build(&d, &i, &a, &k).unwrap());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("<script>"), "names are escaped");
        assert!(html.contains("&lt;script&gt;"));
        assert!(
            !html.contains("http://") || html.matches("http://").count() == 1,
            "only the SVG namespace"
        );
        assert!(!html.contains("src="));
        let svg = &html[html.find("<svg").unwrap()..html.find("</svg>").unwrap()];
        // 3 injections (one missed, drawn red), 5 alerts (2 false alarms, orange), 4 acks.
        assert_eq!(svg.matches("<path").count(), 3);
        assert_eq!(svg.matches("fill=\"#d62728\"").count(), 1);
        assert_eq!(svg.matches("<rect").count(), 5);
        assert_eq!(svg.matches("fill=\"#ff7f0e\"").count(), 2);
        assert_eq!(svg.matches("acknowledged by").count(), 4);
        assert!(html.contains("<td>MTTD</td><td>210 s</td>"));
        assert!(html.contains("<td>Detection coverage</td><td>66.7 %</td>"));
    }
}
