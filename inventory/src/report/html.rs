//! The page shell shared by the HTML reports: one file, no external assets, styles that
//! print on A4 portrait (charts are SVG with a viewBox, so they scale to the page width).

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A headline figure box; `id` lets tests and scripts find the value.
pub fn kpi(id: &str, label: &str, value: &str) -> String {
    format!(
        "<div class=\"kpi\"><div class=\"label\">{}</div><div class=\"value\" id=\"{id}\">{}</div></div>\n",
        escape(label),
        escape(value)
    )
}

const STYLE: &str = r#"
@page { size: A4 portrait; margin: 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "DejaVu Sans", sans-serif;
       font-size: 15px; color: #1b1f24; margin: 24px auto; max-width: 1060px; padding: 0 16px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 26px 0 8px; border-bottom: 2px solid #d0d7de; padding-bottom: 4px; break-after: avoid; }
.sub { color: #57606a; margin: 0 0 14px; }
.kpis { display: flex; flex-wrap: wrap; gap: 10px; }
.kpi { flex: 1 1 150px; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; background: #f6f8fa; }
.kpi .label { font-size: 13px; color: #57606a; }
.kpi .value { font-size: 26px; font-weight: 700; }
.headline { font-size: 17px; font-weight: 600; margin: 12px 0; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border-bottom: 1px solid #d8dee4; padding: 4px 8px; text-align: left; }
th { background: #f6f8fa; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 700; border-top: 2px solid #1b1f24; }
tr { break-inside: avoid; }
svg { width: 100%; height: auto; display: block; break-inside: avoid; }
svg text { font-family: inherit; }
.grid { display: flex; gap: 20px; flex-wrap: wrap; }
.grid > div { flex: 1 1 300px; }
.flag { color: #9a3412; font-weight: 600; }
@media print { body { margin: 0; max-width: none; font-size: 11pt; } .kpi .value { font-size: 18pt; } }
"#;

/// A whole page around `body`.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}
