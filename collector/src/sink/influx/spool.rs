//! On-disk spool: gzip-compressed line-protocol bodies that could not be delivered yet,
//! replayed oldest first.
//!
//! One file per body, named `<seq>-<lines>.lp.gz` with a zero-padded sequence number, so
//! the directory listing sorts in write order and the line count survives a restart of the
//! collector without reading the files. A body is written to a `.tmp` file and renamed into
//! place, so a crash never leaves a half-written body that replay would send. The total size
//! is bounded: when a new body does not fit, the oldest bodies are deleted (and their lines
//! reported as dropped) until it does.

use crate::sink::SinkError;
use std::collections::VecDeque;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

const SUFFIX: &str = ".lp.gz";
const TMP_SUFFIX: &str = ".tmp";

/// One spooled body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolEntry {
    pub seq: u64,
    pub lines: u64,
    pub bytes: u64,
    pub path: PathBuf,
}

/// What [`Spool::push`] had to give up to stay under its byte limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evicted {
    /// Lines in the bodies deleted (or, if the new body alone is over the limit, in it).
    pub lines: u64,
    pub bodies: u64,
}

#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    entries: VecDeque<SpoolEntry>,
    bytes: u64,
    next_seq: u64,
}

impl Spool {
    /// Opens (creating if needed) the spool in `dir` and picks up the bodies a previous run
    /// left there, oldest first. Stray `.tmp` files from an interrupted write are deleted;
    /// files that are not ours are left alone.
    pub fn open(dir: impl Into<PathBuf>, max_bytes: u64) -> Result<Self, SinkError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| SinkError::spool(&dir, e))?;
        let mut entries = Vec::new();
        for item in fs::read_dir(&dir).map_err(|e| SinkError::spool(&dir, e))? {
            let item = item.map_err(|e| SinkError::spool(&dir, e))?;
            let path = item.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name.ends_with(TMP_SUFFIX) {
                fs::remove_file(&path).map_err(|e| SinkError::spool(&path, e))?;
                continue;
            }
            let Some((seq, lines)) = parse_name(name) else {
                continue;
            };
            let bytes = item
                .metadata()
                .map_err(|e| SinkError::spool(&path, e))?
                .len();
            entries.push(SpoolEntry {
                seq,
                lines,
                bytes,
                path,
            });
        }
        entries.sort_by_key(|e| e.seq);
        let next_seq = entries.last().map_or(0, |e| e.seq + 1);
        let bytes = entries.iter().map(|e| e.bytes).sum();
        Ok(Self {
            dir,
            max_bytes,
            entries: entries.into(),
            bytes,
            next_seq,
        })
    }

    /// Appends one body of `lines` lines as the newest entry, deleting the oldest entries
    /// first if it would not fit. A body larger than the whole limit is not stored; its own
    /// lines are reported as evicted.
    pub fn push(&mut self, body: &[u8], lines: u64) -> Result<Evicted, SinkError> {
        let len = body.len() as u64;
        let mut evicted = Evicted::default();
        if len > self.max_bytes {
            evicted.lines = lines;
            evicted.bodies = 1;
            return Ok(evicted);
        }
        while self.bytes + len > self.max_bytes {
            let Some(oldest) = self.entries.front() else {
                break;
            };
            evicted.lines += oldest.lines;
            evicted.bodies += 1;
            self.remove_oldest()?;
        }
        let seq = self.next_seq;
        let path = self.dir.join(format!("{seq:020}-{lines}{SUFFIX}"));
        let tmp = path.with_extension(format!("gz{TMP_SUFFIX}"));
        write_durably(&tmp, body)?;
        fs::rename(&tmp, &path).map_err(|e| SinkError::spool(&path, e))?;
        self.next_seq += 1;
        self.bytes += len;
        self.entries.push_back(SpoolEntry {
            seq,
            lines,
            bytes: len,
            path,
        });
        Ok(evicted)
    }

    pub fn oldest(&self) -> Option<&SpoolEntry> {
        self.entries.front()
    }

    /// Reads the body of the oldest entry.
    pub fn read_oldest(&self) -> Option<Result<Vec<u8>, SinkError>> {
        self.entries
            .front()
            .map(|e| fs::read(&e.path).map_err(|err| SinkError::spool(&e.path, err)))
    }

    /// Deletes the oldest entry (after the server acknowledged it, or when evicting).
    pub fn remove_oldest(&mut self) -> Result<(), SinkError> {
        if let Some(oldest) = self.entries.pop_front() {
            self.bytes -= oldest.bytes;
            match fs::remove_file(&oldest.path) {
                Ok(()) => {}
                // Already gone is what we wanted.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(SinkError::spool(&oldest.path, e)),
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Bytes on disk in spooled bodies.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Lines waiting in the spool.
    pub fn lines(&self) -> u64 {
        self.entries.iter().map(|e| e.lines).sum()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn parse_name(name: &str) -> Option<(u64, u64)> {
    let stem = name.strip_suffix(SUFFIX)?;
    let (seq, lines) = stem.split_once('-')?;
    Some((seq.parse().ok()?, lines.parse().ok()?))
}

/// Writes and syncs, so that a body the spool reports as stored survives a power cut.
fn write_durably(path: &Path, body: &[u8]) -> Result<(), SinkError> {
    let mut file = fs::File::create(path).map_err(|e| SinkError::spool(path, e))?;
    file.write_all(body)
        .and_then(|()| file.sync_data())
        .map_err(|e| SinkError::spool(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bodies(spool: &mut Spool) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(body) = spool.read_oldest() {
            out.push(body.unwrap());
            spool.remove_oldest().unwrap();
        }
        out
    }

    #[test]
    fn replays_in_write_order_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), 1000).unwrap();
        for i in 0..12u8 {
            assert_eq!(
                spool.push(&[i; 10], u64::from(i)).unwrap(),
                Evicted::default()
            );
        }
        assert_eq!((spool.len(), spool.bytes(), spool.lines()), (12, 120, 66));
        drop(spool);

        let mut spool = Spool::open(dir.path(), 1000).unwrap();
        assert_eq!((spool.len(), spool.bytes(), spool.lines()), (12, 120, 66));
        spool.remove_oldest().unwrap();
        spool.push(&[99; 10], 5).unwrap();
        let got = bodies(&mut spool);
        let mut want: Vec<Vec<u8>> = (1..12u8).map(|i| vec![i; 10]).collect();
        want.push(vec![99; 10]);
        assert_eq!(got, want);
        assert_eq!((spool.len(), spool.bytes()), (0, 0));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn full_spool_drops_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), 35).unwrap();
        spool.push(&[1; 10], 1).unwrap();
        spool.push(&[2; 10], 2).unwrap();
        spool.push(&[3; 10], 3).unwrap();
        let evicted = spool.push(&[4; 10], 4).unwrap();
        assert_eq!(
            evicted,
            Evicted {
                lines: 1,
                bodies: 1
            }
        );
        let evicted = spool.push(&[5; 25], 5).unwrap();
        assert_eq!(
            evicted,
            Evicted {
                lines: 5,
                bodies: 2
            }
        );
        assert_eq!(spool.bytes(), 35);
        assert_eq!(bodies(&mut spool), vec![vec![4; 10], vec![5; 25]]);
    }

    #[test]
    fn a_body_over_the_whole_limit_is_refused_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), 8).unwrap();
        spool.push(&[1; 8], 1).unwrap();
        assert_eq!(
            spool.push(&[2; 9], 7).unwrap(),
            Evicted {
                lines: 7,
                bodies: 1
            }
        );
        assert_eq!(bodies(&mut spool), vec![vec![1; 8]]);
    }

    #[test]
    fn leftover_tmp_files_are_removed_and_foreign_files_ignored() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("00000000000000000007-3.lp.gz.tmp"), b"half").unwrap();
        fs::write(dir.path().join("README"), b"not ours").unwrap();
        fs::write(dir.path().join("00000000000000000004-2.lp.gz"), b"body").unwrap();
        let mut spool = Spool::open(dir.path(), 100).unwrap();
        assert_eq!((spool.len(), spool.lines(), spool.bytes()), (1, 2, 4));
        spool.push(b"next", 1).unwrap();
        assert_eq!(spool.oldest().unwrap().seq, 4);
        assert_eq!(bodies(&mut spool), vec![b"body".to_vec(), b"next".to_vec()]);
        assert!(dir.path().join("README").exists());
        assert!(!dir.path().join("00000000000000000007-3.lp.gz.tmp").exists());
    }
}
