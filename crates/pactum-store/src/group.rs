//! Group commit for the hot writes, [`Store::put_record`] and
//! [`Store::append_audit`].
//!
//! Each write transaction ends in one fsync (`synchronous=FULL` on SQLite,
//! `synchronous_commit` on PostgreSQL), and a disk does only a few hundred
//! of those a second; so committing every write on its own caps the write
//! rate there, however many clients wait. Instead, callers hand their write
//! to one writer task as a [`Job`] and wait for its reply. The writer takes
//! the first job, then whatever else is already queued (up to
//! [`MAX_GROUP`], without waiting for more, so a lone write is not
//! delayed), and runs them in order in ONE write transaction, each inside
//! its own savepoint: a write that fails (a revision conflict, a missing
//! room, a value the schema refuses) is rolled back alone. Then ONE commit
//! makes the group durable, and only after it succeeded does each caller
//! get its outcome (its `Ok`, or its own error); if it fails, they all get
//! the commit's error and nothing of the group is stored.
//!
//! The writer takes the backend's write lock for each group, like every
//! other write, so the audit chain stays one line: the group's entries are
//! appended in the order of its writes, after the entries of whatever
//! committed before it.
//!
//! The writer task ends when the store, which holds the only sender, is
//! dropped (after finishing the jobs already queued).
//!
//! [`Store::put_record`]: crate::Store::put_record
//! [`Store::append_audit`]: crate::Store::append_audit

use std::io;

use tokio::sync::{mpsc, oneshot};

use crate::{NewAudit, NewRecord, RecordRow, Result, StoreError};

/// The most writes committed together. Bounds how long one transaction
/// holds the write lock (other writers, such as a room's creation, queue
/// behind it) and how much a failed commit takes down with it.
pub(crate) const MAX_GROUP: usize = 128;

/// How many jobs may wait for the writer before callers wait to enqueue:
/// back-pressure instead of unbounded memory under overload.
const QUEUE_DEPTH: usize = 4 * MAX_GROUP;

/// One caller's write, with where to send its outcome.
///
/// Not boxed although the variants differ in size: a job is moved once,
/// into the queue, whose slots (a few hundred bytes each) are allocated
/// once per store.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Job {
    /// See [`Store::put_record`](crate::Store::put_record).
    PutRecord {
        room: String,
        rec: NewRecord,
        expected_revision: Option<i64>,
        audit: NewAudit,
        reply: oneshot::Sender<Result<RecordRow>>,
    },
    /// See [`Store::append_audit`](crate::Store::append_audit).
    AppendAudit {
        entries: Vec<NewAudit>,
        reply: oneshot::Sender<Result<()>>,
    },
}

impl Job {
    /// Answers the caller with an error: its write is not stored.
    pub(crate) fn fail(self, e: StoreError) {
        // A caller that stopped waiting (its request was cancelled) has
        // dropped its receiver; there is nobody left to tell.
        match self {
            Job::PutRecord { reply, .. } => drop(reply.send(Err(e))),
            Job::AppendAudit { reply, .. } => drop(reply.send(Err(e))),
        }
    }
}

/// A write's outcome inside the group's transaction, held back until the
/// group's commit has succeeded or failed.
///
/// Failures are held back too: a conflict may have been caused by an
/// earlier write of the same group, which is only real once committed, so
/// a caller must not hear of it (and retry) before then.
pub(crate) enum Pending {
    Record(oneshot::Sender<Result<RecordRow>>, Result<RecordRow>),
    Audit(oneshot::Sender<Result<()>>, Result<()>),
}

impl Pending {
    /// The group committed: successful writes are durable, failed ones
    /// were rolled back to their savepoints.
    pub(crate) fn committed(self) {
        match self {
            Pending::Record(reply, outcome) => drop(reply.send(outcome)),
            Pending::Audit(reply, outcome) => drop(reply.send(outcome)),
        }
    }

    /// The group did not commit: nothing of it is stored.
    pub(crate) fn fail(self, e: StoreError) {
        match self {
            Pending::Record(reply, _) => drop(reply.send(Err(e))),
            Pending::Audit(reply, _) => drop(reply.send(Err(e))),
        }
    }
}

/// Fails every pending write of a group with `e` (the last one gets `e`
/// itself, the others a copy, since errors cannot be cloned).
pub(crate) fn fail_all(pending: Vec<Pending>, e: StoreError) {
    let mut pending = pending;
    let Some(last) = pending.pop() else {
        return;
    };
    for p in pending {
        p.fail(copy_error(&e));
    }
    last.fail(e);
}

/// The store's handle on its writer task.
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// A writer handle and the queue its task reads.
    pub(crate) fn channel() -> (Writer, mpsc::Receiver<Job>) {
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        (Writer { jobs }, queue)
    }

    /// Queues a job made around the reply channel and waits for its
    /// outcome.
    ///
    /// If the caller stops waiting, the job still runs (or has run): like a
    /// request cut off before its response, the write may or may not be
    /// stored, and the audit log says which.
    pub(crate) async fn submit<T>(
        &self,
        job: impl FnOnce(oneshot::Sender<Result<T>>) -> Job,
    ) -> Result<T> {
        let (reply, outcome) = oneshot::channel();
        self.jobs.send(job(reply)).await.map_err(|_| gone())?;
        outcome.await.map_err(|_| gone())?
    }
}

/// The writer task is gone: its runtime was shut down under the store.
fn gone() -> StoreError {
    StoreError::Database(sqlx::Error::WorkerCrashed)
}

/// Waits for a job, then takes whatever else is already queued, up to
/// [`MAX_GROUP`]. `None` once the store is dropped and the queue is empty.
pub(crate) async fn next_group(queue: &mut mpsc::Receiver<Job>) -> Option<Vec<Job>> {
    let first = queue.recv().await?;
    let mut group = Vec::with_capacity(queue.len().min(MAX_GROUP - 1) + 1);
    group.push(first);
    while group.len() < MAX_GROUP {
        match queue.try_recv() {
            Ok(job) => group.push(job),
            Err(_) => break,
        }
    }
    Some(group)
}

/// An equivalent of `e` for another caller of the same failed group.
///
/// A group fails as a whole only on a database or I/O error (a failed
/// `BEGIN`, savepoint or `COMMIT`); a driver error is passed on as an I/O
/// error carrying its message, keeping the kind where it has one.
pub(crate) fn copy_error(e: &StoreError) -> StoreError {
    let io_copy = |source: &io::Error| io::Error::new(source.kind(), source.to_string());
    match e {
        StoreError::Database(db) => StoreError::Database(match db {
            sqlx::Error::Io(source) => sqlx::Error::Io(io_copy(source)),
            sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
            sqlx::Error::WorkerCrashed => sqlx::Error::WorkerCrashed,
            other => sqlx::Error::Io(io::Error::other(format!(
                "the group commit this write was part of failed: {other}"
            ))),
        }),
        StoreError::Conflict { what } => StoreError::Conflict { what: what.clone() },
        StoreError::NotFound { what } => StoreError::NotFound { what: what.clone() },
        StoreError::Invalid { what } => StoreError::Invalid { what: what.clone() },
        StoreError::Gone { what } => StoreError::Gone { what: what.clone() },
        StoreError::NotEmpty => StoreError::NotEmpty,
        StoreError::Corrupt { what } => StoreError::Corrupt { what: what.clone() },
        StoreError::Incompatible { what } => StoreError::Incompatible { what: what.clone() },
        StoreError::Io { path, source } => StoreError::Io {
            path: path.clone(),
            source: io_copy(source),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_keep_the_kind_and_message() {
        let e = StoreError::Conflict {
            what: "record x".into(),
        };
        assert_eq!(copy_error(&e).to_string(), e.to_string());
        let e = StoreError::Database(sqlx::Error::Io(io::Error::new(
            io::ErrorKind::StorageFull,
            "disk full",
        )));
        match copy_error(&e) {
            StoreError::Database(sqlx::Error::Io(io)) => {
                assert_eq!(io.kind(), io::ErrorKind::StorageFull);
                assert_eq!(io.to_string(), "disk full");
            }
            other => panic!("{other:?}"),
        }
        let e = StoreError::Database(sqlx::Error::Protocol("bad frame".into()));
        assert!(copy_error(&e).to_string().contains("bad frame"));
    }

    #[tokio::test]
    async fn a_group_is_what_is_queued_and_ends_with_the_store() {
        let (writer, mut queue) = Writer::channel();
        for i in 0..MAX_GROUP + 3 {
            let (reply, _) = oneshot::channel();
            writer
                .jobs
                .send(Job::AppendAudit {
                    entries: vec![NewAudit::new(format!("a{i}"), "read")],
                    reply,
                })
                .await
                .unwrap();
        }
        assert_eq!(next_group(&mut queue).await.unwrap().len(), MAX_GROUP);
        assert_eq!(next_group(&mut queue).await.unwrap().len(), 3);
        drop(writer);
        assert!(next_group(&mut queue).await.is_none());
    }
}
