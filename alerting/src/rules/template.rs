//! The small part of Prometheus' Go templating that alert annotations actually use:
//! `{{ $labels.name }}`, `{{ $value }}` and `{{ $externalLabels.name }}` is *not* included.
//! Anything else inside `{{ }}` is refused at load time, so an annotation never reaches an
//! operator with a half-expanded template in it.

use netops_core::Labels;

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Value,
    Label(String),
}

/// A parsed annotation or label template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| format!("unclosed `{{{{` in {text:?}"))?;
            let action = after[..close]
                .trim()
                .trim_start_matches('-')
                .trim_end_matches('-')
                .trim();
            if action == "$value" || action == ".Value" {
                parts.push(Part::Value);
            } else if let Some(name) = action
                .strip_prefix("$labels.")
                .or_else(|| action.strip_prefix(".Labels."))
            {
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(format!("bad label reference `{{{{ {action} }}}}`"));
                }
                parts.push(Part::Label(name.to_string()));
            } else {
                return Err(format!(
                    "template action `{{{{ {action} }}}}` is not supported (only `{{{{ $labels.NAME }}}}` and `{{{{ $value }}}}`)"
                ));
            }
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Self { parts })
    }

    /// Expands the template. A missing label expands to the empty string, as in Prometheus.
    pub fn expand(&self, labels: &Labels, value: f64) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Value => out.push_str(&format_value(value)),
                Part::Label(name) => out.push_str(labels.get(name).unwrap_or("")),
            }
        }
        out
    }
}

/// Formats a sample value the way Prometheus' Go templates print a float64 (`%v`, that is
/// `strconv.FormatFloat(v, 'g', -1, 64)`): shortest digits, exponent form when the decimal
/// exponent is below -4 or at least 6 (`1e+06`, `1.5e-05`), `+Inf`, `-Inf`, `NaN`.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_labels_and_value() {
        let t = Template::parse(
            "{{ $labels.ifName }} on {{$labels.target}} at {{ $value }}% ({{ $labels.nope }})",
        )
        .unwrap();
        let l = Labels::new()
            .with("ifName", "ge-0/0/1")
            .with("target", "r1");
        assert_eq!(t.expand(&l, 97.5), "ge-0/0/1 on r1 at 97.5% ()");
        assert_eq!(Template::parse("plain").unwrap().expand(&l, 1.0), "plain");
        assert_eq!(
            Template::parse("{{ $value }}").unwrap().expand(&l, 3.0),
            "3"
        );
    }

    #[test]
    fn refuses_other_actions() {
        assert!(
            Template::parse("{{ $value | humanize }}")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(Template::parse("{{ if gt $value 1.0 }}x{{ end }}").is_err());
        assert!(
            Template::parse("open {{ $value")
                .unwrap_err()
                .contains("unclosed")
        );
    }

    #[test]
    fn values_print_as_go_does() {
        // fmt.Println in Go for each of these values.
        for (v, want) in [
            (3.0, "3"),
            (0.96, "0.96"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.000015, "1.5e-05"),
            (-2.5e-7, "-2.5e-07"),
            (1.5e300, "1.5e+300"),
            (0.0, "0"),
            (f64::INFINITY, "+Inf"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(format_value(v), want, "{v}");
        }
    }
}
