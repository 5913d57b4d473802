//! The shipped recordings: the generated routers match their generator (run with
//! `NETOPS_REGENERATE=1` to rewrite them), every file parses, and each stays under 1 MB.

use netops_collector::sim::{generate, snmprec};
use netops_collector::snmp::SnmpValue;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/recordings")
}

#[test]
fn generated_routers_are_up_to_date() {
    for (name, interfaces) in [("router-48", 48), ("router-480", 480)] {
        let path = dir().join(format!("{name}.snmprec"));
        let expected = snmprec::format(&generate::router(name, interfaces));
        if std::env::var_os("NETOPS_REGENERATE").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        let shipped = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (regenerate with NETOPS_REGENERATE=1)",
                path.display()
            )
        });
        assert!(
            shipped == expected,
            "{} differs from the generator: regenerate with NETOPS_REGENERATE=1 cargo test -p netops-collector --test sim_recordings",
            path.display()
        );
        assert!(
            shipped.len() < 1_000_000,
            "{}: {} bytes",
            path.display(),
            shipped.len()
        );
        let parsed = snmprec::parse(name, &shipped).unwrap();
        let if_names = parsed
            .iter()
            .filter(|vb| vb.oid.to_string().starts_with("1.3.6.1.2.1.31.1.1.1.1."))
            .count();
        assert_eq!(if_names, interfaces as usize);
    }
}

#[test]
fn every_shipped_recording_parses_and_has_a_system_group() {
    let mut seen = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "snmprec") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.len() < 1_000_000,
            "{}: {} bytes",
            path.display(),
            text.len()
        );
        let vbs = snmprec::read_file(&path).unwrap();
        let descr = vbs
            .iter()
            .find(|vb| vb.oid.to_string() == "1.3.6.1.2.1.1.1.0")
            .unwrap_or_else(|| panic!("{}: no sysDescr.0", path.display()));
        assert!(matches!(descr.value, SnmpValue::OctetString(_)));
        assert!(
            vbs.iter()
                .any(|vb| vb.oid.to_string() == "1.3.6.1.2.1.1.3.0"),
            "{}: no sysUpTime.0",
            path.display()
        );
        seen += 1;
    }
    assert!(
        seen >= 3,
        "router-48, router-480 and the net-snmp host recording"
    );
}
