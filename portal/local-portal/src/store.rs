// SPDX-License-Identifier: GPL-3.0-or-later
//! The local portal's SQLite store: submissions as received (encrypted) and the signed event
//! log. Decrypted form data is never stored.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use crate::LocalPortalError;

/// A submission as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSubmission {
    /// Submission id.
    pub submission_id: String,
    /// Case id.
    pub case_id: String,
    /// Destination id.
    pub destination_id: String,
    /// `created` or `submitted`.
    pub state: String,
    /// Sender reference (tracking number), once submitted.
    pub tracking_number: Option<String>,
    /// Catalogue id of the service, once submitted.
    pub service_id: Option<String>,
}

/// The store.
#[derive(Debug)]
pub struct Store {
    connection: Mutex<Connection>,
}

fn db(e: rusqlite::Error) -> LocalPortalError {
    LocalPortalError::Storage(e.to_string())
}

impl Store {
    /// Opens (creating) the store at `path`.
    ///
    /// # Errors
    /// [`LocalPortalError::Storage`] if the database cannot be opened.
    pub fn open(path: &Path) -> Result<Self, LocalPortalError> {
        let connection = Connection::open(path).map_err(db)?;
        connection.busy_timeout(Duration::from_secs(5)).map_err(db)?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(db)?;
        connection.pragma_update(None, "synchronous", "FULL").map_err(db)?;
        connection
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS submissions (
                     submission_id TEXT PRIMARY KEY,
                     case_id TEXT NOT NULL,
                     destination_id TEXT NOT NULL,
                     service_identifier TEXT NOT NULL,
                     state TEXT NOT NULL,
                     tracking_number TEXT,
                     service_id TEXT,
                     data_sha512 TEXT,
                     encrypted_metadata TEXT,
                     encrypted_data TEXT,
                     processing TEXT,
                     encryption_kid TEXT
                 );
                 CREATE INDEX IF NOT EXISTS submissions_tracking ON submissions (tracking_number);
                 CREATE TABLE IF NOT EXISTS events (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     case_id TEXT NOT NULL,
                     token TEXT NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS events_case ON events (case_id);",
            )
            .map_err(db)?;
        // A store written before the key id was recorded (demo mode keeps its store) gets it.
        let has_kid: bool = connection
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('submissions') WHERE name = 'encryption_kid'",
                [],
                |row| row.get::<_, i64>(0),
            )
            .map(|count| count > 0)
            .map_err(db)?;
        if !has_kid {
            connection.execute_batch("ALTER TABLE submissions ADD COLUMN encryption_kid TEXT").map_err(db)?;
        }
        Ok(Self { connection: Mutex::new(connection) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a created submission.
    ///
    /// # Errors
    /// [`LocalPortalError::Storage`].
    pub fn create(
        &self,
        submission_id: &str,
        case_id: &str,
        destination_id: &str,
        service_identifier: &str,
    ) -> Result<(), LocalPortalError> {
        self.lock()
            .execute(
                "INSERT INTO submissions (submission_id, case_id, destination_id, service_identifier, state)
                 VALUES (?1, ?2, ?3, ?4, 'created')",
                params![submission_id, case_id, destination_id, service_identifier],
            )
            .map_err(db)?;
        Ok(())
    }

    /// The submission `submission_id`.
    ///
    /// # Errors
    /// [`LocalPortalError::Storage`].
    pub fn get(&self, submission_id: &str) -> Result<Option<StoredSubmission>, LocalPortalError> {
        self.lock()
            .query_row(
                "SELECT submission_id, case_id, destination_id, state, tracking_number, service_id
                 FROM submissions WHERE submission_id = ?1",
                params![submission_id],
                |row| {
                    Ok(StoredSubmission {
                        submission_id: row.get(0)?,
                        case_id: row.get(1)?,
                        destination_id: row.get(2)?,
                        state: row.get(3)?,
                        tracking_number: row.get(4)?,
                        service_id: row.get(5)?,
                    })
                },
            )
            .optional()
            .map_err(db)
    }

    /// Marks a created submission as submitted, storing what was received. Returns `false` if
    /// it was not in state `created` (nothing changes then).
    ///
    /// # Errors
    /// [`LocalPortalError::Storage`].
    #[allow(clippy::too_many_arguments)]
    pub fn submit(
        &self,
        submission_id: &str,
        tracking_number: &str,
        service_id: &str,
        data_sha512: &str,
        encrypted_metadata: &str,
        encrypted_data: &str,
        encryption_kid: &str,
        events: &[String],
        case_id: &str,
    ) -> Result<bool, LocalPortalError> {
        let mut connection = self.lock();
        let transaction = connection.transaction().map_err(db)?;
        let changed = transaction
            .execute(
                "UPDATE submissions SET state = 'submitted', tracking_number = ?2, service_id = ?3, data_sha512 = ?4,
                     encrypted_metadata = ?5, encrypted_data = ?6, encryption_kid = ?7
                 WHERE submission_id = ?1 AND state = 'created'",
                params![
                    submission_id,
                    tracking_number,
                    service_id,
                    data_sha512,
                    encrypted_metadata,
                    encrypted_data,
                    encryption_kid
                ],
            )
            .map_err(db)?;
        if changed == 1 {
            for token in events {
                transaction
                    .execute("INSERT INTO events (case_id, token) VALUES (?1, ?2)", params![case_id, token])
                    .map_err(db)?;
            }
        }
        transaction.commit().map_err(db)?;
        Ok(changed == 1)
    }

    /// The event log of a case, oldest first.
    ///
    /// # Errors
    /// [`LocalPortalError::Storage`].
    pub fn events(&self, case_id: &str) -> Result<Vec<String>, LocalPortalError> {
        let connection = self.lock();
        let mut statement =
            connection.prepare_cached("SELECT token FROM events WHERE case_id = ?1 ORDER BY id").map_err(db)?;
        let rows = statement.query_map(params![case_id], |row| row.get(0)).map_err(db)?;
        rows.collect::<Result<Vec<String>, _>>().map_err(db)
    }

    /// The submitted submission with this tracking number.
    ///
    /// # Errors
    /// [`LocalPortalError::Storage`].
    pub fn by_tracking_number(
        &self,
        tracking_number: &str,
    ) -> Result<Option<(StoredSubmission, Option<String>)>, LocalPortalError> {
        self.lock()
            .query_row(
                "SELECT submission_id, case_id, destination_id, state, tracking_number, service_id, processing
                 FROM submissions WHERE tracking_number = ?1 AND state = 'submitted' LIMIT 1",
                params![tracking_number],
                |row| {
                    Ok((
                        StoredSubmission {
                            submission_id: row.get(0)?,
                            case_id: row.get(1)?,
                            destination_id: row.get(2)?,
                            state: row.get(3)?,
                            tracking_number: row.get(4)?,
                            service_id: row.get(5)?,
                        },
                        row.get(6)?,
                    ))
                },
            )
            .optional()
            .map_err(db)
    }

    /// Sets the processing state shown to citizens (free text without personal data).
    ///
    /// # Errors
    /// [`LocalPortalError::Storage`].
    pub fn set_processing(&self, tracking_number: &str, processing: &str) -> Result<bool, LocalPortalError> {
        let changed = self
            .lock()
            .execute(
                "UPDATE submissions SET processing = ?2 WHERE tracking_number = ?1 AND state = 'submitted'",
                params![tracking_number, processing],
            )
            .map_err(db)?;
        Ok(changed > 0)
    }

    /// How many submitted submissions carry this tracking number (exactly-once checks).
    ///
    /// # Errors
    /// [`LocalPortalError::Storage`].
    pub fn submitted_count(&self, tracking_number: &str) -> Result<u64, LocalPortalError> {
        self.lock()
            .query_row(
                "SELECT COUNT(*) FROM submissions WHERE tracking_number = ?1 AND state = 'submitted'",
                params![tracking_number],
                |row| row.get(0),
            )
            .map_err(db)
    }

    /// The id of the destination key the submission with this tracking number was encrypted to.
    ///
    /// # Errors
    /// [`LocalPortalError::Storage`].
    pub fn encryption_kid(&self, tracking_number: &str) -> Result<Option<String>, LocalPortalError> {
        self.lock()
            .query_row(
                "SELECT encryption_kid FROM submissions WHERE tracking_number = ?1 AND state = 'submitted' LIMIT 1",
                params![tracking_number],
                |row| row.get(0),
            )
            .optional()
            .map_err(db)
            .map(Option::flatten)
    }

    /// Number of submissions created at all (submitted or not): what reached the portal.
    ///
    /// # Errors
    /// [`LocalPortalError::Storage`].
    pub fn created_total(&self) -> Result<u64, LocalPortalError> {
        self.lock().query_row("SELECT COUNT(*) FROM submissions", [], |row| row.get(0)).map_err(db)
    }

    /// Number of submitted submissions in total.
    ///
    /// # Errors
    /// [`LocalPortalError::Storage`].
    pub fn submitted_total(&self) -> Result<u64, LocalPortalError> {
        self.lock()
            .query_row("SELECT COUNT(*) FROM submissions WHERE state = 'submitted'", [], |row| row.get(0))
            .map_err(db)
    }

    /// Number of distinct tracking numbers submitted more than once (must stay 0).
    ///
    /// # Errors
    /// [`LocalPortalError::Storage`].
    pub fn duplicate_tracking_numbers(&self) -> Result<u64, LocalPortalError> {
        self.lock()
            .query_row(
                "SELECT COUNT(*) FROM (SELECT tracking_number FROM submissions WHERE state = 'submitted'
                 GROUP BY tracking_number HAVING COUNT(*) > 1)",
                [],
                |row| row.get(0),
            )
            .map_err(db)
    }
}
