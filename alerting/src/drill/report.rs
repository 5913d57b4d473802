//! The figures of a drill: per injection time-to-detect (injection → first matching alert
//! firing) and time-to-acknowledge (that first alert → first acknowledgement of any alert
//! matching the injection); missed injections; false alarms (drill alerts matching no
//! injection); counts by category and severity; MTTD, MTTA and detection coverage.

use super::{Ack, Drill, DrillAlert, Injection, names_target};
use crate::error::AlertError;
use crate::time::rfc3339_millis;
use serde::Serialize;
use std::collections::BTreeMap;

/// What happened to one injection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub injection_id: String,
    pub kind: String,
    pub target: String,
    pub injected_at: String,
    pub injected_at_ms: i64,
    /// The first alert that detected it.
    pub detected_by: Option<String>,
    pub detected_by_alert_id: Option<String>,
    pub detected_at_ms: Option<i64>,
    pub time_to_detect_seconds: Option<f64>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at_ms: Option<i64>,
    pub time_to_acknowledge_seconds: Option<f64>,
}

/// The drill report. Serialized as is for the JSON form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillReport {
    pub drill: Drill,
    pub start: String,
    pub end: String,
    pub incidents: Vec<Incident>,
    /// Injection ids no alert detected.
    pub missed: Vec<String>,
    /// Drill alerts that match no injection.
    pub false_alarms: Vec<DrillAlert>,
    /// All drill alerts (for the timeline).
    pub alerts: Vec<DrillAlert>,
    pub acks: Vec<Ack>,
    pub alerts_by_category: BTreeMap<String, usize>,
    pub alerts_by_severity: BTreeMap<String, usize>,
    pub injections: usize,
    pub detected: usize,
    /// Mean time to detect over detected injections.
    pub mttd_seconds: Option<f64>,
    /// Mean time to acknowledge over acknowledged incidents.
    pub mtta_seconds: Option<f64>,
    /// Detected injections / injections (1 when there were none).
    pub detection_coverage: f64,
}

fn matches(inj: &Injection, a: &DrillAlert) -> bool {
    a.fired_at_ms >= inj.at_ms
        && (inj.detected_by.is_empty() || inj.detected_by.contains(&a.alertname))
        && a.labels.values().any(|v| names_target(v, &inj.target))
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

impl DrillReport {
    /// Builds the report. `alerts` may include alerts from outside the drill: only those the
    /// drill tags are counted.
    pub fn build(
        drill: &Drill,
        injections: &[Injection],
        alerts: &[DrillAlert],
        acks: &[Ack],
    ) -> Result<Self, AlertError> {
        drill.validate()?;
        let mut tagged: Vec<DrillAlert> = alerts
            .iter()
            .filter(|a| drill.tags(a, injections))
            .cloned()
            .collect();
        tagged.sort_by(|a, b| a.fired_at_ms.cmp(&b.fired_at_ms).then(a.id.cmp(&b.id)));
        let mut injections_sorted = injections.to_vec();
        injections_sorted.sort_by(|a, b| a.at_ms.cmp(&b.at_ms).then(a.id.cmp(&b.id)));

        let mut incidents = Vec::new();
        let mut missed = Vec::new();
        let (mut ttds, mut ttas) = (Vec::new(), Vec::new());
        for inj in &injections_sorted {
            let matching: Vec<&DrillAlert> = tagged.iter().filter(|a| matches(inj, a)).collect();
            let first = matching.first();
            let detected_at = first.map(|a| a.fired_at_ms);
            let ack = detected_at.and_then(|d| {
                acks.iter()
                    .filter(|k| k.at_ms >= d && matching.iter().any(|a| a.id == k.alert_id))
                    .min_by_key(|k| k.at_ms)
            });
            let ttd = detected_at.map(|d| (d - inj.at_ms) as f64 / 1000.0);
            let tta = match (ack, detected_at) {
                (Some(k), Some(d)) => Some((k.at_ms - d) as f64 / 1000.0),
                _ => None,
            };
            ttds.extend(ttd);
            ttas.extend(tta);
            if first.is_none() {
                missed.push(inj.id.clone());
            }
            incidents.push(Incident {
                injection_id: inj.id.clone(),
                kind: inj.kind.clone(),
                target: inj.target.clone(),
                injected_at: rfc3339_millis(inj.at_ms),
                injected_at_ms: inj.at_ms,
                detected_by: first.map(|a| a.alertname.clone()),
                detected_by_alert_id: first.map(|a| a.id.clone()),
                detected_at_ms: detected_at,
                time_to_detect_seconds: ttd,
                acknowledged_by: ack.map(|k| k.who.clone()),
                acknowledged_at_ms: ack.map(|k| k.at_ms),
                time_to_acknowledge_seconds: tta,
            });
        }
        let false_alarms: Vec<DrillAlert> = tagged
            .iter()
            .filter(|a| !injections.iter().any(|i| matches(i, a)))
            .cloned()
            .collect();
        let mut alerts_by_category = BTreeMap::new();
        let mut alerts_by_severity = BTreeMap::new();
        for a in &tagged {
            *alerts_by_category.entry(a.category.clone()).or_insert(0) += 1;
            *alerts_by_severity.entry(a.severity.clone()).or_insert(0) += 1;
        }
        let detected = injections.len() - missed.len();
        Ok(Self {
            drill: drill.clone(),
            start: rfc3339_millis(drill.start_ms),
            end: rfc3339_millis(drill.end_ms),
            incidents,
            missed,
            false_alarms,
            acks: acks
                .iter()
                .filter(|k| tagged.iter().any(|a| a.id == k.alert_id))
                .cloned()
                .collect(),
            alerts: tagged,
            alerts_by_category,
            alerts_by_severity,
            injections: injections.len(),
            detected,
            mttd_seconds: mean(&ttds),
            mtta_seconds: mean(&ttas),
            detection_coverage: if injections.is_empty() {
                1.0
            } else {
                detected as f64 / injections.len() as f64
            },
        })
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const M: i64 = 60_000;
    const T: i64 = 1_800_000_000_000;

    fn alert(
        id: &str,
        name: &str,
        sev: &str,
        cat: &str,
        target: &str,
        fired_min: i64,
    ) -> DrillAlert {
        DrillAlert {
            id: id.into(),
            alertname: name.into(),
            severity: sev.into(),
            category: cat.into(),
            labels: [("alertname", name), ("target", target)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            fired_at_ms: T + fired_min * M,
            resolved_at_ms: Some(T + (fired_min + 10) * M),
        }
    }

    /// A scripted drill; every figure below is worked out by hand in the comments.
    pub(crate) fn scripted() -> (Drill, Vec<Injection>, Vec<DrillAlert>, Vec<Ack>) {
        let drill = Drill {
            name: "provincial-2026".into(),
            scope: vec![
                "10.20.0.0/16".parse().unwrap(),
                "2001:db8:20::/48".parse().unwrap(),
            ],
            start_ms: T,
            end_ms: T + 120 * M,
        };
        let inj = |id: &str, kind: &str, target: &str, min: i64, by: &[&str]| Injection {
            id: id.into(),
            kind: kind.into(),
            target: target.into(),
            at_ms: T + min * M,
            detected_by: by.iter().map(|s| s.to_string()).collect(),
        };
        let injections = vec![
            // i1: SNMP brute force at 10 min → detected at 13 min (TTD 180 s).
            inj(
                "i1",
                "snmp_bruteforce",
                "10.20.1.1",
                10,
                &[
                    "SnmpAuthenticationFailures",
                    "SnmpAuthenticationFailureTrapBurst",
                ],
            ),
            // i2: SRv6 path cut at 30 min → detected at 34 min (TTD 240 s).
            inj("i2", "srv6_path_cut", "2001:db8:20::5", 30, &[]),
            // i3: IPv6-only backdoor port at 60 min → never detected (missed).
            inj(
                "i3",
                "ipv6_backdoor",
                "10.20.9.9",
                60,
                &["PortOpenOnIpv6Only"],
            ),
        ];
        let alerts = vec![
            alert(
                "a1",
                "SnmpAuthenticationFailures",
                "critical",
                "security",
                "10.20.1.1",
                13,
            ),
            // A second alert on i1's target, later: a true positive, not the detection.
            alert(
                "a2",
                "SnmpAuthenticationFailureTrapBurst",
                "critical",
                "security",
                "10.20.1.1",
                15,
            ),
            alert(
                "a3",
                "Srv6PathDown",
                "critical",
                "availability",
                "2001:db8:20::5",
                34,
            ),
            // In scope but matches no injection: a false alarm.
            alert(
                "a4",
                "InterfaceDown",
                "warning",
                "availability",
                "10.20.7.7",
                50,
            ),
            // Before i3's injection on its target, and the wrong name anyway: false alarm.
            alert(
                "a5",
                "ProbeLossHigh",
                "warning",
                "performance",
                "10.20.9.9",
                55,
            ),
            // Out of scope: not part of the drill at all.
            alert(
                "a6",
                "TargetDown",
                "critical",
                "availability",
                "192.0.2.1",
                20,
            ),
            // In scope but after the drill ended: not part of it.
            alert(
                "a7",
                "TargetDown",
                "critical",
                "availability",
                "10.20.1.1",
                130,
            ),
        ];
        let acks = vec![
            // i1: a2 acknowledged at 18 min; a1 at 20 min → first ack of a matching alert
            // is 18 min: TTA = 18 − 13 = 5 min = 300 s.
            Ack {
                alert_id: "a2".into(),
                who: "li.wei".into(),
                at_ms: T + 18 * M,
            },
            Ack {
                alert_id: "a1".into(),
                who: "zhang.min".into(),
                at_ms: T + 20 * M,
            },
            // i2: a3 acknowledged at 36 min → TTA 120 s.
            Ack {
                alert_id: "a3".into(),
                who: "li.wei".into(),
                at_ms: T + 36 * M,
            },
            // Ack of a false alarm: does not count for any incident.
            Ack {
                alert_id: "a4".into(),
                who: "li.wei".into(),
                at_ms: T + 52 * M,
            },
        ];
        (drill, injections, alerts, acks)
    }

    #[test]
    fn scripted_drill_figures() {
        let (drill, injections, alerts, acks) = scripted();
        let r = DrillReport::build(&drill, &injections, &alerts, &acks).unwrap();
        let ids: Vec<&str> = r.alerts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a1", "a2", "a3", "a4", "a5"]);
        let i1 = &r.incidents[0];
        assert_eq!(
            i1.detected_by.as_deref(),
            Some("SnmpAuthenticationFailures")
        );
        assert_eq!(i1.time_to_detect_seconds, Some(180.0));
        assert_eq!(i1.acknowledged_by.as_deref(), Some("li.wei"));
        assert_eq!(i1.time_to_acknowledge_seconds, Some(300.0));
        let i2 = &r.incidents[1];
        assert_eq!(i2.detected_by.as_deref(), Some("Srv6PathDown"));
        assert_eq!(i2.time_to_detect_seconds, Some(240.0));
        assert_eq!(i2.time_to_acknowledge_seconds, Some(120.0));
        let i3 = &r.incidents[2];
        assert_eq!(i3.detected_by, None);
        assert_eq!(i3.time_to_acknowledge_seconds, None);
        assert_eq!(r.missed, ["i3"]);
        let fa: Vec<&str> = r.false_alarms.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(fa, ["a4", "a5"]);
        // MTTD = (180 + 240) / 2 = 210 s; MTTA = (300 + 120) / 2 = 210 s.
        assert_eq!(r.mttd_seconds, Some(210.0));
        assert_eq!(r.mtta_seconds, Some(210.0));
        // 2 of 3 injections detected.
        assert!((r.detection_coverage - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!((r.injections, r.detected), (3, 2));
        let cat: Vec<(&str, usize)> = r
            .alerts_by_category
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            cat,
            [("availability", 2), ("performance", 1), ("security", 2)]
        );
        let sev: Vec<(&str, usize)> = r
            .alerts_by_severity
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(sev, [("critical", 3), ("warning", 2)]);
        assert_eq!(r.acks.len(), 4);
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["mttd_seconds"], 210.0);
        assert_eq!(json["missed"][0], "i3");
        assert_eq!(json["drill"]["scope"][0], "10.20.0.0/16");
    }

    #[test]
    fn a_drill_that_ends_before_it_starts_is_refused() {
        let (mut drill, i, a, k) = scripted();
        drill.end_ms = drill.start_ms;
        let e = DrillReport::build(&drill, &i, &a, &k)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "drill provincial-2026: end must be after start");
    }
}
