//! The PromQL subset the evaluator implements, checked once per rule at load time by one
//! walk over the AST. Keeping this list next to the evaluator's `match` arms is what lets
//! the evaluator treat anything else as unreachable-by-construction (it still returns an
//! error rather than panicking, in case the two ever drift).

use promql_parser::label::MatchOp;
use promql_parser::parser::{Expr, VectorSelector};

/// Range-vector functions the evaluator implements.
pub const RANGE_FUNCTIONS: &[&str] = &[
    "rate",
    "irate",
    "increase",
    "avg_over_time",
    "min_over_time",
    "max_over_time",
    "sum_over_time",
    "count_over_time",
];

/// Instant-vector functions the evaluator implements.
pub const INSTANT_FUNCTIONS: &[&str] = &["absent"];

/// Aggregation operators the evaluator implements.
pub const AGGREGATIONS: &[&str] = &["sum", "avg", "min", "max", "count"];

/// Binary operators the evaluator implements.
pub const BINARY_OPERATORS: &[&str] = &[
    "+", "-", "*", "/", "%", "^", "==", "!=", "<", "<=", ">", ">=", "and", "or", "unless",
];

/// Why a parsed expression is outside the supported subset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn no(msg: impl Into<String>) -> Result<(), Unsupported> {
    Err(Unsupported(msg.into()))
}

/// Walks `expr` and refuses the first feature the evaluator does not implement.
pub fn check(expr: &Expr) -> Result<(), Unsupported> {
    match expr {
        Expr::NumberLiteral(_) => Ok(()),
        Expr::StringLiteral(_) => no("string literals are not supported"),
        Expr::Paren(p) => check(&p.expr),
        Expr::Unary(u) => check(&u.expr),
        Expr::VectorSelector(vs) => check_selector(vs),
        Expr::MatrixSelector(_) => {
            no("a range vector selector is only supported as the argument of a range function")
        }
        Expr::Subquery(_) => no("subqueries (`[range:step]`) are not supported yet"),
        Expr::Extension(_) => no("extension expressions are not supported"),
        Expr::Call(call) => {
            let name = call.func.name;
            if RANGE_FUNCTIONS.contains(&name) {
                match call.args.args.as_slice() {
                    [arg] => match arg.as_ref() {
                        Expr::MatrixSelector(ms) => check_selector(&ms.vs),
                        Expr::Subquery(_) => {
                            no("subqueries (`[range:step]`) are not supported yet")
                        }
                        _ => no(format!("function `{name}` needs a range vector selector")),
                    },
                    _ => no(format!("function `{name}` takes exactly one argument")),
                }
            } else if INSTANT_FUNCTIONS.contains(&name) {
                call.args.args.iter().try_for_each(|a| check(a))
            } else {
                no(format!("function `{name}` is not supported yet"))
            }
        }
        Expr::Aggregate(agg) => {
            let op = agg.op.to_string();
            if !AGGREGATIONS.contains(&op.as_str()) {
                return no(format!("aggregation `{op}` is not supported yet"));
            }
            if agg.param.is_some() {
                return no(format!(
                    "aggregation `{op}` with a parameter is not supported yet"
                ));
            }
            check(&agg.expr)
        }
        Expr::Binary(b) => {
            let op = b.op.to_string();
            if !BINARY_OPERATORS.contains(&op.as_str()) {
                return no(format!("binary operator `{op}` is not supported yet"));
            }
            if let Some(m) = &b.modifier
                && (m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some())
            {
                return no("`fill` modifiers are not supported");
            }
            check(&b.lhs)?;
            check(&b.rhs)
        }
    }
}

fn check_selector(vs: &VectorSelector) -> Result<(), Unsupported> {
    if vs.at.is_some() {
        return no("the `@` modifier is not supported yet");
    }
    if matches!(vs.offset, Some(promql_parser::parser::Offset::Neg(_))) {
        return no("negative offsets are not supported");
    }
    if !vs.matchers.or_matchers.is_empty() {
        return no("`or` inside label matchers is not supported yet");
    }
    // The parser already compiled the regexes; nothing else to check per matcher, but keep
    // the match exhaustive so a new operator in the parser shows up here at compile time.
    for m in &vs.matchers.matchers {
        match m.op {
            MatchOp::Equal | MatchOp::NotEqual | MatchOp::Re(_) | MatchOp::NotRe(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(q: &str) -> Result<(), String> {
        let e = promql_parser::parser::parse(q).map_err(|e| format!("parse: {e}"))?;
        check(&e).map_err(|u| u.0)
    }

    #[test]
    fn accepts_the_subset() {
        for q in [
            "up",
            "up{job=\"a\", instance!=\"b\", x=~\"c.*\", y!~\"d\"} offset 5m",
            "rate(x[5m]) > 3",
            "sum by (a) (rate(x[5m])) / on(a) sum by (a) (rate(y[5m]))",
            "a and ignoring(b) c or d unless e",
            "absent(up{job=\"x\"})",
            "-x + 2 ^ 3 % 4",
            "count without (ifIndex) (ifOperStatus != bool 1)",
            "avg_over_time(x[10m]) < min_over_time(x[1h])",
            "a * on(x) group_left(y) b",
            "a / ignoring(z) group_right c",
        ] {
            assert_eq!(verdict(q), Ok(()), "{q}");
        }
    }

    #[test]
    fn refuses_the_rest() {
        for (q, want) in [
            (
                "histogram_quantile(0.9, rate(x_bucket[5m]))",
                "function `histogram_quantile` is not supported yet",
            ),
            (
                "quantile(0.9, x)",
                "aggregation `quantile` is not supported yet",
            ),
            (
                "x[5m]",
                "a range vector selector is only supported as the argument of a range function",
            ),
            (
                "label_replace(x, \"a\", \"$1\", \"b\", \"(.*)\")",
                "function `label_replace` is not supported yet",
            ),
            ("stddev(x)", "aggregation `stddev` is not supported yet"),
            ("x atan2 y", "binary operator `atan2` is not supported yet"),
        ] {
            let got = verdict(q).unwrap_err();
            assert!(got.contains(want), "{q}: {got}");
        }
    }
}
