//! MIB modules: what to ask an agent and how to name what it answers.
//!
//! A module is a static table, one file per module, in the shape of the Prometheus
//! snmp_exporter's generated modules: subtrees to walk, scalars to get, and for each object
//! its metric name, type, index label and lookups. The names and labels are the
//! snmp_exporter's, so dashboards and alert rules written for it keep working.
//! [`to_samples`] turns varbinds into samples; it is pure and tested by tables of
//! varbinds-in, exposition-out.

mod host_resources;
mod if_mib;
mod ip_mib;
mod system;

use crate::counters::{CounterTracker, CounterWidth};
use crate::snmp::{Oid, SnmpValue, VarBind};
use netops_core::{Labels, MetricKind, MetricName, Sample};
use std::collections::HashMap;
use std::time::SystemTime;

/// How an object becomes a sample (snmp_exporter's type names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    /// Counter32/Counter64.
    Counter,
    /// INTEGER, Gauge32, TimeTicks: the number as it is.
    Gauge,
    /// Text: a sample of value 1 with the text as a label named like the metric.
    DisplayString,
    /// MAC address: value 1, label `AA:BB:CC:DD:EE:FF`.
    PhysAddress48,
    /// OBJECT IDENTIFIER: value 1, dotted OID as label.
    ObjectIdentifier,
    /// INTEGER enum: `<name>_info` of value 1 with the enum's name as label.
    EnumAsInfo(&'static [(i64, &'static str)]),
}

/// One object of a module.
#[derive(Debug, Clone, Copy)]
pub struct MetricDef {
    pub name: &'static str,
    /// The column (for tables) or scalar OID without the instance suffix.
    pub oid: &'static [u32],
    pub kind: MetricType,
    /// Label for the single integer index of a table column; `None` for scalars (`.0`).
    pub index: Option<&'static str>,
    pub help: &'static str,
}

/// A column whose value becomes a label on every row with the same index.
#[derive(Debug, Clone, Copy)]
pub struct LookupDef {
    pub index: &'static str,
    pub label: &'static str,
    pub oid: &'static [u32],
}

#[derive(Debug)]
pub struct ModuleDef {
    pub name: &'static str,
    /// Subtrees to walk.
    pub walk: &'static [&'static [u32]],
    /// Scalars to GET (full OIDs, with `.0`).
    pub get: &'static [&'static [u32]],
    pub metrics: &'static [MetricDef],
    pub lookups: &'static [LookupDef],
}

pub const BUILTIN: &[&ModuleDef] = &[
    &system::MODULE,
    &if_mib::MODULE,
    &host_resources::MODULE,
    &ip_mib::MODULE,
];

/// A built-in module by name.
pub fn builtin(name: &str) -> Option<&'static ModuleDef> {
    BUILTIN.iter().copied().find(|m| m.name == name)
}

pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|m| m.name).collect()
}

impl ModuleDef {
    pub fn walk_oids(&self) -> Vec<Oid> {
        self.walk.iter().map(Oid::from_arcs).collect()
    }

    pub fn get_oids(&self) -> Vec<Oid> {
        self.get.iter().map(Oid::from_arcs).collect()
    }

    pub fn metric(&self, name: &str) -> Option<&MetricDef> {
        self.metrics.iter().find(|m| m.name == name)
    }
}

/// For one index label: index value -> the (label, text) pairs looked up for that row.
type LookupValues<'a> = HashMap<u32, Vec<(&'a str, String)>>;

/// Where a varbind belongs: (metric, index value or None for a scalar).
fn locate<'a>(
    by_oid: &HashMap<&[u32], &'a MetricDef>,
    oid: &[u32],
) -> Option<(&'a MetricDef, Option<u32>)> {
    let (&last, column) = oid.split_last()?;
    let def = by_oid.get(column)?;
    match def.index {
        Some(_) => Some((def, Some(last))),
        None if last == 0 => Some((def, None)),
        None => None,
    }
}

/// Converts the varbinds of one poll into samples. Objects the module does not know, and
/// exceptions (`noSuchObject`...), are skipped. `base` labels (e.g. `target`) go on every
/// sample. With a [`CounterTracker`] (the daemon's polls), counters are extended across
/// 32-bit wraps; without one (on-demand `/snmp`), they are the agent's raw values, as
/// snmp_exporter gives them.
pub fn to_samples(
    module: &ModuleDef,
    varbinds: &[VarBind],
    base: &Labels,
    time: SystemTime,
    counters: Option<&mut CounterTracker>,
) -> Vec<Sample> {
    let mut out = Vec::with_capacity(varbinds.len());
    to_samples_into(module, &[varbinds], base, time, counters, &mut out);
    out
}

/// [`to_samples`] over varbinds in several pieces (a poll's scalars and each walked
/// subtree, without copying them into one list), appending to `out`.
pub fn to_samples_into(
    module: &ModuleDef,
    varbinds: &[&[VarBind]],
    base: &Labels,
    time: SystemTime,
    mut counters: Option<&mut CounterTracker>,
    out: &mut Vec<Sample>,
) {
    let all = || varbinds.iter().flat_map(|part| part.iter());
    let by_oid: HashMap<&[u32], &MetricDef> = module.metrics.iter().map(|m| (m.oid, m)).collect();
    let mut lookups: HashMap<&str, LookupValues> = HashMap::new();
    for lookup in module.lookups {
        for vb in all() {
            if let Some(index) = vb.oid.arcs().strip_prefix(lookup.oid)
                && let [index] = index
            {
                lookups
                    .entry(lookup.index)
                    .or_default()
                    .entry(*index)
                    .or_default()
                    .push((lookup.label, label_text(&vb.value)));
            }
        }
    }
    // Every column of a row shares the row's labels: one set per row, cloned by reference.
    let mut row_labels: HashMap<(&str, u32), Labels> = HashMap::new();
    // `<object>_info` names, made once per poll and shared by every row.
    let mut info_names: HashMap<&str, MetricName> = HashMap::new();
    for vb in all() {
        if vb.value.is_exception() {
            continue;
        }
        let Some((def, index)) = locate(&by_oid, vb.oid.arcs()) else {
            continue;
        };
        let mut labels = match (def.index, index) {
            (Some(index_label), Some(index)) => row_labels
                .entry((index_label, index))
                .or_insert_with(|| {
                    let mut labels = base.clone();
                    labels.insert(index_label, index.to_string());
                    if let Some(extra) = lookups.get(index_label).and_then(|m| m.get(&index)) {
                        for (label, value) in extra {
                            labels.insert(*label, value.clone());
                        }
                    }
                    labels
                })
                .clone(),
            _ => base.clone(),
        };
        let (name, kind, value) = match def.kind {
            MetricType::Counter | MetricType::Gauge => {
                let Some(mut v) = vb.value.as_f64() else {
                    continue;
                };
                let kind = if def.kind == MetricType::Counter {
                    let width = match vb.value {
                        SnmpValue::Counter64(_) => Some(CounterWidth::Bits64),
                        SnmpValue::Counter32(_) => Some(CounterWidth::Bits32),
                        _ => None,
                    };
                    if let (Some(tracker), Some(width), Some(raw)) =
                        (counters.as_deref_mut(), width, counter_raw(&vb.value))
                    {
                        v = tracker.extend((def.name, index.unwrap_or(0)), raw, width) as f64;
                    }
                    MetricKind::Counter
                } else {
                    MetricKind::Gauge
                };
                (MetricName::from_static(def.name), kind, v)
            }
            MetricType::DisplayString
            | MetricType::PhysAddress48
            | MetricType::ObjectIdentifier => {
                let text = match def.kind {
                    MetricType::PhysAddress48 => phys_address(&vb.value),
                    _ => label_text(&vb.value),
                };
                labels.insert(def.name, text);
                (MetricName::from_static(def.name), MetricKind::Gauge, 1.0)
            }
            MetricType::EnumAsInfo(names) => {
                let Some(v) = vb.value.as_f64() else {
                    continue;
                };
                let v = v as i64;
                let text = names
                    .iter()
                    .find(|(n, _)| *n == v)
                    .map_or_else(|| v.to_string(), |(_, s)| (*s).to_string());
                labels.insert(def.name, text);
                let name = info_names
                    .entry(def.name)
                    .or_insert_with(|| MetricName::from(format!("{}_info", def.name)))
                    .clone();
                (name, MetricKind::Gauge, 1.0)
            }
        };
        out.push(Sample {
            name,
            labels,
            value,
            kind,
            time,
        });
    }
}

fn counter_raw(value: &SnmpValue) -> Option<u64> {
    match *value {
        SnmpValue::Counter32(v) => Some(u64::from(v)),
        SnmpValue::Counter64(v) => Some(v),
        _ => None,
    }
}

/// Label text of a value as snmp_exporter renders DisplayString: the bytes as UTF-8 (lossy),
/// numbers and OIDs in their usual text.
fn label_text(value: &SnmpValue) -> String {
    match value {
        SnmpValue::OctetString(b) | SnmpValue::Opaque(b) => String::from_utf8_lossy(b).into_owned(),
        other => other.to_string(),
    }
}

fn phys_address(value: &SnmpValue) -> String {
    match value.as_bytes() {
        Some(b) => b
            .iter()
            .map(|x| format!("{x:02X}"))
            .collect::<Vec<_>>()
            .join(":"),
        None => label_text(value),
    }
}

#[cfg(test)]
mod tests;
