//! `netops probe icmp|tcp|udp`: one probe round per target (and per family with
//! `--dual-stack`, per port for TCP/UDP), all targets in flight at once, summarised like
//! `fping -q` or as one JSON object per line.

use netops_probes::dualstack::{DualStackHost, PortExposure};
use netops_probes::packet::srh::parse_segment_list;
use netops_probes::report::{self, JsonDualStack, JsonExposure, JsonRound};
use netops_probes::{
    Family, IcmpProber, ProbePath, ProbeTarget, Prober, Protocol, RoundResult, RoundSpec,
    Srv6Prober, TcpProber, UdpProber, parse_duration,
};
use std::net::IpAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    netops probe icmp --count 20 --interval 200ms 192.0.2.1 2001:db8::1\n  \
    netops probe icmp --srv6-segs fc00:1::100,fc00:2::100 2001:db8::1   (SRv6 path and plain path)\n  \
    netops probe tcp --port 22,443 --dual-stack host.example   (ports open on one family only)\n  \
    netops probe udp --port 53 -o json 192.0.2.53   (DNS query; other ports get an echo payload)\n\n\
    ICMP needs CAP_NET_RAW for raw sockets; without it netops uses unprivileged ICMP datagram\n\
    sockets when `sysctl net.ipv4.ping_group_range` includes your group, and says so when\n\
    neither is allowed. SRv6 probes always need CAP_NET_RAW.\n\
    Exit status: 0 when every probed target/port answered, 1 when one did not or probing\n\
    failed, 2 on bad usage.")]
pub struct ProbeArgs {
    #[command(subcommand)]
    kind: ProbeKind,
}

#[derive(Debug, clap::Subcommand)]
enum ProbeKind {
    /// ICMP echo (IPv4) / ICMPv6 echo, optionally along an SRv6 segment list.
    Icmp(ProbeOpts),
    /// TCP connect (handshake) time to --port; with --dual-stack, ports open on one family only.
    Tcp(ProbeOpts),
    /// UDP request/reply to --port: a DNS query on port 53, else an echo payload.
    Udp(ProbeOpts),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutputFormat {
    /// One summary line per target, like `fping -q`.
    Text,
    /// One object per target per line: {"target","family","protocol","sent","received",
    /// "loss_ratio","rtt_ms":{"min","avg","median","p95","max","stddev"},"jitter_ms",...}.
    Json,
}

#[derive(Debug, Clone, clap::Args)]
struct ProbeOpts {
    /// Probes per target in the round.
    #[arg(short = 'c', long, default_value_t = 5)]
    count: u32,

    /// Time between probes to one target (e.g. 200ms, 1s).
    #[arg(short = 'i', long, default_value = "1s", value_parser = parse_duration)]
    interval: Duration,

    /// How long to wait for each reply; later replies are counted as late.
    #[arg(short = 't', long, default_value = "1s", value_parser = parse_duration)]
    timeout: Duration,

    /// ICMP payload bytes (as `ping -s`); UDP echo payload bytes.
    #[arg(short = 's', long, default_value_t = 56)]
    size: usize,

    /// TCP/UDP port(s), comma-separated or repeated.
    #[arg(short = 'p', long, value_delimiter = ',')]
    port: Vec<u16>,

    /// SRv6 segment list (IPv6 SIDs in travel order, comma-separated): ICMPv6 echo with a
    /// Segment Routing Header through these SIDs to each target, shown next to the plain path.
    #[arg(long, value_name = "SID,SID...")]
    srv6_segs: Option<String>,

    /// Probe both the IPv4 and the IPv6 address of each target (a name resolving to both,
    /// or `IPv4,IPv6`) and compare them; for TCP/UDP, list ports open on one family only.
    #[arg(long)]
    dual_stack: bool,

    /// Use only IPv4 addresses of target names.
    #[arg(short = '4', conflicts_with_all = ["ipv6", "dual_stack"])]
    ipv4: bool,

    /// Use only IPv6 addresses of target names.
    #[arg(short = '6', conflicts_with_all = ["ipv4", "dual_stack"])]
    ipv6: bool,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,

    /// Hosts: IP addresses or names.
    #[arg(required = true, value_name = "TARGET")]
    targets: Vec<String>,
}

/// One round to run: which prober, against what.
struct Job {
    prober: Arc<dyn Prober>,
    target: ProbeTarget,
    port: Option<u16>,
}

fn usage(msg: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    eprintln!("netops probe: {msg}");
    Ok(ExitCode::from(2))
}

async fn resolve_one(name: &str, want: Option<Family>) -> anyhow::Result<IpAddr> {
    if let Ok(ip) = name
        .trim_matches(|c| c == '[' || c == ']')
        .parse::<IpAddr>()
    {
        if want.is_some_and(|w| w != Family::of(ip)) {
            anyhow::bail!(
                "{name} is not an {} address",
                want.map_or("", Family::as_str)
            );
        }
        return Ok(ip);
    }
    let addrs = tokio::net::lookup_host((name, 0))
        .await
        .map_err(|e| anyhow::anyhow!("cannot resolve {name}: {e}"))?;
    addrs
        .map(|s| s.ip().to_canonical())
        .find(|ip| want.is_none_or(|w| w == Family::of(*ip)))
        .ok_or_else(|| anyhow::anyhow!("{name} has no {} address", want.map_or("", Family::as_str)))
}

pub async fn run(args: ProbeArgs) -> anyhow::Result<ExitCode> {
    let (protocol, opts) = match args.kind {
        ProbeKind::Icmp(o) => (Protocol::Icmp, o),
        ProbeKind::Tcp(o) => (Protocol::Tcp, o),
        ProbeKind::Udp(o) => (Protocol::Udp, o),
    };
    let spec = RoundSpec {
        count: opts.count,
        interval: opts.interval,
        timeout: opts.timeout,
        size: opts.size,
        port: None,
    };
    if let Err(e) = spec.validate() {
        return usage(format!("--{e}"));
    }
    let ports: Vec<Option<u16>> = match protocol {
        Protocol::Icmp if !opts.port.is_empty() => {
            return usage("--port applies to tcp and udp probes");
        }
        Protocol::Icmp => vec![None],
        _ if opts.port.is_empty() => {
            return usage(format!("{} probes need --port", protocol.as_str()));
        }
        _ => opts.port.iter().copied().map(Some).collect(),
    };
    let sids = match &opts.srv6_segs {
        None => None,
        Some(_) if protocol != Protocol::Icmp => {
            return usage("--srv6-segs applies to icmp probes");
        }
        Some(text) => match parse_segment_list(text) {
            Ok(s) => Some(s),
            Err(e) => return usage(format!("--srv6-segs {text}: {e}")),
        },
    };
    let want = if opts.ipv4 {
        Some(Family::V4)
    } else if opts.ipv6 || sids.is_some() {
        Some(Family::V6)
    } else {
        None
    };

    let plain: Arc<dyn Prober> = match protocol {
        Protocol::Icmp => Arc::new(IcmpProber::new()),
        Protocol::Tcp => Arc::new(TcpProber),
        Protocol::Udp => Arc::new(UdpProber),
    };
    let srv6: Option<Arc<dyn Prober>> = match sids {
        Some(s) => Some(Arc::new(Srv6Prober::open(s)?)),
        None => None,
    };

    // Resolve, then one job per (target, family, port, path).
    let mut jobs = Vec::new();
    let mut dual_hosts = Vec::new();
    for name in &opts.targets {
        let addrs = if opts.dual_stack {
            let host = DualStackHost::resolve(name).await?;
            let pair = vec![IpAddr::V4(host.v4), IpAddr::V6(host.v6)];
            dual_hosts.push(host);
            pair
        } else {
            vec![resolve_one(name, want).await?]
        };
        for addr in addrs {
            for &port in &ports {
                let target = ProbeTarget::new(name.clone(), addr);
                if let Some(p) = &srv6
                    && addr.is_ipv6()
                {
                    jobs.push(Job {
                        prober: Arc::clone(p),
                        target: target.clone(),
                        port,
                    });
                }
                jobs.push(Job {
                    prober: Arc::clone(&plain),
                    target,
                    port,
                });
            }
        }
    }

    // Rounds start staggered over one interval, so N targets get one probe every
    // interval/N instead of N probes at once (bursts would queue on the path and show up
    // as RTT), the way fping spreads its probes.
    let mut set = JoinSet::new();
    let total = u32::try_from(jobs.len()).unwrap_or(u32::MAX).max(1);
    for (i, job) in jobs.into_iter().enumerate() {
        let spec = RoundSpec {
            port: job.port,
            ..spec.clone()
        };
        let stagger = spec.interval / total * u32::try_from(i).unwrap_or(u32::MAX);
        set.spawn(async move {
            tokio::time::sleep(stagger).await;
            (i, job.prober.round(&job.target, &spec).await)
        });
    }
    let mut results: Vec<(usize, RoundResult)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        let (i, r) = joined?;
        results.push((i, r?));
    }
    results.sort_by_key(|(i, _)| *i);
    let results: Vec<RoundResult> = results.into_iter().map(|(_, r)| r).collect();

    let mut out = String::new();
    for r in &results {
        match opts.output {
            OutputFormat::Json => out.push_str(&serde_json::to_string(&JsonRound::from(r))?),
            OutputFormat::Text => out.push_str(&report::text_round(r)),
        }
        out.push('\n');
    }
    if protocol != Protocol::Icmp {
        for host in &dual_hosts {
            let exposures = exposures_of(host, &opts.port, &results);
            match opts.output {
                OutputFormat::Json => {
                    let line = JsonDualStack {
                        target: host.name.clone(),
                        ipv4: host.v4.to_string(),
                        ipv6: host.v6.to_string(),
                        ports: exposures.iter().map(JsonExposure::from).collect(),
                    };
                    out.push_str(&serde_json::to_string(&line)?);
                }
                OutputFormat::Text => {
                    out.push_str(&report::text_dual_stack(&host.name, &exposures))
                }
            }
            out.push('\n');
        }
    }
    print!("{out}");
    let all_ok = results.iter().all(|r| r.stats.success());
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Pairs the per-family port results of one dual-stack host.
fn exposures_of(host: &DualStackHost, ports: &[u16], results: &[RoundResult]) -> Vec<PortExposure> {
    let state = |addr: IpAddr, port: u16| {
        results
            .iter()
            .find(|r| {
                r.target.name == host.name
                    && r.target.addr == addr
                    && r.port == Some(port)
                    && r.path == ProbePath::Plain
            })
            .and_then(|r| r.port_state)
            .unwrap_or(netops_probes::PortState::Unreachable)
    };
    ports
        .iter()
        .map(|&port| PortExposure {
            port,
            ipv4: state(IpAddr::V4(host.v4), port),
            ipv6: state(IpAddr::V6(host.v6), port),
        })
        .collect()
}
