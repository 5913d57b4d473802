//! The PromQL evaluator: instant queries at one time `t` over the [`SampleStore`] window.
//!
//! Semantics follow Prometheus 2.x (the version Debian ships and the integration test
//! compares against): a 5-minute lookback for instant selectors, closed `[t-range, t]`
//! windows for range selectors, counter-reset handling and extrapolation in
//! `rate`/`increase`, and Prometheus' label rules (functions, arithmetic and `bool`
//! comparisons drop `__name__`; filtering comparisons keep it).

mod aggregate;
mod binary;
mod functions;
pub mod store;

use crate::error::EvalError;
use crate::time::{duration_millis, to_millis};
use netops_core::Labels;
use promql_parser::parser::{Expr, Offset, VectorSelector};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
pub use store::{DEFAULT_RETENTION, SampleStore, SeriesMap};

/// The label holding the metric name inside an element's label set.
pub const METRIC_NAME: &str = "__name__";

/// How far back an instant selector looks for the latest sample (Prometheus' default).
pub const DEFAULT_LOOKBACK: Duration = Duration::from_secs(300);

/// One element of an instant vector: a label set (with `__name__` when it still has a
/// metric name) and a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub labels: Labels,
    pub value: f64,
}

/// The result of evaluating an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(f64),
    Vector(Vec<Element>),
}

/// Evaluates expressions over a shared [`SampleStore`].
#[derive(Debug, Clone)]
pub struct Evaluator {
    store: Arc<SampleStore>,
    lookback_ms: i64,
}

pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError(msg.into()))
}

impl Evaluator {
    pub fn new(store: Arc<SampleStore>) -> Self {
        Self {
            store,
            lookback_ms: duration_millis(DEFAULT_LOOKBACK),
        }
    }

    #[must_use]
    pub fn with_lookback(mut self, lookback: Duration) -> Self {
        self.lookback_ms = duration_millis(lookback);
        self
    }

    pub fn store(&self) -> &Arc<SampleStore> {
        &self.store
    }

    /// Evaluates `expr` at `at`. A scalar result becomes a one-element vector with no labels,
    /// as in Prometheus' rule evaluation.
    pub fn eval_vector(&self, expr: &Expr, at: SystemTime) -> Result<Vec<Element>, EvalError> {
        let out = match self.eval(expr, at)? {
            Value::Scalar(v) => vec![Element {
                labels: Labels::new(),
                value: v,
            }],
            Value::Vector(v) => v,
        };
        ensure_unique(out)
    }

    /// Evaluates `expr` at `at`.
    pub fn eval(&self, expr: &Expr, at: SystemTime) -> Result<Value, EvalError> {
        let t = to_millis(at);
        let window = self.store.window(t);
        let ctx = Ctx {
            series: &window,
            t,
            lookback_ms: self.lookback_ms,
        };
        ctx.eval(expr)
    }
}

struct Ctx<'a> {
    series: &'a SeriesMap,
    t: i64,
    lookback_ms: i64,
}

/// Series selected by a selector: metric name, label set (without `__name__`), points.
/// Borrowed, so that range functions (which drop the name anyway) never copy labels.
type Selected<'a> = Vec<(&'a str, &'a Labels, &'a [(i64, f64)])>;

impl<'a> Ctx<'a> {
    fn eval(&self, expr: &Expr) -> Result<Value, EvalError> {
        match expr {
            Expr::NumberLiteral(n) => Ok(Value::Scalar(n.val)),
            Expr::Paren(p) => self.eval(&p.expr),
            Expr::Unary(u) => Ok(match self.eval(&u.expr)? {
                Value::Scalar(v) => Value::Scalar(-v),
                Value::Vector(v) => Value::Vector(
                    v.into_iter()
                        .map(|e| Element {
                            labels: drop_name(&e.labels),
                            value: -e.value,
                        })
                        .collect(),
                ),
            }),
            Expr::VectorSelector(vs) => Ok(Value::Vector(self.instant(vs))),
            // As Prometheus' rangeEval: once names are dropped, two series may collapse into
            // one label set, which is an error rather than a silent merge.
            Expr::Call(call) => unique_value(functions::call(self, call)?),
            Expr::Aggregate(agg) => aggregate::aggregate(self, agg),
            Expr::Binary(b) => unique_value(binary::binary(self, b)?),
            other => err(format!("`{other}` is not supported by the evaluator")),
        }
    }

    fn select(&self, vs: &VectorSelector) -> Selected<'a> {
        let mut out = Vec::new();
        let names: Vec<(&String, &HashMap<Labels, store::Points>)> = match &vs.name {
            Some(n) => self.series.by_name.get_key_value(n).into_iter().collect(),
            None => self.series.by_name.iter().collect(),
        };
        for (name, series) in names {
            let name_ok = vs
                .matchers
                .matchers
                .iter()
                .filter(|m| m.name == METRIC_NAME)
                .all(|m| m.is_match(name));
            if !name_ok {
                continue;
            }
            for (labels, points) in series {
                let ok = vs
                    .matchers
                    .matchers
                    .iter()
                    .filter(|m| m.name != METRIC_NAME)
                    .all(|m| m.is_match(labels.get(&m.name).unwrap_or("")));
                if ok {
                    out.push((name.as_str(), labels, points.as_slice()));
                }
            }
        }
        out
    }

    fn offset_ms(vs: &VectorSelector) -> i64 {
        match &vs.offset {
            Some(Offset::Pos(d)) => duration_millis(*d),
            Some(Offset::Neg(d)) => -duration_millis(*d),
            None => 0,
        }
    }

    /// Instant selector: the latest sample at or before `t - offset`, no older than the
    /// lookback.
    fn instant(&self, vs: &VectorSelector) -> Vec<Element> {
        let te = self.t - Self::offset_ms(vs);
        let mut out = Vec::new();
        for (name, labels, points) in self.select(vs) {
            let idx = points.partition_point(|p| p.0 <= te);
            if idx == 0 {
                continue;
            }
            let (ts, v) = points[idx - 1];
            if ts >= te - self.lookback_ms {
                out.push(Element {
                    labels: labels.clone().with(METRIC_NAME, name),
                    value: v,
                });
            }
        }
        out
    }

    /// Range selector: samples in `[t - offset - range, t - offset]`, with the range
    /// window's bounds, for the range functions.
    fn range(&self, vs: &VectorSelector, range: Duration) -> (i64, i64, Selected<'a>) {
        let end = self.t - Self::offset_ms(vs);
        let start = end - duration_millis(range);
        let out = self
            .select(vs)
            .into_iter()
            .filter_map(|(name, labels, points)| {
                let lo = points.partition_point(|p| p.0 < start);
                let hi = points.partition_point(|p| p.0 <= end);
                (hi > lo).then(|| (name, labels, &points[lo..hi]))
            })
            .collect();
        (start, end, out)
    }
}

fn ensure_unique(v: Vec<Element>) -> Result<Vec<Element>, EvalError> {
    let mut seen = HashSet::new();
    for e in &v {
        if !seen.insert(&e.labels) {
            return err(format!(
                "vector cannot contain metrics with the same labelset {}",
                e.labels
            ));
        }
    }
    Ok(v)
}

fn unique_value(v: Value) -> Result<Value, EvalError> {
    match v {
        Value::Vector(v) => ensure_unique(v).map(Value::Vector),
        scalar => Ok(scalar),
    }
}

/// The label set without `__name__`.
pub(crate) fn drop_name(labels: &Labels) -> Labels {
    labels.iter().filter(|(n, _)| *n != METRIC_NAME).collect()
}

#[cfg(test)]
mod tests;
