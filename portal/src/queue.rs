// SPDX-License-Identifier: GPL-3.0-or-later
//! The store-and-forward queue: SQLite on the data partition, WAL journal, `synchronous=FULL`.
//!
//! A row is written, in one transaction, with the request already encrypted (JWE) before the
//! citizen is told anything. Delivery then moves it through the steps of the Submission API's
//! sender flow, recording each step's outcome in the same row:
//!
//! ```text
//! Queued --create--> Created --submit--> Submitted --confirm--> Confirmed
//! ```
//!
//! Before the submit request goes out, it is recorded as `in_flight`; after the answer, the new
//! step is recorded and `in_flight` cleared. A row found with `in_flight` set after a restart is
//! a submit whose outcome is unknown: the worker asks the portal (the case's verified event log)
//! before submitting again. A create whose outcome is unknown is simply repeated: a created but
//! never submitted submission is discarded by the portal and never reaches the destination.
//!
//! # What stays, and for how long
//!
//! Once the portal has a request (`Submitted`), its two JWEs are of no more use to the terminal
//! and are removed at once: the row keeps what a status check at this terminal reads (tracking
//! number, service, destination, submission and case id). The database runs with
//! `secure_delete`, which overwrites what is deleted with zeros, and after each removal the WAL
//! is checkpointed and truncated, so the ciphertext is gone from the database file, its free
//! pages and the `-wal` file, not only from the row. A confirmed row itself is deleted after
//! the configured retention ([`Queue::tidy`]).

use std::cell::Cell;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};

use crate::PortalError;
use crate::error::{Shared, StorageFailure};

/// Where a queued request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Stored, encrypted; nothing sent yet.
    Queued,
    /// The portal created the submission (ids recorded).
    Created,
    /// The portal accepted the encrypted metadata and data (HTTP 202).
    Submitted,
    /// The portal's signed event log confirms the submission.
    Confirmed,
}

impl Step {
    fn as_str(self) -> &'static str {
        match self {
            Step::Queued => "queued",
            Step::Created => "created",
            Step::Submitted => "submitted",
            Step::Confirmed => "confirmed",
        }
    }

    fn parse(text: &str) -> Result<Self, PortalError> {
        match text {
            "queued" => Ok(Step::Queued),
            "created" => Ok(Step::Created),
            "submitted" => Ok(Step::Submitted),
            "confirmed" => Ok(Step::Confirmed),
            other => Err(PortalError::Storage { cause: StorageFailure::UnknownStep { found: other.to_owned() } }),
        }
    }
}

/// A request as stored in the queue. Its content is only the two JWEs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedItem {
    /// Tracking number (primary key).
    pub tracking_number: String,
    /// Catalogue id of the service.
    pub service_id: String,
    /// FIT-Connect destination.
    pub destination_id: String,
    /// LeiKa id.
    pub leika_id: String,
    /// The service's name, sent as the submission's `ServiceType.name`.
    pub service_name: String,
    /// Metadata, JWE compact (emptied once the portal has it).
    pub encrypted_metadata: String,
    /// Form data, JWE compact (emptied once the portal has it).
    pub encrypted_data: String,
    /// RFC 7638 thumbprint of the destination key both JWEs are encrypted to (`None` for rows
    /// written before it was recorded).
    pub key_thumbprint: Option<String>,
    /// Last recorded step.
    pub step: Step,
    /// A step whose request went out but whose outcome was not recorded.
    pub in_flight: Option<Step>,
    /// Submission id assigned by the portal.
    pub submission_id: Option<String>,
    /// Case id assigned by the portal.
    pub case_id: Option<String>,
    /// Failed attempts so far.
    pub attempts: u32,
}

/// Queue depth and age for the maintenance screen and the health report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueHealth {
    /// Requests not yet handed to the portal (step Queued or Created).
    pub depth: u64,
    /// Age of the oldest request not yet handed to the portal.
    pub oldest_age: Option<Duration>,
    /// Requests handed over whose signed confirmation has not been seen yet.
    pub unconfirmed: u64,
    /// The last delivery error, if the last attempt failed (no personal data).
    pub last_error: Option<String>,
}

/// A destination key as cached in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedKey {
    /// The JWK, JSON.
    pub jwk: String,
    /// When it last passed the check against the administration PKI (milliseconds since the
    /// epoch); `None` if it was cached unchecked.
    pub verified_at_ms: Option<i64>,
}

impl CachedKey {
    /// Whether it passed the check less than `max_age` ago.
    pub fn verified_within(&self, max_age: Duration) -> bool {
        let max_age = i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX);
        self.verified_at_ms.is_some_and(|at| (0..max_age).contains(&now_ms().saturating_sub(at)))
    }
}

/// A connection to the queue database.
#[derive(Debug)]
pub struct Queue {
    connection: Connection,
    /// Ciphertext was removed but the WAL could not be truncated yet (a reader held it).
    checkpoint_pending: Cell<bool>,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)).unwrap_or(0)
}

fn storage(error: rusqlite::Error) -> PortalError {
    PortalError::Storage { cause: StorageFailure::Database(Shared::new(error)) }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    tracking_number    TEXT PRIMARY KEY,
    service_id         TEXT NOT NULL,
    destination_id     TEXT NOT NULL,
    leika_id           TEXT NOT NULL,
    encrypted_metadata TEXT NOT NULL,
    encrypted_data     TEXT NOT NULL,
    step               TEXT NOT NULL,
    in_flight          TEXT,
    submission_id      TEXT,
    case_id            TEXT,
    enqueued_at_ms     INTEGER NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    last_error         TEXT,
    service_name       TEXT NOT NULL DEFAULT '',
    key_thumbprint     TEXT,
    confirmed_at_ms    INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (step, next_attempt_at_ms);
CREATE TABLE IF NOT EXISTS destination_keys (
    destination_id TEXT PRIMARY KEY,
    jwk            TEXT NOT NULL,
    fetched_at_ms  INTEGER NOT NULL,
    verified_at_ms INTEGER
);
";

/// Columns added since the first schema, for queues written by an earlier version: (table,
/// column, declaration).
const ADDED_COLUMNS: [(&str, &str, &str); 4] = [
    ("outbox", "service_name", "TEXT NOT NULL DEFAULT ''"),
    ("outbox", "key_thumbprint", "TEXT"),
    ("outbox", "confirmed_at_ms", "INTEGER"),
    ("destination_keys", "verified_at_ms", "INTEGER"),
];

fn has_column(connection: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    let mut statement = connection.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
    let names = statement.query_map([], |row| row.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names.iter().any(|name| name == column))
}

impl Queue {
    /// Opens (creating if needed) the queue at `path`.
    ///
    /// `max_bytes`, if given, caps the database size (SQLite `max_page_count`): a full queue
    /// refuses new requests with [`PortalError::Storage`] exactly as a full disk would.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the database cannot be opened or initialised.
    pub fn open(path: &Path, max_bytes: Option<u64>) -> Result<Self, PortalError> {
        let connection = Connection::open(path).map_err(storage)?;
        connection.busy_timeout(Duration::from_secs(5)).map_err(storage)?;
        // WAL keeps readers and the writer apart; FULL syncs the WAL on every commit, so a
        // committed row survives a power cut.
        connection.pragma_update(None, "journal_mode", "WAL").map_err(storage)?;
        connection.pragma_update(None, "synchronous", "FULL").map_err(storage)?;
        // Deleted content is overwritten with zeros, not left in free pages or cell gaps.
        connection.pragma_update(None, "secure_delete", "ON").map_err(storage)?;
        if let Some(max_bytes) = max_bytes {
            let page_size: i64 = connection.pragma_query_value(None, "page_size", |row| row.get(0)).map_err(storage)?;
            let pages = i64::try_from(max_bytes).unwrap_or(i64::MAX) / page_size.max(512);
            connection.pragma_update(None, "max_page_count", pages).map_err(storage)?;
        }
        connection.execute_batch(SCHEMA).map_err(storage)?;
        for (table, column, declaration) in ADDED_COLUMNS {
            if !has_column(&connection, table, column).map_err(storage)? {
                connection
                    .execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {declaration}"))
                    .map_err(storage)?;
            }
        }
        let queue = Self { connection, checkpoint_pending: Cell::new(false) };
        // Rows an earlier version left with their ciphertext after delivery lose it now.
        let scrubbed = queue
            .connection
            .execute(
                "UPDATE outbox SET encrypted_metadata = '', encrypted_data = ''
                 WHERE step IN ('submitted', 'confirmed') AND (encrypted_metadata != '' OR encrypted_data != '')",
                [],
            )
            .map_err(storage)?;
        queue
            .connection
            .execute(
                "UPDATE outbox SET confirmed_at_ms = ?1 WHERE step = 'confirmed' AND confirmed_at_ms IS NULL",
                params![now_ms()],
            )
            .map_err(storage)?;
        if scrubbed > 0 {
            queue.checkpoint()?;
        }
        Ok(queue)
    }

    /// Moves the WAL into the database and truncates it, so that content removed from the
    /// database (already zeroed there by `secure_delete`) leaves no older copy in the `-wal`
    /// file. If another connection still reads an older snapshot, it is tried again by the next
    /// [`Queue::tidy`].
    fn checkpoint(&self) -> Result<(), PortalError> {
        // `wal_checkpoint` answers (busy, WAL frames, frames checkpointed); busy = 1 when a
        // reader kept it from finishing (https://sqlite.org/pragma.html#pragma_wal_checkpoint).
        let busy: i64 =
            self.connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0)).map_err(storage)?;
        self.checkpoint_pending.set(busy != 0);
        Ok(())
    }

    /// Stores a new request. Returns `false` (and changes nothing) if the tracking number is
    /// already queued.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the row cannot be written durably (disk full, I/O error).
    pub fn insert(&self, item: &QueuedItem) -> Result<bool, PortalError> {
        let now = now_ms();
        let inserted = self
            .connection
            .execute(
                "INSERT OR IGNORE INTO outbox (tracking_number, service_id, destination_id, leika_id,
                     encrypted_metadata, encrypted_data, step, enqueued_at_ms, next_attempt_at_ms,
                     service_name, key_thumbprint)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10)",
                params![
                    item.tracking_number,
                    item.service_id,
                    item.destination_id,
                    item.leika_id,
                    item.encrypted_metadata,
                    item.encrypted_data,
                    Step::Queued.as_str(),
                    now,
                    item.service_name,
                    item.key_thumbprint
                ],
            )
            .map_err(storage)?;
        Ok(inserted == 1)
    }

    fn read_item(row: &rusqlite::Row<'_>) -> rusqlite::Result<(QueuedItem, String, Option<String>)> {
        Ok((
            QueuedItem {
                tracking_number: row.get(0)?,
                service_id: row.get(1)?,
                destination_id: row.get(2)?,
                leika_id: row.get(3)?,
                service_name: row.get(11)?,
                encrypted_metadata: row.get(4)?,
                encrypted_data: row.get(5)?,
                key_thumbprint: row.get(12)?,
                step: Step::Queued,
                in_flight: None,
                submission_id: row.get(8)?,
                case_id: row.get(9)?,
                attempts: row.get(10)?,
            },
            row.get(6)?,
            row.get(7)?,
        ))
    }

    fn finish_item(raw: (QueuedItem, String, Option<String>)) -> Result<QueuedItem, PortalError> {
        let (mut item, step, in_flight) = raw;
        item.step = Step::parse(&step)?;
        item.in_flight = in_flight.as_deref().map(Step::parse).transpose()?;
        Ok(item)
    }

    const COLUMNS: &'static str = "tracking_number, service_id, destination_id, leika_id, encrypted_metadata,
         encrypted_data, step, in_flight, submission_id, case_id, attempts, service_name, key_thumbprint";

    /// The request with this tracking number.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the database cannot be read.
    pub fn get(&self, tracking_number: &str) -> Result<Option<QueuedItem>, PortalError> {
        let raw = self
            .connection
            .query_row(
                &format!("SELECT {} FROM outbox WHERE tracking_number = ?1", Self::COLUMNS),
                params![tracking_number],
                Self::read_item,
            )
            .optional()
            .map_err(storage)?;
        raw.map(Self::finish_item).transpose()
    }

    /// Up to `limit` requests due now: first those not yet handed over, then unconfirmed ones,
    /// oldest first.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the database cannot be read.
    pub fn due(&self, limit: usize) -> Result<Vec<QueuedItem>, PortalError> {
        let mut statement = self
            .connection
            .prepare_cached(&format!(
                "SELECT {} FROM outbox WHERE step != 'confirmed' AND next_attempt_at_ms <= ?1
                 ORDER BY step = 'submitted', enqueued_at_ms, tracking_number LIMIT ?2",
                Self::COLUMNS
            ))
            .map_err(storage)?;
        let rows = statement
            .query_map(params![now_ms(), i64::try_from(limit).unwrap_or(i64::MAX)], Self::read_item)
            .map_err(storage)?;
        rows.map(|row| row.map_err(storage).and_then(Self::finish_item)).collect()
    }

    /// Milliseconds until the next request becomes due (0 if one is due), `None` if nothing
    /// waits.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the database cannot be read.
    pub fn next_due_in(&self) -> Result<Option<Duration>, PortalError> {
        let next: Option<i64> = self
            .connection
            .query_row("SELECT MIN(next_attempt_at_ms) FROM outbox WHERE step != 'confirmed'", [], |row| row.get(0))
            .map_err(storage)?;
        Ok(next.map(|at| Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0))))
    }

    /// Records that `step`'s request is about to go out.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the row cannot be updated.
    pub fn mark_in_flight(&self, tracking_number: &str, step: Step) -> Result<(), PortalError> {
        self.connection
            .execute(
                "UPDATE outbox SET in_flight = ?2 WHERE tracking_number = ?1",
                params![tracking_number, step.as_str()],
            )
            .map_err(storage)?;
        Ok(())
    }

    /// Records that the submission was created with these ids.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the row cannot be updated.
    pub fn record_created(&self, tracking_number: &str, submission_id: &str, case_id: &str) -> Result<(), PortalError> {
        self.connection
            .execute(
                "UPDATE outbox SET step = 'created', in_flight = NULL, submission_id = ?2, case_id = ?3,
                     attempts = 0, last_error = NULL WHERE tracking_number = ?1",
                params![tracking_number, submission_id, case_id],
            )
            .map_err(storage)?;
        Ok(())
    }

    /// Records that the portal accepted the submission, and removes the encrypted request: the
    /// portal has it, and nothing sends it again (see the module documentation).
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the row cannot be updated.
    pub fn record_submitted(&self, tracking_number: &str) -> Result<(), PortalError> {
        self.connection
            .execute(
                "UPDATE outbox SET step = 'submitted', in_flight = NULL, attempts = 0, last_error = NULL,
                     encrypted_metadata = '', encrypted_data = ''
                 WHERE tracking_number = ?1",
                params![tracking_number],
            )
            .map_err(storage)?;
        self.checkpoint()
    }

    /// Records the signed confirmation; the row keeps only what a status check reads until
    /// [`Queue::tidy`] deletes it.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the row cannot be updated.
    pub fn record_confirmed(&self, tracking_number: &str) -> Result<(), PortalError> {
        self.connection
            .execute(
                "UPDATE outbox SET step = 'confirmed', in_flight = NULL, encrypted_data = '',
                     encrypted_metadata = '', last_error = NULL, confirmed_at_ms = ?2
                 WHERE tracking_number = ?1",
                params![tracking_number, now_ms()],
            )
            .map_err(storage)?;
        self.checkpoint()
    }

    /// Deletes the confirmed rows older than `retention`, and finishes a checkpoint that a
    /// reader kept from finishing before. Returns how many rows went.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the rows cannot be deleted.
    pub fn tidy(&self, retention: Duration) -> Result<usize, PortalError> {
        let cutoff = now_ms().saturating_sub(i64::try_from(retention.as_millis()).unwrap_or(i64::MAX));
        let deleted = self
            .connection
            .execute("DELETE FROM outbox WHERE step = 'confirmed' AND confirmed_at_ms <= ?1", params![cutoff])
            .map_err(storage)?;
        if deleted > 0 || self.checkpoint_pending.get() {
            self.checkpoint()?;
        }
        Ok(deleted)
    }

    /// Records a failed attempt and when to try again. `error` must not contain personal data.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the row cannot be updated.
    pub fn record_failure(&self, tracking_number: &str, error: &str, retry_in: Duration) -> Result<(), PortalError> {
        let at = now_ms().saturating_add(i64::try_from(retry_in.as_millis()).unwrap_or(i64::MAX));
        self.connection
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at_ms = ?3
                 WHERE tracking_number = ?1",
                params![tracking_number, error, at],
            )
            .map_err(storage)?;
        Ok(())
    }

    /// Postpones a request without counting a failure (e.g. confirmation not yet available).
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the row cannot be updated.
    pub fn postpone(&self, tracking_number: &str, retry_in: Duration) -> Result<(), PortalError> {
        let at = now_ms().saturating_add(i64::try_from(retry_in.as_millis()).unwrap_or(i64::MAX));
        self.connection
            .execute(
                "UPDATE outbox SET next_attempt_at_ms = ?2 WHERE tracking_number = ?1",
                params![tracking_number, at],
            )
            .map_err(storage)?;
        Ok(())
    }

    /// Makes every waiting request due now (the portal answered again after an outage).
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the rows cannot be updated.
    pub fn make_all_due(&self) -> Result<(), PortalError> {
        self.connection
            .execute(
                "UPDATE outbox SET next_attempt_at_ms = ?1 WHERE step != 'confirmed' AND next_attempt_at_ms > ?1",
                params![now_ms()],
            )
            .map_err(storage)?;
        Ok(())
    }

    /// Depth and age of the queue.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the database cannot be read.
    pub fn health(&self) -> Result<QueueHealth, PortalError> {
        let (depth, oldest): (i64, Option<i64>) = self
            .connection
            .query_row(
                "SELECT COUNT(*), MIN(enqueued_at_ms) FROM outbox WHERE step IN ('queued', 'created')",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(storage)?;
        let unconfirmed: i64 = self
            .connection
            .query_row("SELECT COUNT(*) FROM outbox WHERE step = 'submitted'", [], |row| row.get(0))
            .map_err(storage)?;
        let last_error: Option<String> = self
            .connection
            .query_row(
                "SELECT last_error FROM outbox WHERE step != 'confirmed' AND last_error IS NOT NULL
                 ORDER BY next_attempt_at_ms DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(storage)?;
        Ok(QueueHealth {
            depth: u64::try_from(depth).unwrap_or(0),
            oldest_age: oldest.map(|at| Duration::from_millis(u64::try_from(now_ms() - at).unwrap_or(0))),
            unconfirmed: u64::try_from(unconfirmed).unwrap_or(0),
            last_error,
        })
    }

    /// The cached public key of a destination.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the database cannot be read.
    pub fn cached_key(&self, destination_id: &str) -> Result<Option<CachedKey>, PortalError> {
        self.connection
            .query_row(
                "SELECT jwk, verified_at_ms FROM destination_keys WHERE destination_id = ?1",
                params![destination_id],
                |row| Ok(CachedKey { jwk: row.get(0)?, verified_at_ms: row.get(1)? }),
            )
            .optional()
            .map_err(storage)
    }

    /// Caches a destination's public key (JWK JSON), `verified` if it has just passed the check
    /// against the administration PKI, else as not checked.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the row cannot be written.
    pub fn cache_key(&self, destination_id: &str, jwk_json: &str, verified: bool) -> Result<(), PortalError> {
        let now = now_ms();
        self.connection
            .execute(
                "INSERT INTO destination_keys (destination_id, jwk, fetched_at_ms, verified_at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (destination_id) DO UPDATE SET jwk = excluded.jwk, fetched_at_ms = excluded.fetched_at_ms,
                     verified_at_ms = excluded.verified_at_ms",
                params![destination_id, jwk_json, now, verified.then_some(now)],
            )
            .map_err(storage)?;
        Ok(())
    }
}
