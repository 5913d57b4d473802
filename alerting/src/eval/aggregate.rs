//! `sum`, `avg`, `min`, `max`, `count` with `by (…)` / `without (…)`.

use super::{Ctx, Element, METRIC_NAME, Value, err};
use crate::error::EvalError;
use netops_core::Labels;
use promql_parser::parser::{AggregateExpr, LabelModifier};
use std::collections::BTreeMap;

struct Group {
    sum: f64,
    mean: f64,
    count: usize,
    min: f64,
    max: f64,
}

pub(super) fn aggregate(ctx: &Ctx<'_>, agg: &AggregateExpr) -> Result<Value, EvalError> {
    let op = agg.op.to_string();
    let Value::Vector(input) = ctx.eval(&agg.expr)? else {
        return err(format!("{op}() needs an instant vector"));
    };
    let mut groups: BTreeMap<Labels, Group> = BTreeMap::new();
    for e in input {
        let key = grouping_key(&e.labels, agg.modifier.as_ref());
        let g = groups.entry(key).or_insert(Group {
            sum: 0.0,
            mean: 0.0,
            count: 0,
            min: e.value,
            max: e.value,
        });
        g.sum += e.value;
        g.count += 1;
        // Prometheus' running mean, for bit-identical results (see functions.rs).
        let n = g.count as f64;
        let inf_stays = g.mean.is_infinite()
            && ((e.value.is_infinite() && (g.mean > 0.0) == (e.value > 0.0))
                || (!e.value.is_infinite() && !e.value.is_nan()));
        if !inf_stays {
            g.mean += e.value / n - g.mean / n;
        }
        // As Prometheus: a NaN is replaced by any number that follows.
        if e.value < g.min || g.min.is_nan() {
            g.min = e.value;
        }
        if e.value > g.max || g.max.is_nan() {
            g.max = e.value;
        }
    }
    let mut out = Vec::with_capacity(groups.len());
    for (labels, g) in groups {
        let value = match op.as_str() {
            "sum" => g.sum,
            "avg" => g.mean,
            "count" => g.count as f64,
            "min" => g.min,
            "max" => g.max,
            other => return err(format!("aggregation `{other}` is not supported yet")),
        };
        out.push(Element { labels, value });
    }
    Ok(Value::Vector(out))
}

/// `by`: only the listed labels; `without`: all but the listed ones and `__name__`;
/// neither: one group for everything.
fn grouping_key(labels: &Labels, modifier: Option<&LabelModifier>) -> Labels {
    match modifier {
        None => Labels::new(),
        Some(LabelModifier::Include(keep)) => labels
            .iter()
            .filter(|(n, _)| keep.labels.iter().any(|k| k == n))
            .collect(),
        Some(LabelModifier::Exclude(drop)) => labels
            .iter()
            .filter(|(n, _)| *n != METRIC_NAME && !drop.labels.iter().any(|k| k == n))
            .collect(),
    }
}
