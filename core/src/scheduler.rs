//! The scheduler: runs every job once per its interval, each at its own stable offset inside
//! the interval (so 10,000 polls every 60 s become ~167 per second, not a burst of 10,000
//! at :00), with at most `concurrency` jobs running at once, until cancelled.
//!
//! A run may not outlive its interval (the next turn would find it busy and runs would pile
//! up): it is cut off, counted, and the job is told through [`Job::overran`], so that it can
//! report what happened (a poll job reports its target down) instead of going silent.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

pub type JobFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Something run periodically: an SNMP poll of one target, a probe round.
pub trait Job: Send + Sync + 'static {
    /// Stable identity: decides the job's offset inside its interval.
    fn key(&self) -> &str;
    fn interval(&self) -> Duration;
    fn run(&self) -> JobFuture<'_>;

    /// Called after a run was cut off at the end of its interval. A job whose runs report
    /// health (an SNMP poll's `netops_target_up`) must say here that this run failed:
    /// otherwise a target too slow for its interval simply stops being reported.
    fn overran(&self) -> JobFuture<'_> {
        Box::pin(async {})
    }
}

/// 64-bit FNV-1a: stable across runs, machines and versions (unlike `DefaultHasher`), so
/// offsets and shards do not move when the daemon restarts.
pub fn stable_hash(key: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Where inside its interval a job runs.
pub fn stable_offset(key: &str, interval: Duration) -> Duration {
    let nanos = interval.as_nanos().max(1);
    Duration::from_nanos((u128::from(stable_hash(key)) % nanos) as u64)
}

/// `--shard I/N`: this daemon keeps the jobs whose stable hash modulo N is I, like
/// Prometheus' hashmod relabelling, so N daemons split one target list without talking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    pub fn owns(&self, key: &str) -> bool {
        stable_hash(key) % self.count == self.index
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("shard {s:?}: expected I/N, e.g. 0/4"))?;
        let index: u64 = i
            .trim()
            .parse()
            .map_err(|_| format!("shard {s:?}: I is not a number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("shard {s:?}: N is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!("shard {s:?}: need 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }
}

/// Counters of the scheduler itself.
#[derive(Debug, Default)]
pub struct SchedulerStats {
    pub runs: AtomicU64,
    /// Turns skipped because the previous run of the same job was still going.
    pub skipped: AtomicU64,
}

/// Runs `jobs` until `cancel` fires. Returns when every job task has stopped.
pub async fn run(
    jobs: Vec<Arc<dyn Job>>,
    concurrency: usize,
    cancel: CancellationToken,
    stats: Arc<SchedulerStats>,
) {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for job in jobs {
        let permits = permits.clone();
        let cancel = cancel.clone();
        let stats = stats.clone();
        tasks.spawn(async move {
            let interval = job.interval().max(Duration::from_millis(10));
            let start = tokio::time::Instant::now() + stable_offset(job.key(), interval);
            let mut ticks = tokio::time::interval_at(start, interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = ticks.tick() => {}
                }
                let permit = tokio::select! {
                    _ = cancel.cancelled() => break,
                    p = permits.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                };
                stats.runs.fetch_add(1, Ordering::Relaxed);
                // The run may not outlive its interval: the next turn would find it busy.
                let finished = tokio::select! {
                    _ = cancel.cancelled() => break,
                    r = tokio::time::timeout(interval, job.run()) => r.is_ok(),
                };
                if !finished {
                    stats.skipped.fetch_add(1, Ordering::Relaxed);
                    job.overran().await;
                }
                drop(permit);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn hash_is_stable_and_shards_partition() {
        // FNV-1a test vectors.
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
        let names: Vec<String> = (0..1000).map(|i| format!("router-{i}")).collect();
        let shards: Vec<Shard> = (0..4).map(|i| format!("{i}/4").parse().unwrap()).collect();
        let mut sizes = [0; 4];
        for n in &names {
            let owners: Vec<usize> = (0..4).filter(|i| shards[*i].owns(n)).collect();
            assert_eq!(owners.len(), 1, "{n} must belong to exactly one shard");
            sizes[owners[0]] += 1;
        }
        assert!(
            sizes.iter().all(|s| (200..300).contains(s)),
            "balanced: {sizes:?}"
        );
        assert!(Shard::ALL.owns("anything"));
    }

    #[test]
    fn shard_parsing() {
        assert_eq!("1/3".parse(), Ok(Shard { index: 1, count: 3 }));
        for bad in ["3/3", "1", "a/2", "0/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn offsets_spread_over_the_interval() {
        let interval = Duration::from_secs(60);
        let mut buckets = [0u32; 6];
        for i in 0..6000 {
            let o = stable_offset(&format!("t{i}"), interval);
            assert!(o < interval);
            buckets[(o.as_secs() / 10) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|b| (800..1200).contains(b)),
            "{buckets:?}"
        );
    }

    struct Recorder {
        key: String,
        runs: Arc<Mutex<Vec<(String, tokio::time::Instant)>>>,
        running: Arc<AtomicU64>,
        max_running: Arc<AtomicU64>,
        work: Duration,
    }

    impl Job for Recorder {
        fn key(&self) -> &str {
            &self.key
        }
        fn interval(&self) -> Duration {
            Duration::from_secs(10)
        }
        fn run(&self) -> JobFuture<'_> {
            Box::pin(async move {
                let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
                self.max_running.fetch_max(now, Ordering::SeqCst);
                self.runs
                    .lock()
                    .unwrap()
                    .push((self.key.clone(), tokio::time::Instant::now()));
                tokio::time::sleep(self.work).await;
                self.running.fetch_sub(1, Ordering::SeqCst);
            })
        }
    }

    /// With paused time: each job runs once per interval, never more than `concurrency` at
    /// once, and stops on cancel.
    #[tokio::test(start_paused = true)]
    async fn runs_each_job_per_interval_with_bounded_concurrency() {
        let runs = Arc::new(Mutex::new(Vec::new()));
        let running = Arc::new(AtomicU64::new(0));
        let max_running = Arc::new(AtomicU64::new(0));
        let jobs: Vec<Arc<dyn Job>> = (0..20)
            .map(|i| {
                Arc::new(Recorder {
                    key: format!("job-{i}"),
                    runs: runs.clone(),
                    running: running.clone(),
                    max_running: max_running.clone(),
                    work: Duration::from_secs(1),
                }) as Arc<dyn Job>
            })
            .collect();
        let cancel = CancellationToken::new();
        let stats = Arc::new(SchedulerStats::default());
        let handle = tokio::spawn(run(jobs, 4, cancel.clone(), stats.clone()));
        tokio::time::sleep(Duration::from_secs(95)).await;
        cancel.cancel();
        handle.await.unwrap();
        let runs = runs.lock().unwrap();
        assert!(max_running.load(Ordering::SeqCst) <= 4);
        // 20 jobs x ~9 turns in 95 s; 20 s of work per 10 s fits in 4 slots.
        for i in 0..20 {
            let n = runs
                .iter()
                .filter(|(k, _)| *k == format!("job-{i}"))
                .count();
            assert!((8..=10).contains(&n), "job-{i} ran {n} times");
        }
        assert_eq!(stats.runs.load(Ordering::SeqCst) as usize, runs.len());
    }

    /// A job slower than its interval (runs of 25 s every 10 s).
    struct Slow {
        overruns: Arc<AtomicU64>,
    }

    impl Job for Slow {
        fn key(&self) -> &str {
            "slow"
        }
        fn interval(&self) -> Duration {
            Duration::from_secs(10)
        }
        fn run(&self) -> JobFuture<'_> {
            Box::pin(tokio::time::sleep(Duration::from_secs(25)))
        }
        fn overran(&self) -> JobFuture<'_> {
            Box::pin(async move {
                self.overruns.fetch_add(1, Ordering::SeqCst);
            })
        }
    }

    /// A run that outlives its interval is cut off, counted, and reported to the job, every
    /// time: the job never goes silent.
    #[tokio::test(start_paused = true)]
    async fn a_run_longer_than_its_interval_is_cut_off_and_reported() {
        let overruns = Arc::new(AtomicU64::new(0));
        let jobs: Vec<Arc<dyn Job>> = vec![Arc::new(Slow {
            overruns: overruns.clone(),
        })];
        let cancel = CancellationToken::new();
        let stats = Arc::new(SchedulerStats::default());
        let handle = tokio::spawn(run(jobs, 4, cancel.clone(), stats.clone()));
        tokio::time::sleep(Duration::from_secs(65)).await;
        cancel.cancel();
        handle.await.unwrap();
        let runs = stats.runs.load(Ordering::SeqCst);
        let cut = stats.skipped.load(Ordering::SeqCst);
        assert!(runs >= 5, "a turn every 10 s: {runs} runs in 65 s");
        assert!(
            cut + 1 >= runs,
            "every finished run was cut off: {cut} of {runs}"
        );
        assert_eq!(
            overruns.load(Ordering::SeqCst),
            cut,
            "each cut-off reported to the job"
        );
    }
}
