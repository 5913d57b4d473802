//! Binary operators: arithmetic, comparisons (filtering or `bool`), and the set operators
//! `and`/`or`/`unless`, between scalars and vectors, with `on (…)` / `ignoring (…)`
//! one-to-one vector matching as in Prometheus 2.x.

use super::{Ctx, Element, METRIC_NAME, Value, drop_name, err};
use crate::error::EvalError;
use netops_core::Labels;
use promql_parser::parser::{BinModifier, BinaryExpr, LabelModifier, VectorMatchCardinality};
use std::collections::{HashMap, HashSet};

fn is_comparison(op: &str) -> bool {
    matches!(op, "==" | "!=" | "<" | "<=" | ">" | ">=")
}

fn is_set(op: &str) -> bool {
    matches!(op, "and" | "or" | "unless")
}

/// Applies an arithmetic or comparison operator. For comparisons, returns the left value and
/// whether the comparison holds (Prometheus' `vectorElemBinop`).
fn apply(op: &str, l: f64, r: f64) -> Result<(f64, bool), EvalError> {
    Ok(match op {
        "+" => (l + r, true),
        "-" => (l - r, true),
        "*" => (l * r, true),
        "/" => (l / r, true),
        // Go's math.Mod and Rust's `%` on f64 are both C's fmod.
        "%" => (l % r, true),
        "^" => (l.powf(r), true),
        "==" => (l, l == r),
        "!=" => (l, l != r),
        "<" => (l, l < r),
        "<=" => (l, l <= r),
        ">" => (l, l > r),
        ">=" => (l, l >= r),
        other => return err(format!("binary operator `{other}` is not supported yet")),
    })
}

pub(super) fn binary(ctx: &Ctx<'_>, b: &BinaryExpr) -> Result<Value, EvalError> {
    let op = b.op.to_string();
    let return_bool = b.modifier.as_ref().is_some_and(|m| m.return_bool);
    let lhs = ctx.eval(&b.lhs)?;
    let rhs = ctx.eval(&b.rhs)?;
    match (lhs, rhs) {
        (Value::Scalar(l), Value::Scalar(r)) => {
            let (v, keep) = apply(&op, l, r)?;
            Ok(Value::Scalar(if is_comparison(&op) {
                if keep { 1.0 } else { 0.0 }
            } else {
                v
            }))
        }
        (Value::Vector(l), Value::Scalar(r)) => vector_scalar(&op, l, r, false, return_bool),
        (Value::Scalar(l), Value::Vector(r)) => vector_scalar(&op, r, l, true, return_bool),
        (Value::Vector(l), Value::Vector(r)) => {
            if is_set(&op) {
                Ok(Value::Vector(set_op(&op, l, r, b.modifier.as_ref())))
            } else {
                vector_vector(&op, l, r, b.modifier.as_ref(), return_bool)
            }
        }
    }
}

fn vector_scalar(
    op: &str,
    vector: Vec<Element>,
    scalar: f64,
    swapped: bool,
    return_bool: bool,
) -> Result<Value, EvalError> {
    let comparison = is_comparison(op);
    let mut out = Vec::with_capacity(vector.len());
    for e in vector {
        let (l, r) = if swapped {
            (scalar, e.value)
        } else {
            (e.value, scalar)
        };
        let (mut value, keep) = apply(op, l, r)?;
        // The vector's value is the one kept, even when the scalar is on the left.
        if comparison && swapped {
            value = r;
        }
        let labels = if !comparison || return_bool {
            drop_name(&e.labels)
        } else {
            e.labels
        };
        if return_bool {
            out.push(Element {
                labels,
                value: if keep { 1.0 } else { 0.0 },
            });
        } else if keep {
            out.push(Element { labels, value });
        }
    }
    Ok(Value::Vector(out))
}

/// The labels a vector element is matched on.
fn signature(labels: &Labels, modifier: Option<&BinModifier>) -> Labels {
    match modifier.and_then(|m| m.matching.as_ref()) {
        Some(LabelModifier::Include(on)) => labels
            .iter()
            .filter(|(n, _)| on.labels.iter().any(|k| k == n))
            .collect(),
        Some(LabelModifier::Exclude(ign)) => labels
            .iter()
            .filter(|(n, _)| *n != METRIC_NAME && !ign.labels.iter().any(|k| k == n))
            .collect(),
        None => drop_name(labels),
    }
}

fn set_op(op: &str, l: Vec<Element>, r: Vec<Element>, m: Option<&BinModifier>) -> Vec<Element> {
    let rhs_sigs: HashSet<Labels> = r.iter().map(|e| signature(&e.labels, m)).collect();
    match op {
        "and" => l
            .into_iter()
            .filter(|e| rhs_sigs.contains(&signature(&e.labels, m)))
            .collect(),
        "unless" => l
            .into_iter()
            .filter(|e| !rhs_sigs.contains(&signature(&e.labels, m)))
            .collect(),
        _ => {
            let lhs_sigs: HashSet<Labels> = l.iter().map(|e| signature(&e.labels, m)).collect();
            let mut out = l;
            out.extend(
                r.into_iter()
                    .filter(|e| !lhs_sigs.contains(&signature(&e.labels, m))),
            );
            out
        }
    }
}

fn vector_vector(
    op: &str,
    l: Vec<Element>,
    r: Vec<Element>,
    m: Option<&BinModifier>,
    return_bool: bool,
) -> Result<Value, EvalError> {
    let comparison = is_comparison(op);
    let card = m.map_or(&VectorMatchCardinality::OneToOne, |m| &m.card);
    // As Prometheus: for one-to-many, swap sides so the right side is always the "one".
    let (many, one, swapped, include) = match card {
        VectorMatchCardinality::OneToMany(inc) => (r, l, true, Some(inc)),
        VectorMatchCardinality::ManyToOne(inc) => (l, r, false, Some(inc)),
        _ => (l, r, false, None),
    };
    let one_side = if swapped { "left" } else { "right" };
    let mut one_by_sig: HashMap<Labels, Element> = HashMap::with_capacity(one.len());
    for e in one {
        let sig = signature(&e.labels, m);
        if one_by_sig.contains_key(&sig) {
            return err(format!(
                "found duplicate series for the match group {sig} on the {one_side} hand-side of the operation: many-to-many matching not allowed: matching labels must be unique on one side"
            ));
        }
        one_by_sig.insert(sig, e);
    }
    let mut matched: HashMap<Labels, HashSet<Labels>> = HashMap::new();
    let mut out = Vec::new();
    for e in many {
        let sig = signature(&e.labels, m);
        let Some(other) = one_by_sig.get(&sig) else {
            continue;
        };
        let (lv, rv) = if swapped {
            (other.value, e.value)
        } else {
            (e.value, other.value)
        };
        let (value, keep) = apply(op, lv, rv)?;
        // Filtered-out pairs do not count as matches (Prometheus checks duplicates after
        // the filter).
        if !keep && !return_bool {
            continue;
        }
        let mut labels = if !comparison || return_bool {
            drop_name(&e.labels)
        } else {
            e.labels
        };
        match (include, m.and_then(|m| m.matching.as_ref())) {
            (None, Some(LabelModifier::Include(on))) => {
                labels = labels
                    .iter()
                    .filter(|(n, _)| on.labels.iter().any(|k| k == n))
                    .collect();
            }
            (None, Some(LabelModifier::Exclude(ign))) => {
                labels = labels
                    .iter()
                    .filter(|(n, _)| !ign.labels.iter().any(|k| k == n))
                    .collect();
            }
            _ => {}
        }
        if let Some(include) = include {
            // `group_x(labels)`: copied from the "one" side (removed when empty there).
            for name in &include.labels {
                match other.labels.get(name) {
                    Some(v) if !v.is_empty() => labels.insert(name.clone(), v),
                    _ => labels = labels.iter().filter(|(n, _)| n != name).collect(),
                }
            }
        }
        let inserted = matched.entry(sig.clone()).or_default();
        if include.is_none() {
            if !inserted.is_empty() {
                return err(format!(
                    "multiple matches for labels {sig}: many-to-one matching must be explicit (group_left/group_right)"
                ));
            }
            inserted.insert(Labels::new());
        } else if !inserted.insert(labels.clone()) {
            return err(format!(
                "multiple matches for labels {sig}: grouping labels must ensure unique matches"
            ));
        }
        let value = if return_bool {
            if keep { 1.0 } else { 0.0 }
        } else {
            value
        };
        out.push(Element { labels, value });
    }
    Ok(Value::Vector(out))
}
