//! How the InfluxDB writer reacts to each kind of answer, against a scripted HTTP/1.1
//! responder on loopback (the real servers cannot be made to answer 429, 503 or 400 on
//! demand: VictoriaMetrics answers 204 even to malformed lines). What the writer must do:
//! - every request: `POST /api/v2/write?org=…&bucket=…&precision=ns`, gzip body,
//!   `Authorization: Token …`;
//! - 5xx, 429, connection refused: keep the body, retry later, deliver in order, once;
//! - 4xx other than 429: drop the body and count it, never retry it;
//! - spool full: drop the oldest bodies, deliver the newest;
//! - cancelled while the server is away: spool what is left; a new writer on the same
//!   spool directory (a restarted collector) delivers it.

use flate2::read::GzDecoder;
use netops_collector::sink::influx::{InfluxConfig, InfluxSink};
use netops_core::{Event, Labels, Sample, Secret, Severity, Sink};
use netops_test_support::free_tcp_port;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

const PATIENCE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
struct Seen {
    target: String,
    headers: Vec<(String, String)>,
    lines: Vec<String>,
    status: u16,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Answers each request with the next scripted status (204 once the script is used up)
/// and records what it saw.
#[derive(Clone)]
struct Responder {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<(u16, &'static str)>>>,
}

impl Responder {
    fn start(port: u16, script: &[(u16, &'static str)]) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind responder");
        let responder = Self {
            addr: listener.local_addr().expect("addr"),
            seen: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
        };
        let r = responder.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let r = r.clone();
                std::thread::spawn(move || r.serve(stream));
            }
        });
        responder
    }

    fn serve(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
        let mut writer = stream;
        loop {
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                return;
            }
            let target = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_string();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((n, v)) = line.split_once(':') {
                    headers.push((n.trim().to_string(), v.trim().to_string()));
                }
            }
            let length: usize = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            let mut text = String::new();
            GzDecoder::new(&body[..])
                .read_to_string(&mut text)
                .expect("body is gzip");
            let (status, answer) = self.script.lock().unwrap().pop_front().unwrap_or((204, ""));
            self.seen.lock().unwrap().push(Seen {
                target,
                headers,
                lines: text.lines().map(str::to_string).collect(),
                status,
            });
            let response = format!(
                "HTTP/1.1 {status} Scripted\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n{answer}",
                answer.len()
            );
            if writer.write_all(response.as_bytes()).is_err() {
                return;
            }
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Lines the writer got a 2xx for, in the order it sent them.
    fn delivered_lines(&self) -> Vec<String> {
        self.seen()
            .into_iter()
            .filter(|s| (200..300).contains(&s.status))
            .flat_map(|s| s.lines)
            .collect()
    }
}

fn config(port: u16, spool: &Path) -> InfluxConfig {
    let mut c = InfluxConfig::new(
        format!("http://127.0.0.1:{port}"),
        "dist rict",
        "b&1",
        spool,
    );
    c.token = Some(Secret::new("tok-123"));
    c.flush_interval_seconds = 0.02;
    c.retry_interval_seconds = 0.05;
    c.retry_max_interval_seconds = 0.2;
    c.request_timeout_seconds = 5.0;
    c
}

/// Batch `i`: one line, `m,i=<i> value=<i> <i s>`.
fn batch(i: u64) -> Arc<[Sample]> {
    vec![Sample::gauge(
        "m",
        Labels::new().with("i", i.to_string()),
        i as f64,
        UNIX_EPOCH + Duration::from_secs(i),
    )]
    .into()
}

fn line(i: u64) -> String {
    format!("m,i={i} value={i} {}", i * 1_000_000_000)
}

async fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {PATIENCE:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends batches `range`, pausing now and then so they end up in several bodies.
async fn send(sink: &InfluxSink, range: std::ops::Range<u64>) {
    for i in range {
        sink.accept(batch(i));
        if i % 4 == 3 {
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_shape_url_headers_and_gzip_body() {
    let spool = tempfile::tempdir().unwrap();
    let server = Responder::start(0, &[]);
    let cfg = config(server.addr.port(), spool.path());
    assert!(!format!("{cfg:?}").contains("tok-123"));
    let cancel = CancellationToken::new();
    let (sink, task) = InfluxSink::spawn(cfg, cancel.clone()).unwrap();
    assert!(!format!("{sink:?}").contains("tok-123"));
    sink.accept(batch(1));
    sink.accept_event(&Event {
        time: UNIX_EPOCH + Duration::from_secs(2),
        kind: "linkDown".into(),
        source: "127.0.0.1:1162".into(),
        severity: Severity::Warning,
        labels: Labels::new().with("ifIndex", "3"),
        message: "interface \"ge-0/0/3\" down".into(),
    });
    wait_for("delivery", || sink.stats().delivered == 2).await;
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].target,
        "/api/v2/write?org=dist+rict&bucket=b%261&precision=ns"
    );
    assert_eq!(seen[0].header("authorization"), Some("Token tok-123"));
    assert_eq!(seen[0].header("content-encoding"), Some("gzip"));
    assert_eq!(
        seen[0].lines,
        vec![
            line(1),
            "netops_events,ifIndex=3,kind=linkDown,severity=warning,source=127.0.0.1:1162 \
             message=\"interface \\\"ge-0/0/3\\\" down\" 2000000000"
                .to_string()
        ]
    );
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_429_are_retried_in_order_exactly_once() {
    let spool = tempfile::tempdir().unwrap();
    let server = Responder::start(
        0,
        &[(500, "boom"), (503, "later"), (429, "slow down"), (502, "")],
    );
    let cancel = CancellationToken::new();
    let (sink, task) =
        InfluxSink::spawn(config(server.addr.port(), spool.path()), cancel.clone()).unwrap();
    send(&sink, 0..40).await;
    wait_for("all delivered", || {
        sink.stats().delivered == 40 && sink.spool_bytes() == 0
    })
    .await;
    assert_eq!(
        server.delivered_lines(),
        (0..40).map(line).collect::<Vec<_>>()
    );
    let stats = sink.stats();
    assert_eq!(stats.dropped, 0, "{stats:?}");
    assert!(stats.spooled > 0, "{stats:?}");
    assert!(
        server
            .seen()
            .iter()
            .filter(|s| s.status >= 500 || s.status == 429)
            .count()
            == 4
    );
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_request_is_dropped_and_never_retried() {
    let spool = tempfile::tempdir().unwrap();
    let server = Responder::start(
        0,
        &[(400, "unable to parse 'm,i=1 value=': missing field value")],
    );
    let cancel = CancellationToken::new();
    let (sink, task) =
        InfluxSink::spawn(config(server.addr.port(), spool.path()), cancel.clone()).unwrap();
    sink.accept(batch(1));
    wait_for("the 400", || sink.stats().dropped == 1).await;
    sink.accept(batch(2));
    wait_for("the next batch", || sink.stats().delivered == 1).await;
    // Let any (wrong) retry of the rejected body happen before looking.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let statuses: Vec<u16> = server.seen().iter().map(|s| s.status).collect();
    assert_eq!(statuses, vec![400, 204]);
    assert_eq!(server.delivered_lines(), vec![line(2)]);
    assert_eq!(sink.stats().spooled, 0);
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_spool_drops_the_oldest_and_delivers_the_newest() {
    let spool = tempfile::tempdir().unwrap();
    let port = free_tcp_port(); // nothing listens yet: connection refused
    let mut cfg = config(port, spool.path());
    // A one-line gzip body is ~50 bytes: room for about four.
    cfg.spool_max_bytes = 220;
    let cancel = CancellationToken::new();
    let (sink, task) = InfluxSink::spawn(cfg, cancel.clone()).unwrap();
    for i in 0..12 {
        sink.accept(batch(i));
        // One body per batch.
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    wait_for("everything spooled", || sink.stats().spooled == 12).await;
    let dropped = sink.stats().dropped;
    assert!(dropped > 0, "{:?}", sink.stats());
    assert!(sink.spool_bytes() <= 220);

    let server = Responder::start(port, &[]);
    wait_for("spool drained", || {
        sink.spool_bytes() == 0 && sink.stats().delivered + dropped == 12
    })
    .await;
    assert_eq!(
        server.delivered_lines(),
        (dropped..12).map(line).collect::<Vec<_>>()
    );
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_while_server_is_away_spools_and_a_restarted_writer_delivers() {
    let spool = tempfile::tempdir().unwrap();
    let port = free_tcp_port();
    let mut cfg = config(port, spool.path());
    // Nothing is sent before the cancel: what is queued must still be kept.
    cfg.flush_interval_seconds = 60.0;
    let cancel = CancellationToken::new();
    let (sink, task) = InfluxSink::spawn(cfg.clone(), cancel.clone()).unwrap();
    for i in 0..5 {
        sink.accept(batch(i));
    }
    cancel.cancel();
    task.await.unwrap();
    assert_eq!(sink.stats().spooled, 5, "{:?}", sink.stats());
    assert_eq!(sink.stats().delivered, 0);

    // The collector starts again; now the server is there.
    let server = Responder::start(port, &[]);
    let cancel = CancellationToken::new();
    let (sink, task) = InfluxSink::spawn(cfg, cancel.clone()).unwrap();
    wait_for("replay after restart", || {
        sink.stats().delivered == 5 && sink.spool_bytes() == 0
    })
    .await;
    assert_eq!(
        server.delivered_lines(),
        (0..5).map(line).collect::<Vec<_>>()
    );
    assert_eq!(sink.spool_bytes(), 0);
    cancel.cancel();
    task.await.unwrap();
}
