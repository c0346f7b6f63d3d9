//! The hash-chained audit log: entry types, the hash, and chain checking.
//!
//! Each entry's hash covers the previous entry's hash, so editing, removing
//! or re-hashing one entry breaks every link after it. The chain cannot
//! prove that entries were not cut off the *end*; keep the latest
//! [`AuditEntry::hash`] somewhere else (a report, a signed export) to detect
//! that.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of entry 1: there is nothing before it to link to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What the caller wants logged with a write or read.
///
/// The store adds the sequence number, the time and the hashes; the caller
/// says who did what to which room or record. `actor` and `action` must not
/// be empty (the schema refuses it, failing the whole write).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAudit {
    /// Who acted: a user name, or a fixed name such as `system`.
    pub actor: String,
    /// What was done, in the server's vocabulary (`record.put`, `login`).
    pub action: String,
    /// The room concerned, if any; [`Store::audit`](crate::Store::audit)
    /// filters on it.
    pub room: Option<String>,
    /// The record kind concerned, if any.
    pub kind: Option<String>,
    /// The record id concerned, if any.
    pub record_id: Option<String>,
    /// Free text or JSON for the server; the store only hashes it.
    pub detail: String,
}

impl NewAudit {
    /// An entry with no room or record, for actions on users or sessions.
    pub fn new(actor: impl Into<String>, action: impl Into<String>) -> Self {
        NewAudit {
            actor: actor.into(),
            action: action.into(),
            room: None,
            kind: None,
            record_id: None,
            detail: String::new(),
        }
    }
}

/// One stored audit entry, as read back or dumped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// When the store appended it (RFC 3339, UTC, milliseconds).
    pub at: String,
    /// See [`NewAudit::actor`].
    pub actor: String,
    /// See [`NewAudit::action`].
    pub action: String,
    /// See [`NewAudit::room`].
    pub room: Option<String>,
    /// See [`NewAudit::kind`].
    pub kind: Option<String>,
    /// See [`NewAudit::record_id`].
    pub record_id: Option<String>,
    /// See [`NewAudit::detail`].
    pub detail: String,
    /// The hash of entry `seq - 1`, or [`GENESIS_HASH`] for entry 1.
    pub prev_hash: String,
    /// [`audit_hash`] of this entry.
    pub hash: String,
}

/// The outcome of checking an audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditReport {
    /// How many entries were read.
    pub entries: i64,
    /// The first sequence number at which the chain is broken.
    pub first_bad: Option<i64>,
    /// Why the chain is broken there.
    pub reason: Option<String>,
}

impl AuditReport {
    /// Whether the whole chain checked out.
    pub fn ok(&self) -> bool {
        self.first_bad.is_none()
    }
}

/// The hash an audit entry must carry, from its `prev_hash` and contents.
///
/// `entry.hash` itself is ignored. The digest is SHA-256 over the fields
/// joined by `'\n'`, in this order: `prev_hash`, `seq` (decimal), `at`,
/// `actor`, `action`, `room`, `kind`, `record_id`, `detail`, with an empty
/// string for each absent field; the result is lower-case hex. This is the
/// one definition: the store, the server and anyone checking an export use
/// it, so the format cannot drift between them.
///
/// ```
/// use pactum_store::{audit_hash, AuditEntry, GENESIS_HASH};
///
/// let mut entry = AuditEntry {
///     seq: 1,
///     at: "2026-01-01T00:00:00.000Z".into(),
///     actor: "alice".into(),
///     action: "room.create".into(),
///     room: Some("r1".into()),
///     kind: None,
///     record_id: None,
///     detail: String::new(),
///     prev_hash: GENESIS_HASH.into(),
///     hash: String::new(),
/// };
/// entry.hash = audit_hash(&entry);
/// assert_eq!(entry.hash.len(), 64);
/// ```
pub fn audit_hash(entry: &AuditEntry) -> String {
    let seq = entry.seq.to_string();
    let fields: [&str; 9] = [
        &entry.prev_hash,
        &seq,
        &entry.at,
        &entry.actor,
        &entry.action,
        entry.room.as_deref().unwrap_or(""),
        entry.kind.as_deref().unwrap_or(""),
        entry.record_id.as_deref().unwrap_or(""),
        &entry.detail,
    ];
    let mut hasher = Sha256::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            hasher.update(b"\n");
        }
        hasher.update(field.as_bytes());
    }
    format!("{:x}", hasher.finalize())
}

/// Checks a chain entry by entry, in `seq` order, without holding it.
///
/// Used by [`Store::verify_audit`](crate::Store::verify_audit), which pages
/// through the table, and by restore, which checks a dump before writing
/// it. Only the first break is reported: everything after it is suspect.
#[derive(Debug, Clone)]
pub struct AuditVerifier {
    entries: i64,
    expected_seq: i64,
    prev_hash: String,
    first_bad: Option<(i64, String)>,
}

impl Default for AuditVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl AuditVerifier {
    /// A verifier expecting entry 1 next.
    pub fn new() -> Self {
        AuditVerifier {
            entries: 0,
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
            first_bad: None,
        }
    }

    /// Checks the next entry of the chain.
    pub fn push(&mut self, entry: &AuditEntry) {
        self.entries += 1;
        if self.first_bad.is_none() {
            self.first_bad = self.check(entry).err();
        }
        self.expected_seq = entry.seq.saturating_add(1);
        self.prev_hash.clone_from(&entry.hash);
    }

    fn check(&self, entry: &AuditEntry) -> std::result::Result<(), (i64, String)> {
        let expected = self.expected_seq;
        if entry.seq != expected {
            let why = if entry.seq > expected {
                format!(
                    "entry {expected} is missing (next stored entry is {}): a row was deleted",
                    entry.seq
                )
            } else {
                format!(
                    "entry {} appears after entry {}: sequence out of order",
                    entry.seq,
                    expected - 1
                )
            };
            return Err((expected, why));
        }
        if audit_hash(entry) != entry.hash {
            return Err((
                entry.seq,
                format!(
                    "entry {} does not match its stored hash: the row was edited",
                    entry.seq
                ),
            ));
        }
        if entry.prev_hash != self.prev_hash {
            return Err((
                entry.seq,
                format!(
                    "entry {} does not link to entry {}: prev_hash differs from that entry's hash",
                    entry.seq,
                    entry.seq - 1
                ),
            ));
        }
        Ok(())
    }

    /// The report for everything pushed so far.
    pub fn finish(self) -> AuditReport {
        let (first_bad, reason) = match self.first_bad {
            Some((seq, why)) => (Some(seq), Some(why)),
            None => (None, None),
        };
        AuditReport {
            entries: self.entries,
            first_bad,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AuditEntry {
        AuditEntry {
            seq: 1,
            at: "2026-01-01T00:00:00.000Z".into(),
            actor: "alice".into(),
            action: "room.create".into(),
            room: Some("r1".into()),
            kind: None,
            record_id: None,
            detail: "{\"title\":\"Caf\u{e9}\"}".into(),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn hash_matches_sha256sum() {
        // printf '%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s' 000…0 1 2026-01-01T00:00:00.000Z \
        //   alice room.create r1 '' '' '{"title":"Café"}' | sha256sum
        assert_eq!(
            audit_hash(&entry()),
            "2d6cdb325e01fff070f77c3c862fcb5a0b92ad98dd8c3070e9645821f35638ed"
        );
    }

    #[test]
    fn verifier_names_the_break() {
        let mut chain = Vec::new();
        let mut prev = GENESIS_HASH.to_owned();
        for seq in 1..=4 {
            let mut e = entry();
            e.seq = seq;
            e.prev_hash = prev;
            e.hash = audit_hash(&e);
            prev = e.hash.clone();
            chain.push(e);
        }
        let report = |chain: &[AuditEntry]| {
            let mut v = AuditVerifier::new();
            chain.iter().for_each(|e| v.push(e));
            v.finish()
        };
        assert!(report(&chain).ok());
        assert_eq!(report(&chain).entries, 4);
        assert_eq!(report(&[]).entries, 0);

        let mut edited = chain.clone();
        edited[2].actor = "mallory".into();
        assert_eq!(report(&edited).first_bad, Some(3));

        let mut gap = chain.clone();
        gap.remove(1);
        assert_eq!(report(&gap).first_bad, Some(2));

        let mut rehashed = chain.clone();
        rehashed[1].detail = "forged".into();
        rehashed[1].hash = audit_hash(&rehashed[1]);
        let r = report(&rehashed);
        assert_eq!(r.first_bad, Some(3));
        assert!(r.reason.unwrap().contains("does not link"));

        let mut first = chain;
        first[0].prev_hash = "1".repeat(64);
        first[0].hash = audit_hash(&first[0]);
        assert_eq!(report(&first).first_bad, Some(1));
    }
}
