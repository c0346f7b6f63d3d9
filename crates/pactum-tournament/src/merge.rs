//! Joining shards into the file a single run writes, and re-sorting a
//! resumed file.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::csv::{self, header, Record};
use crate::plan::{read_sidecar, sidecar_path, Plan};
use crate::TournamentError;

struct Source {
    path: PathBuf,
    reader: BufReader<File>,
    line: usize,
}

impl Source {
    fn open(path: &Path) -> Result<Source, TournamentError> {
        let file = File::open(path).map_err(|e| TournamentError::io(path, e))?;
        let mut s = Source {
            path: path.to_path_buf(),
            reader: BufReader::new(file),
            line: 0,
        };
        match s.next()? {
            Some(h) if h.raw == header() => Ok(s),
            _ => Err(s.corrupt("the header is not the expected columns")),
        }
    }

    fn corrupt(&self, why: &str) -> TournamentError {
        TournamentError::Corrupt {
            path: self.path.clone(),
            line: self.line,
            why: why.into(),
        }
    }

    fn next(&mut self) -> Result<Option<Record>, TournamentError> {
        let rec =
            csv::read_record(&mut self.reader).map_err(|e| TournamentError::io(&self.path, e))?;
        self.line += 1;
        match rec {
            Ok(r) => Ok(r),
            Err(_) => Err(self.corrupt("the row is cut short (resume this shard first)")),
        }
    }

    fn next_run(&mut self) -> Result<Option<(u64, Record)>, TournamentError> {
        match self.next()? {
            None => Ok(None),
            Some(r) => match r.run() {
                Some(run) => Ok(Some((run, r))),
                None => Err(self.corrupt("no run number")),
            },
        }
    }
}

/// Writes to `path.tmp`, then renames over `path`, so `path` is never half
/// written (and may be one of the inputs).
fn replace(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), TournamentError>,
) -> Result<(), TournamentError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let file = File::create(&tmp).map_err(|e| TournamentError::io(&tmp, e))?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    let result = write(&mut w).and_then(|()| w.flush().map_err(|e| TournamentError::io(&tmp, e)));
    drop(w);
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| TournamentError::io(path, e))
}

/// Merges shard files (each sorted by run, as runs write them) into `out`,
/// sorted by run: exactly the file one unsharded run writes. Streams: one
/// row per shard in memory. Checks that the shards belong to one
/// tournament and together hold every run exactly once; returns the
/// unsharded plan, also written as `out`'s sidecar.
pub fn merge(out: &Path, shards: &[PathBuf]) -> Result<Plan, TournamentError> {
    let first = shards
        .first()
        .ok_or(TournamentError::Empty("shards to merge"))?;
    let plan = read_sidecar(first)?;
    for s in &shards[1..] {
        let p = read_sidecar(s)?;
        if p.tournament_hash() != plan.tournament_hash() {
            return Err(TournamentError::MergeMismatch {
                a: first.clone(),
                b: s.clone(),
            });
        }
    }
    let plan = Plan {
        shard: None,
        ..plan
    };
    let total = plan.total();
    let mut sources = shards
        .iter()
        .map(|p| Source::open(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut heap = BinaryHeap::new();
    let mut pending: Vec<Option<Record>> = Vec::with_capacity(sources.len());
    for (i, s) in sources.iter_mut().enumerate() {
        match s.next_run()? {
            Some((run, r)) => {
                heap.push(Reverse((run, i)));
                pending.push(Some(r));
            }
            None => pending.push(None),
        }
    }
    replace(out, |w| {
        w.write_all(header().as_bytes())
            .map_err(|e| TournamentError::io(out, e))?;
        let mut expect = 0u64;
        while let Some(Reverse((run, i))) = heap.pop() {
            if run != expect {
                let s = &sources[i];
                return Err(if run < expect {
                    s.corrupt(&format!(
                        "run {run} appears twice (or the shard is out of order)"
                    ))
                } else {
                    TournamentError::Incomplete {
                        missing: run - expect,
                        first: expect,
                        total,
                    }
                });
            }
            let rec = pending[i].take().expect("a queued source has a row");
            w.write_all(rec.raw.as_bytes())
                .map_err(|e| TournamentError::io(out, e))?;
            expect += 1;
            if let Some((next, r)) = sources[i].next_run()? {
                if next <= run {
                    return Err(sources[i].corrupt("rows are not sorted by run"));
                }
                heap.push(Reverse((next, i)));
                pending[i] = Some(r);
            }
        }
        if expect != total {
            return Err(TournamentError::Incomplete {
                missing: total - expect,
                first: expect,
                total,
            });
        }
        Ok(())
    })?;
    let sidecar = sidecar_path(out);
    let text = serde_json::to_string_pretty(&plan.sidecar()).expect("JSON values serialise");
    std::fs::write(&sidecar, text + "\n").map_err(|e| TournamentError::io(&sidecar, e))?;
    Ok(plan)
}

/// Sorts a results file by run in place (after a resume found rows out of
/// order, which only a hand-edited file has). Holds the rows in memory.
pub fn sort_file(path: &Path) -> Result<(), TournamentError> {
    let mut src = Source::open(path)?;
    let mut rows = Vec::new();
    while let Some(r) = src.next_run()? {
        rows.push(r);
    }
    rows.sort_by_key(|(run, _)| *run);
    replace(path, |w| {
        w.write_all(header().as_bytes())
            .map_err(|e| TournamentError::io(path, e))?;
        for (_, r) in &rows {
            w.write_all(r.raw.as_bytes())
                .map_err(|e| TournamentError::io(path, e))?;
        }
        Ok(())
    })
}
