//! Rule files in the Prometheus rule-file format, parsed with serde and `promql-parser`.
//!
//! Loading is all-or-nothing: a file with one bad rule is refused with its path, group and
//! rule name, so a half-applied rule set never runs. Only the PromQL subset the evaluator
//! implements is accepted (see [`support`]); anything else is refused at load time rather
//! than failing (or silently misbehaving) at evaluation time.

pub mod support;
pub mod template;

use crate::error::AlertError;
use promql_parser::parser::Expr;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
pub use template::Template;

/// Evaluation interval of a group that does not set `interval` (Prometheus' global default).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    groups: Vec<RawGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: String,
    #[serde(default)]
    interval: Option<String>,
    #[serde(default)]
    limit: Option<u64>,
    rules: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    alert: Option<String>,
    #[serde(default)]
    record: Option<String>,
    expr: String,
    #[serde(default, rename = "for")]
    for_: Option<String>,
    #[serde(default)]
    keep_firing_for: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// All loaded rule groups.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub groups: Vec<RuleGroup>,
}

/// One `groups:` entry: rules evaluated together every `interval`.
#[derive(Debug, Clone)]
pub struct RuleGroup {
    /// The file the group came from (for messages and the alert's generator URL).
    pub file: PathBuf,
    pub name: String,
    pub interval: Duration,
    pub rules: Vec<AlertRule>,
}

/// One alerting rule.
#[derive(Debug, Clone)]
pub struct AlertRule {
    /// The `alert:` name; becomes the `alertname` label.
    pub name: String,
    /// The PromQL text as written (for messages and the generator URL).
    pub expr_text: String,
    pub expr: Expr,
    /// How long the condition must hold before pending becomes firing.
    pub hold: Duration,
    /// How long a firing alert keeps firing after the condition stopped (flap damping).
    pub keep_firing_for: Duration,
    /// Extra labels (templated with `$labels` / `$value`).
    pub labels: BTreeMap<String, Template>,
    pub annotations: BTreeMap<String, Template>,
}

impl RuleSet {
    /// Loads every file in `paths` (a directory loads its `*.yml` / `*.yaml` files, sorted).
    pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<Self, AlertError> {
        let mut files = Vec::new();
        for p in paths {
            let p = p.as_ref();
            if p.is_dir() {
                let entries = std::fs::read_dir(p).map_err(|e| AlertError::RuleFile {
                    path: p.display().to_string(),
                    message: format!("cannot list directory: {e}"),
                })?;
                let mut found: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| {
                        matches!(f.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
                    })
                    .collect();
                found.sort();
                files.extend(found);
            } else {
                files.push(p.to_path_buf());
            }
        }
        let mut set = RuleSet::default();
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|e| AlertError::RuleFile {
                path: file.display().to_string(),
                message: format!("cannot read: {e}"),
            })?;
            set.groups.extend(Self::parse_file(&file, &text)?.groups);
        }
        Ok(set)
    }

    /// Parses one rule file's text; `path` is only used in messages and on the groups.
    pub fn parse_file(path: &Path, text: &str) -> Result<Self, AlertError> {
        let shown = path.display().to_string();
        let raw: RawFile = serde_yaml_ng::from_str(text).map_err(|e| AlertError::RuleFile {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let mut seen = HashSet::new();
        let mut groups = Vec::new();
        for g in raw.groups {
            let group_err = |message: String| AlertError::Group {
                path: shown.clone(),
                group: g.name.clone(),
                message,
            };
            if g.name.is_empty() {
                return Err(group_err("group name must not be empty".into()));
            }
            if !seen.insert(g.name.clone()) {
                return Err(group_err("group name is repeated in the same file".into()));
            }
            if g.limit.is_some_and(|l| l > 0) {
                return Err(group_err("`limit` is not supported yet".into()));
            }
            let interval = match &g.interval {
                None => DEFAULT_INTERVAL,
                Some(s) => match parse_duration(s) {
                    Ok(d) if !d.is_zero() => d,
                    Ok(_) => return Err(group_err("interval must be greater than 0".into())),
                    Err(e) => return Err(group_err(format!("interval {s:?}: {e}"))),
                },
            };
            let mut rules = Vec::new();
            for (i, r) in g.rules.into_iter().enumerate() {
                rules.push(parse_rule(&shown, &g.name, i, r)?);
            }
            groups.push(RuleGroup {
                file: path.to_path_buf(),
                name: g.name,
                interval,
                rules,
            });
        }
        Ok(RuleSet { groups })
    }

    /// Number of alerting rules over all groups.
    pub fn rule_count(&self) -> usize {
        self.groups.iter().map(|g| g.rules.len()).sum()
    }

    /// The shortest group interval: how often the daemon should call `tick`.
    pub fn min_interval(&self) -> Duration {
        self.groups
            .iter()
            .map(|g| g.interval)
            .min()
            .unwrap_or(DEFAULT_INTERVAL)
    }
}

fn parse_rule(path: &str, group: &str, index: usize, r: RawRule) -> Result<AlertRule, AlertError> {
    let shown_name = r
        .alert
        .clone()
        .or_else(|| r.record.clone())
        .unwrap_or_else(|| format!("#{}", index + 1));
    let err = |message: String| AlertError::Rule {
        path: path.to_string(),
        group: group.to_string(),
        rule: shown_name.clone(),
        message,
    };
    let name = match (r.alert, r.record) {
        (Some(_), Some(_)) => {
            return Err(err("a rule has either `alert` or `record`, not both".into()));
        }
        (None, Some(_)) => {
            return Err(err(
                "recording rules (`record`) are not supported; write the expression into the alert"
                    .into(),
            ));
        }
        (None, None) => return Err(err("a rule needs an `alert` name".into())),
        (Some(a), None) => a,
    };
    if !is_label_value_name(&name) {
        return Err(err(format!(
            "alert name {name:?} is not a valid metric name"
        )));
    }
    let expr = promql_parser::parser::parse(&r.expr)
        .map_err(|e| err(format!("expr {:?}: {e}", r.expr)))?;
    support::check(&expr).map_err(|e| err(e.to_string()))?;
    let hold = match &r.for_ {
        None => Duration::ZERO,
        Some(s) => parse_duration(s).map_err(|e| err(format!("for {s:?}: {e}")))?,
    };
    let keep_firing_for = match &r.keep_firing_for {
        None => Duration::ZERO,
        Some(s) => parse_duration(s).map_err(|e| err(format!("keep_firing_for {s:?}: {e}")))?,
    };
    let mut labels = BTreeMap::new();
    for (k, v) in r.labels {
        if !is_label_name(&k) {
            return Err(err(format!("label name {k:?} is not valid")));
        }
        let t = Template::parse(&v).map_err(|e| err(format!("label {k:?}: {e}")))?;
        labels.insert(k, t);
    }
    let mut annotations = BTreeMap::new();
    for (k, v) in r.annotations {
        if !is_label_name(&k) {
            return Err(err(format!("annotation name {k:?} is not valid")));
        }
        let t = Template::parse(&v).map_err(|e| err(format!("annotation {k:?}: {e}")))?;
        annotations.insert(k, t);
    }
    Ok(AlertRule {
        name,
        expr_text: r.expr,
        expr,
        hold,
        keep_firing_for,
        labels,
        annotations,
    })
}

/// Prometheus durations (`30s`, `5m`, `1h30m`, `1d`, `100ms`); `0`, `0s` mean zero.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if !t.is_empty()
        && t.trim_start_matches('0')
            .chars()
            .all(|c| c.is_ascii_alphabetic())
    {
        // promql-parser refuses zero durations, but `for: 0s` is valid in a rule file.
        let unit = t.trim_start_matches('0');
        if matches!(unit, "" | "ms" | "s" | "m" | "h" | "d" | "w" | "y") {
            return Ok(Duration::ZERO);
        }
    }
    promql_parser::util::parse_duration(t)
}

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_label_value_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<RuleSet, String> {
        RuleSet::parse_file(Path::new("rules/x.yml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_a_prometheus_rule_file() {
        let set = load(
            r#"
groups:
  - name: net
    interval: 30s
    rules:
      - alert: TargetDown
        expr: netops_target_up == 0
        for: 2m
        labels: { severity: critical }
        annotations:
          summary: "{{ $labels.target }} is down"
      - alert: Always
        expr: vector(1) > 0
"#,
        );
        // vector() is not in the supported subset: the whole file is refused.
        let msg = set.unwrap_err();
        assert_eq!(
            msg,
            "rules/x.yml: group \"net\", rule \"Always\": function `vector` is not supported yet"
        );
        let set = load(
            r#"
groups:
  - name: net
    interval: 30s
    rules:
      - alert: TargetDown
        expr: netops_target_up == 0
        for: 2m
        labels: { severity: critical }
        annotations:
          summary: "{{ $labels.target }} is down"
  - name: other
    rules:
      - alert: NoFor
        expr: up == 0
"#,
        )
        .unwrap();
        assert_eq!(set.rule_count(), 2);
        assert_eq!(set.groups[0].interval, Duration::from_secs(30));
        assert_eq!(set.groups[1].interval, DEFAULT_INTERVAL);
        assert_eq!(set.groups[0].rules[0].hold, Duration::from_secs(120));
        assert_eq!(set.groups[1].rules[0].hold, Duration::ZERO);
        assert_eq!(set.min_interval(), Duration::from_secs(30));
    }

    #[test]
    fn refusals_name_file_group_rule_and_feature() {
        let cases = [
            (
                "groups: [{name: net, rules: [{alert: Foo, expr: 'predict_linear(x[1h], 3600) < 0'}]}]",
                "rules/x.yml: group \"net\", rule \"Foo\": function `predict_linear` is not supported yet",
            ),
            (
                "groups: [{name: net, rules: [{record: 'job:x:sum', expr: 'sum(x)'}]}]",
                "rules/x.yml: group \"net\", rule \"job:x:sum\": recording rules (`record`) are not supported; write the expression into the alert",
            ),
            (
                "groups: [{name: net, rules: [{alert: Foo, expr: 'rate(x[5m])[10m:1m]'}]}]",
                "rules/x.yml: group \"net\", rule \"Foo\": subqueries (`[range:step]`) are not supported yet",
            ),
            (
                "groups: [{name: net, rules: [{alert: Foo, expr: 'topk(3, x)'}]}]",
                "rules/x.yml: group \"net\", rule \"Foo\": aggregation `topk` is not supported yet",
            ),
            (
                "groups: [{name: net, rules: [{alert: Foo, expr: 'x @ 100'}]}]",
                "rules/x.yml: group \"net\", rule \"Foo\": the `@` modifier is not supported yet",
            ),
            (
                "groups: [{name: net, rules: [{alert: Foo, expr: 'x', for: 5q}]}]",
                "rules/x.yml: group \"net\", rule \"Foo\": for \"5q\": ",
            ),
            (
                "groups: [{name: net, rules: [{alert: Foo, expr: 'x', annotations: {s: '{{ $value | humanize }}'}}]}]",
                "rules/x.yml: group \"net\", rule \"Foo\": annotation \"s\": template action `{{ $value | humanize }}` is not supported",
            ),
            (
                "groups: [{name: net, rules: [{alert: Foo, expr: 'x'}]}, {name: net, rules: []}]",
                "rules/x.yml: group \"net\": group name is repeated in the same file",
            ),
            (
                "groups: [{name: net, rules: [{alert: Foo, expr: 'x +'}]}]",
                "rules/x.yml: group \"net\", rule \"Foo\": expr \"x +\": ",
            ),
        ];
        for (text, want) in cases {
            let got = load(text).unwrap_err();
            assert!(
                got.starts_with(want),
                "for {text}\n got: {got}\nwant: {want}"
            );
        }
    }

    #[test]
    fn unknown_keys_are_refused_with_the_path() {
        let got = load("groups: [{name: net, rulez: []}]").unwrap_err();
        assert!(got.starts_with("rules/x.yml: "), "{got}");
        assert!(got.contains("rulez"), "{got}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("abc").is_err());
    }
}
