//! Pure InfluxDB line-protocol encoder: samples and events in, bytes out. No I/O, no clock.
//!
//! One sample becomes one line:
//! `<measurement>[,<tag>=<value>...] value=<float> <unix ns>\n`
//! with the metric name as measurement, the labels as tags (already sorted by key, which is
//! the order InfluxDB prefers) and one float field `value`. Every line is written straight
//! into the caller's buffer, so encoding a batch allocates nothing once the buffer has
//! grown to size.
//!
//! Escaping follows the line-protocol reference ("Special characters"):
//! - measurement: `,` and space;
//! - tag keys, tag values, field keys: `,`, `=` and space;
//! - string field values: `"` and `\`.
//!
//! Backslashes are escaped everywhere too: the protocol reads `\\` as one backslash, and an
//! unescaped backslash at the end of a tag value would otherwise escape the `,` or `=` that
//! follows it. Newlines cannot be represented in names or tags at all, and NaN/±Inf have no
//! line-protocol float form, so such samples are skipped and the caller counts them.

use crate::sink::number;
use netops_core::{Event, Sample};
use std::time::{SystemTime, UNIX_EPOCH};

/// The one field every sample line carries. VictoriaMetrics names the series
/// `<measurement>_value` after it.
pub const VALUE_FIELD: &str = "value";

/// Why a sample or event produced no line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// NaN or ±Inf: line protocol has no float literal for them.
    NonFinite,
    /// A newline in the name or a label, an empty name, or a name that starts with `#`
    /// (which would turn the line into a comment).
    Unrepresentable,
}

/// How many lines a batch produced and how many samples it had to skip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EncodeOutcome {
    pub lines: u64,
    pub skipped: u64,
}

/// Appends every sample of `samples` to `out`, one line each, and says how many were
/// written and how many skipped.
pub fn encode_samples(out: &mut Vec<u8>, samples: &[Sample]) -> EncodeOutcome {
    let mut outcome = EncodeOutcome::default();
    for sample in samples {
        match encode_sample(out, sample) {
            Ok(()) => outcome.lines += 1,
            Err(_) => outcome.skipped += 1,
        }
    }
    outcome
}

/// Appends one line for `sample` to `out`. On `Err` nothing was appended.
pub fn encode_sample(out: &mut Vec<u8>, sample: &Sample) -> Result<(), Skip> {
    if !sample.value.is_finite() {
        return Err(Skip::NonFinite);
    }
    let start = out.len();
    let written = write_series(out, &sample.name, sample.labels.iter());
    if written.is_err() {
        out.truncate(start);
        return written;
    }
    out.push(b' ');
    out.extend_from_slice(VALUE_FIELD.as_bytes());
    out.push(b'=');
    write_float(out, sample.value);
    out.push(b' ');
    write_timestamp(out, sample.time);
    out.push(b'\n');
    Ok(())
}

/// Appends one line for `event` to `out`, in measurement `measurement`: the event's labels
/// plus `kind`, `source` and `severity` as tags (an event label of the same name is
/// overridden by them), and the message as string field `message`. A newline in the message
/// becomes a space: an event message is one line by definition, and not every line-protocol
/// parser (VictoriaMetrics' among them) accepts newlines inside quoted strings.
pub fn encode_event(out: &mut Vec<u8>, measurement: &str, event: &Event) -> Result<(), Skip> {
    let mut tags = event.labels.clone();
    tags.insert("kind", event.kind.as_str());
    tags.insert("source", event.source.as_str());
    tags.insert("severity", severity_name(event.severity));
    let start = out.len();
    let written = write_series(out, measurement, tags.iter());
    if written.is_err() {
        out.truncate(start);
        return written;
    }
    out.extend_from_slice(b" message=\"");
    escape_field_string(out, &event.message);
    out.extend_from_slice(b"\" ");
    write_timestamp(out, event.time);
    out.push(b'\n');
    Ok(())
}

fn severity_name(severity: netops_core::Severity) -> &'static str {
    match severity {
        netops_core::Severity::Info => "info",
        netops_core::Severity::Warning => "warning",
        netops_core::Severity::Critical => "critical",
    }
}

/// Measurement and tag set, without the trailing space. Empty tag values are left out:
/// line protocol has no empty tag value, and Prometheus treats an empty label as absent.
fn write_series<'a>(
    out: &mut Vec<u8>,
    measurement: &str,
    tags: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), Skip> {
    if measurement.is_empty() || measurement.starts_with('#') {
        return Err(Skip::Unrepresentable);
    }
    escape_measurement(out, measurement)?;
    for (key, value) in tags {
        if key.is_empty() || value.is_empty() {
            continue;
        }
        out.push(b',');
        escape_tag(out, key)?;
        out.push(b'=');
        escape_tag(out, value)?;
    }
    Ok(())
}

/// Escapes a measurement name: `,`, space and `\`.
pub fn escape_measurement(out: &mut Vec<u8>, s: &str) -> Result<(), Skip> {
    escape_with(out, s, |b| matches!(b, b',' | b' ' | b'\\'))
}

/// Escapes a tag key, tag value or field key: `,`, `=`, space and `\`.
pub fn escape_tag(out: &mut Vec<u8>, s: &str) -> Result<(), Skip> {
    escape_with(out, s, |b| matches!(b, b',' | b'=' | b' ' | b'\\'))
}

fn escape_with(out: &mut Vec<u8>, s: &str, special: impl Fn(u8) -> bool) -> Result<(), Skip> {
    let bytes = s.as_bytes();
    // Fast path: most names and labels need no escaping at all.
    if !bytes
        .iter()
        .any(|&b| special(b) || b == b'\n' || b == b'\r')
    {
        out.extend_from_slice(bytes);
        return Ok(());
    }
    for &b in bytes {
        if b == b'\n' || b == b'\r' {
            return Err(Skip::Unrepresentable);
        }
        if special(b) {
            out.push(b'\\');
        }
        out.push(b);
    }
    Ok(())
}

/// Escapes the inside of a double-quoted string field value: `"` and `\`. Newlines become
/// spaces (see [`encode_event`]).
pub fn escape_field_string(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'"' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            b'\n' | b'\r' => out.push(b' '),
            _ => out.push(b),
        }
    }
}

/// A finite float in a form both InfluxDB and VictoriaMetrics parse as a float field.
/// Whole numbers below 2^53 (every counter and most gauges) print as plain integers, which
/// line protocol still reads as floats (an integer field would need an `i` suffix), so the
/// field type never flips between batches.
fn write_float(out: &mut Vec<u8>, value: f64) {
    match number::as_exact_int(value) {
        Some(int) => write_i64(out, int),
        None => {
            use std::io::Write;
            // Shortest round-trip form (`0.5`, `1e300`); writing to a Vec cannot fail.
            let _ = write!(out, "{value:?}");
        }
    }
}

/// Nanoseconds since the Unix epoch; negative before it.
fn write_timestamp(out: &mut Vec<u8>, time: SystemTime) {
    let nanos: i128 = match time.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    };
    // i64 nanoseconds cover 1677..2262; clamp rather than wrap outside that.
    let nanos = nanos.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    write_i64(out, nanos);
}

fn write_i64(out: &mut Vec<u8>, value: i64) {
    let mut buf = [0u8; 20];
    out.extend_from_slice(number::format_i64(&mut buf, value).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use netops_core::{Labels, Severity};
    use std::time::Duration;

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    fn line(sample: &Sample) -> Result<String, Skip> {
        let mut out = Vec::new();
        encode_sample(&mut out, sample)?;
        Ok(String::from_utf8(out).expect("encoder writes UTF-8"))
    }

    fn counter(name: &'static str, labels: Labels, value: f64) -> Sample {
        Sample::counter(name, labels, value, at(1_700_000_000, 123_456_789))
    }

    #[test]
    fn plain_sample() {
        let s = counter(
            "ifHCInOctets",
            Labels::new().with("ifName", "eth0").with("ifIndex", "2"),
            1234567.0,
        );
        assert_eq!(
            line(&s).unwrap(),
            "ifHCInOctets,ifIndex=2,ifName=eth0 value=1234567 1700000000123456789\n"
        );
    }

    #[test]
    fn no_labels() {
        let s = Sample::gauge("up", Labels::new(), 1.0, at(1, 0));
        assert_eq!(line(&s).unwrap(), "up value=1 1000000000\n");
    }

    #[test]
    fn measurement_escapes_comma_space_backslash_but_not_equals() {
        let s = counter(r"a,b c=d\e", Labels::new(), 1.0);
        assert_eq!(
            line(&s).unwrap(),
            "a\\,b\\ c=d\\\\e value=1 1700000000123456789\n"
        );
    }

    #[test]
    fn tag_keys_and_values_escape_comma_equals_space_backslash() {
        let s = counter(
            "m",
            Labels::new()
                .with("k,e y=", "v,a l=ue")
                .with("path", r"C:\dir\")
                .with("quote", "say \"hi\""),
            1.0,
        );
        assert_eq!(
            line(&s).unwrap(),
            "m,k\\,e\\ y\\==v\\,a\\ l\\=ue,path=C:\\\\dir\\\\,quote=say\\ \"hi\" value=1 1700000000123456789\n"
        );
    }

    #[test]
    fn unicode_passes_through() {
        let s = counter("m", Labels::new().with("site", "大楼 3层"), 2.5);
        assert_eq!(
            line(&s).unwrap(),
            "m,site=大楼\\ 3层 value=2.5 1700000000123456789\n"
        );
    }

    #[test]
    fn empty_label_values_are_left_out() {
        let s = counter("m", Labels::new().with("ifAlias", "").with("a", "1"), 1.0);
        assert_eq!(line(&s).unwrap(), "m,a=1 value=1 1700000000123456789\n");
    }

    #[test]
    fn non_finite_values_are_skipped() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(line(&counter("m", Labels::new(), v)), Err(Skip::NonFinite));
        }
    }

    #[test]
    fn newlines_and_comment_names_are_skipped_without_leaving_bytes() {
        let mut out = b"keep\n".to_vec();
        let bad = [
            counter("m\nx", Labels::new(), 1.0),
            counter("m", Labels::new().with("a", "x\ny"), 1.0),
            counter("m", Labels::new().with("a\r", "x"), 1.0),
            counter("#m", Labels::new(), 1.0),
            counter("", Labels::new(), 1.0),
        ];
        for s in &bad {
            assert_eq!(encode_sample(&mut out, s), Err(Skip::Unrepresentable));
        }
        assert_eq!(out, b"keep\n");
    }

    #[test]
    fn batch_counts_lines_and_skips() {
        let mut out = Vec::new();
        let batch = [
            counter("a", Labels::new(), 1.0),
            counter("b", Labels::new(), f64::NAN),
            counter("c", Labels::new(), 3.0),
        ];
        let outcome = encode_samples(&mut out, &batch);
        assert_eq!(
            outcome,
            EncodeOutcome {
                lines: 2,
                skipped: 1
            }
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a value=1 1700000000123456789\nc value=3 1700000000123456789\n"
        );
    }

    #[test]
    fn floats_round_trip() {
        for v in [
            0.1,
            -2.5,
            1e300,
            -1.5e-7,
            9_007_199_254_740_993.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            -0.0,
            123456789012.0,
        ] {
            let mut out = Vec::new();
            write_float(&mut out, v);
            let text = String::from_utf8(out).unwrap();
            let back: f64 = text.parse().unwrap();
            assert_eq!(back, v, "{text}");
        }
    }

    #[test]
    fn timestamps_before_the_epoch_are_negative() {
        let s = Sample::gauge(
            "m",
            Labels::new(),
            1.0,
            UNIX_EPOCH - Duration::from_nanos(1_500),
        );
        assert_eq!(line(&s).unwrap(), "m value=1 -1500\n");
        let mut out = Vec::new();
        write_i64(&mut out, i64::MIN);
        assert_eq!(out, i64::MIN.to_string().as_bytes());
    }

    #[test]
    fn event_string_field_escapes_quotes_and_backslashes() {
        let event = Event {
            time: at(1_700_000_000, 0),
            kind: "linkDown".into(),
            source: "10.0.0.1:162".into(),
            severity: Severity::Critical,
            labels: Labels::new().with("ifIndex", "3"),
            message: "port \"uplink\" C:\\ down\nagain".into(),
        };
        let mut out = Vec::new();
        encode_event(&mut out, "netops_events", &event).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "netops_events,ifIndex=3,kind=linkDown,severity=critical,source=10.0.0.1:162 \
             message=\"port \\\"uplink\\\" C:\\\\ down again\" 1700000000000000000\n"
        );
    }

    #[test]
    fn snapshot_of_a_poll() {
        let t = at(1_700_000_000, 0);
        let labels = |i: &str, name: &str| {
            Labels::new()
                .with("ifIndex", i)
                .with("ifName", name)
                .with("ifAlias", "to core, rack=3")
        };
        let batch = vec![
            Sample::counter("ifHCInOctets", labels("1", "lo"), 8_123_456.0, t),
            Sample::counter("ifHCInOctets", labels("2", "eth0"), 98_765_432_109.0, t),
            Sample::gauge("ifOperStatus", labels("2", "eth0"), 1.0, t),
            Sample::gauge("sysUpTime", Labels::new(), 12345.67, t),
            Sample::gauge("netops_rtt_seconds", Labels::new(), f64::NAN, t),
        ];
        let mut out = Vec::new();
        let outcome = encode_samples(&mut out, &batch);
        assert_eq!(outcome.skipped, 1);
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }

    /// A reader of our own output that follows the line-protocol unescaping rules: `\`
    /// before one of `specials` yields that character, any other backslash is literal.
    fn read_escaped<'a>(s: &'a str, specials: &[char], stops: &[char]) -> (String, &'a str) {
        let mut out = String::new();
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\\' {
                if let Some(&(_, next)) = chars.peek()
                    && specials.contains(&next)
                {
                    out.push(next);
                    chars.next();
                    continue;
                }
                out.push(c);
            } else if stops.contains(&c) {
                return (out, &s[i..]);
            } else {
                out.push(c);
            }
        }
        (out, "")
    }

    /// (measurement, tags, value text, timestamp text)
    fn parse_line(line: &str) -> (String, Vec<(String, String)>, String, String) {
        let tag_specials = [',', '=', ' ', '\\'];
        let (measurement, mut rest) = read_escaped(line, &[',', ' ', '\\'], &[',', ' ']);
        let mut tags = Vec::new();
        while let Some(after_comma) = rest.strip_prefix(',') {
            let (key, r) = read_escaped(after_comma, &tag_specials, &['=']);
            let (value, r) = read_escaped(&r[1..], &tag_specials, &[',', ' ']);
            tags.push((key, value));
            rest = r;
        }
        let fields = rest.strip_prefix(" value=").expect("field set");
        let (value, timestamp) = fields.split_once(' ').expect("timestamp");
        (measurement, tags, value.to_string(), timestamp.to_string())
    }

    proptest::proptest! {
        #[test]
        fn escaping_reads_back_exactly(
            name in "[^#\\n\\r][^\\n\\r]{0,12}",
            labels in proptest::collection::btree_map("[^\\n\\r]{1,8}", "[^\\n\\r]{1,8}", 0..5),
            value in proptest::num::f64::NORMAL | proptest::num::f64::ZERO,
            nanos in 0u64..4_000_000_000_000_000_000,
        ) {
            let sample = Sample::gauge(
                name.clone(),
                labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                value,
                UNIX_EPOCH + Duration::from_nanos(nanos),
            );
            let mut out = Vec::new();
            encode_sample(&mut out, &sample).expect("encodable");
            let text = String::from_utf8(out).expect("UTF-8");
            let body = text.strip_suffix('\n').expect("one line");
            proptest::prop_assert!(!body.contains('\n'));
            let (m, tags, v, ts) = parse_line(body);
            proptest::prop_assert_eq!(m, name);
            let want: Vec<(String, String)> = labels.into_iter().collect();
            proptest::prop_assert_eq!(tags, want);
            proptest::prop_assert_eq!(v.parse::<f64>().expect("float"), value);
            proptest::prop_assert_eq!(ts, nanos.to_string());
        }
    }
}
