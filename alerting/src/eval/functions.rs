//! Functions: the range-vector ones (`rate`, `irate`, `increase`, `*_over_time`) and
//! `absent`. `rate`/`increase` reproduce Prometheus 2.x `extrapolatedRate` exactly:
//! counter resets add the pre-reset value, and the result is extrapolated towards the
//! window edges (but not past where the counter would have been zero).

use super::{Ctx, Element, METRIC_NAME, Value, err};
use crate::error::EvalError;
use netops_core::Labels;
use promql_parser::label::MatchOp;
use promql_parser::parser::{Call, Expr};

pub(super) fn call(ctx: &Ctx<'_>, call: &Call) -> Result<Value, EvalError> {
    let name = call.func.name;
    let args = &call.args.args;
    if name == "absent" {
        let [arg] = args.as_slice() else {
            return err("absent() takes one argument");
        };
        return absent(ctx, arg);
    }
    let [arg] = args.as_slice() else {
        return err(format!("{name}() takes one argument"));
    };
    let Expr::MatrixSelector(ms) = arg.as_ref() else {
        return err(format!("{name}() needs a range vector selector"));
    };
    let (start, end, series) = ctx.range(&ms.vs, ms.range);
    let range_secs = ms.range.as_secs_f64();
    let mut out = Vec::new();
    for (_name, labels, points) in series {
        let value = match name {
            "rate" => extrapolated_rate(points, start, end, range_secs, true, true),
            "increase" => extrapolated_rate(points, start, end, range_secs, true, false),
            "irate" => instant_rate(points),
            "avg_over_time" => Some(incremental_mean(points.iter().map(|p| p.1))),
            "sum_over_time" => Some(kahan_sum(points.iter().map(|p| p.1))),
            "count_over_time" => Some(points.len() as f64),
            "min_over_time" => points.iter().map(|p| p.1).reduce(min_nan),
            "max_over_time" => points.iter().map(|p| p.1).reduce(max_nan),
            other => return err(format!("function `{other}` is not supported yet")),
        };
        if let Some(value) = value {
            // The stored label set has no `__name__`: functions drop it anyway.
            out.push(Element {
                labels: labels.clone(),
                value,
            });
        }
    }
    Ok(Value::Vector(out))
}

/// One step of Kahan–Neumaier compensated summation, as Prometheus' `kahanSumInc`.
fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// `sum_over_time` as Prometheus computes it (compensated), so results agree to the bit.
fn kahan_sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut c) = (0.0, 0.0);
    for v in values {
        (sum, c) = kahan_inc(v, sum, c);
    }
    sum + c
}

/// `avg_over_time` as Prometheus computes it: a compensated running mean, which cannot
/// overflow where a plain sum would.
fn incremental_mean(values: impl Iterator<Item = f64>) -> f64 {
    let (mut mean, mut c, mut count) = (0.0_f64, 0.0_f64, 0.0_f64);
    for v in values {
        count += 1.0;
        if mean.is_infinite() {
            // Inf stays Inf unless a NaN or an opposite Inf comes along.
            if v.is_infinite() && (mean > 0.0) == (v > 0.0) {
                continue;
            }
            if !v.is_infinite() && !v.is_nan() {
                continue;
            }
        }
        (mean, c) = kahan_inc(v / count - mean / count, mean, c);
    }
    if mean.is_infinite() { mean } else { mean + c }
}

/// Prometheus' min_over_time: NaN only wins when everything is NaN.
fn min_nan(a: f64, b: f64) -> f64 {
    if b < a || a.is_nan() { b } else { a }
}

fn max_nan(a: f64, b: f64) -> f64 {
    if b > a || a.is_nan() { b } else { a }
}

/// `rate`/`increase` (`is_counter`), as Prometheus 2.x `extrapolatedRate`.
fn extrapolated_rate(
    points: &[(i64, f64)],
    range_start: i64,
    range_end: i64,
    range_secs: f64,
    is_counter: bool,
    is_rate: bool,
) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let (first_t, first_v) = points[0];
    let (last_t, last_v) = points[points.len() - 1];
    let mut result = last_v - first_v;
    if is_counter {
        let mut prev = first_v;
        for &(_, v) in &points[1..] {
            if v < prev {
                result += prev;
            }
            prev = v;
        }
    }
    let mut duration_to_start = (first_t - range_start) as f64 / 1000.0;
    let duration_to_end = (range_end - last_t) as f64 / 1000.0;
    let sampled_interval = (last_t - first_t) as f64 / 1000.0;
    let average_between = sampled_interval / (points.len() - 1) as f64;
    if is_counter && result > 0.0 && first_v >= 0.0 {
        // The counter cannot have been below zero: do not extrapolate past that point.
        let duration_to_zero = sampled_interval * (first_v / result);
        if duration_to_zero < duration_to_start {
            duration_to_start = duration_to_zero;
        }
    }
    let threshold = average_between * 1.1;
    let mut extrapolate_to = sampled_interval;
    extrapolate_to += if duration_to_start < threshold {
        duration_to_start
    } else {
        average_between / 2.0
    };
    extrapolate_to += if duration_to_end < threshold {
        duration_to_end
    } else {
        average_between / 2.0
    };
    // The same operation order as Prometheus (one factor, then one multiplication), so
    // results agree to the last bit, not just approximately.
    let mut factor = extrapolate_to / sampled_interval;
    if is_rate {
        factor /= range_secs;
    }
    result *= factor;
    Some(result)
}

/// `irate`: per-second rate between the last two samples; a drop counts as a reset.
fn instant_rate(points: &[(i64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let (prev_t, prev_v) = points[points.len() - 2];
    let (last_t, last_v) = points[points.len() - 1];
    let delta = if last_v < prev_v {
        last_v
    } else {
        last_v - prev_v
    };
    let interval = last_t - prev_t;
    if interval == 0 {
        return None;
    }
    Some(delta / (interval as f64 / 1000.0))
}

/// `absent(v)`: nothing when `v` has elements; otherwise one element of value 1, labelled
/// with the selector's equality matchers (as Prometheus does, a label matched twice is left out).
fn absent(ctx: &Ctx<'_>, arg: &Expr) -> Result<Value, EvalError> {
    let present = match ctx.eval(arg)? {
        Value::Vector(v) => !v.is_empty(),
        Value::Scalar(_) => return err("absent() needs an instant vector"),
    };
    if present {
        return Ok(Value::Vector(Vec::new()));
    }
    let mut labels = Labels::new();
    if let Expr::VectorSelector(vs) = arg {
        let eq: Vec<_> = vs
            .matchers
            .matchers
            .iter()
            .filter(|m| m.name != METRIC_NAME && matches!(m.op, MatchOp::Equal))
            .collect();
        for m in &eq {
            if eq.iter().filter(|o| o.name == m.name).count() == 1 {
                labels.insert(m.name.clone(), m.value.clone());
            }
        }
    }
    Ok(Value::Vector(vec![Element { labels, value: 1.0 }]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_with_reset_and_extrapolation() {
        // Samples every 15 s in a 60 s window ending at 60 s; counter resets at 45 s.
        let pts = [
            (0, 10.0),
            (15_000, 20.0),
            (30_000, 30.0),
            (45_000, 5.0),
            (60_000, 15.0),
        ];
        // increase = 15 - 10 + 30 (reset) = 35 over 60 s sampled; window is [0, 60] so
        // no extrapolation is needed.
        let inc = extrapolated_rate(&pts, 0, 60_000, 60.0, true, false).unwrap();
        assert!((inc - 35.0).abs() < 1e-9, "{inc}");
        // Window [−10 s, 70 s] (80 s): both edges are within 1.1 × 15 s, so extrapolate
        // by 10 s each side: 35 × 80 / 60. Zero-point limit: 60 × 10/35 ≈ 17 s > 10 s.
        let r = extrapolated_rate(&pts, -10_000, 70_000, 80.0, true, true).unwrap();
        assert!((r - 35.0 * 80.0 / 60.0 / 80.0).abs() < 1e-9, "{r}");
        // A counter that started near zero: extrapolation to the start stops at zero.
        let pts = [(20_000, 1.0), (35_000, 4.0), (50_000, 7.0)];
        let inc = extrapolated_rate(&pts, 0, 60_000, 60.0, true, false).unwrap();
        // to_start = 20 s but to_zero = 30 × 1/6 = 5 s (< 16.5 threshold → used);
        // to_end = 10 s (< 16.5) → 30 + 5 + 10 = 45 s; 6 × 45/30 = 9.
        assert!((inc - 9.0).abs() < 1e-9, "{inc}");
        assert_eq!(
            extrapolated_rate(&pts[..1], 0, 60_000, 60.0, true, false),
            None
        );
    }

    #[test]
    fn irate_uses_last_two() {
        assert_eq!(
            instant_rate(&[(0, 1.0), (10_000, 5.0), (20_000, 25.0)]),
            Some(2.0)
        );
        assert_eq!(instant_rate(&[(0, 100.0), (10_000, 30.0)]), Some(3.0));
        assert_eq!(instant_rate(&[(0, 1.0)]), None);
    }
}
