//! The HTML reports rendered by a real browser (Debian's headless Chromium): the DOM it
//! builds shows the published totals, and a screenshot at A4 proportions (1240×1754, A4
//! at 150 dpi) is kept under the target dir as an artifact to look at.

use netops_inventory::fixture::generate_district;
use netops_inventory::{BlindSpotReport, Date, ProgressReport};
use netops_test_support::{ChildGuard, require_binary};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

fn artifact_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("inventory-reports");
    std::fs::create_dir_all(&dir).expect("create artifact dir");
    dir
}

/// Runs headless Chromium with `extra` arguments on `page`; returns stdout. Killed after
/// two minutes so a wedged browser fails the test instead of hanging it.
fn chromium(page: &Path, extra: &[String]) -> String {
    require_binary(CHROMIUM);
    let profile = tempfile::tempdir().expect("profile dir");
    let out_path = profile.path().join("stdout.html");
    let out = std::fs::File::create(&out_path).expect("stdout file");
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ])
    .arg(format!(
        "--user-data-dir={}",
        profile.path().join("profile").display()
    ))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    .stdout(Stdio::from(out))
    .stderr(Stdio::null());
    let mut child = ChildGuard::spawn("chromium", &mut cmd);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match child.child.try_wait() {
            Ok(Some(status)) => {
                assert!(status.success(), "chromium exited with {status}");
                break;
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            other => panic!("chromium did not finish in time: {other:?}"),
        }
    }
    std::fs::read_to_string(&out_path).expect("read chromium output")
}

/// The text of the element with `id`, from a serialized DOM.
fn element_text<'a>(dom: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\">");
    let start = dom
        .find(&marker)
        .unwrap_or_else(|| panic!("no element #{id} in the rendered DOM"))
        + marker.len();
    let end = dom[start..].find('<').map_or(dom.len(), |e| start + e);
    &dom[start..end]
}

fn screenshot(page: &Path, png: &Path) {
    chromium(
        page,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1240,1754".into(),
            "--hide-scrollbars".into(),
        ],
    );
    let bytes = std::fs::read(png).expect("screenshot written");
    assert!(
        bytes.starts_with(b"\x89PNG"),
        "{} is not a PNG",
        png.display()
    );
    println!("screenshot: {}", png.display());
}

#[test]
fn progress_report_renders_with_the_published_totals() {
    let (sites, targets, _) = generate_district(2023);
    let report = ProgressReport::compute(2023, &sites, &targets);
    let dir = artifact_dir();
    let page = dir.join("progress-2023.html");
    std::fs::write(&page, report.to_html()).expect("write page");

    let dom = chromium(&page, &["--dump-dom".into()]);
    assert_eq!(element_text(&dom, "built"), "2,041");
    assert_eq!(element_text(&dom, "target"), "1,795");
    assert_eq!(element_text(&dom, "completion"), "113.7 %");
    assert_eq!(element_text(&dom, "in-service"), "13,693");
    assert_eq!(
        element_text(&dom, "headline"),
        "2,041 / 1,795 = 113.7 % — 13,693 sites in service at the end of 2023"
    );
    // All 16 towns drawn as bars and listed, with UTF-8 names intact.
    assert_eq!(
        dom.matches("<tr><td>").count(),
        16,
        "one table row per town"
    );
    for town in ["市桥街", "小谷围街", "石碁镇"] {
        assert!(dom.contains(town), "{town} missing from the rendered page");
    }
    assert!(dom.contains("<svg"), "charts are inline SVG");
    assert!(
        !dom.contains("http://") || !dom.contains("src=\"http"),
        "no external assets"
    );

    screenshot(&page, &dir.join("progress-2023.png"));
}

#[test]
fn blind_spot_report_renders_with_the_published_totals() {
    let (sites, _, spots) = generate_district(2023);
    let today = Date::new(2026, 1, 1).expect("date");
    let report = BlindSpotReport::compute(2023, 300.0, today, &spots, &sites);
    let dir = artifact_dir();
    let page = dir.join("blind-spots-2023.html");
    std::fs::write(&page, report.to_html()).expect("write page");

    let dom = chromium(&page, &["--dump-dom".into()]);
    assert_eq!(element_text(&dom, "resolved-in-year"), "233");
    assert_eq!(element_text(&dom, "open"), report.open.to_string());
    assert_eq!(
        element_text(&dom, "likely-fixed"),
        report.likely_fixed.to_string()
    );
    assert!(
        report.likely_fixed > 0 && report.likely_fixed < report.open,
        "the check must discriminate"
    );
    assert_eq!(
        dom.matches("<span class=\"flag\">likely fixed — verify on site</span>")
            .count() as i64,
        report.likely_fixed
    );

    screenshot(&page, &dir.join("blind-spots-2023.png"));
}
