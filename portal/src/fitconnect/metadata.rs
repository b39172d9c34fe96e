// SPDX-License-Identifier: GPL-3.0-or-later
//! The submission metadata (`metadata.schema.v1.0.0.json`): service type with its name and LeiKa
//! identifier, content structure with the SHA-512 of the data and the data's schema, the
//! terminal's tracking number as sender reference and the application date.

use sha2::{Digest, Sha512};

use crate::Submission;

/// `$schema` of metadata version 1.0.0.
pub const METADATA_SCHEMA_URI: &str = "https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json";

/// URN prefix of LeiKa service identifiers (Submission API `ServiceType.identifier`).
pub const LEIKA_URN_PREFIX: &str = "urn:de:fim:leika:leistung:";

/// Lower-case hex SHA-512 of `data` (schema: `^[a-f0-9]{128}$`).
pub fn sha512_hex(data: &[u8]) -> String {
    Sha512::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// The metadata document for `submission`. It holds no personal data (only the hash of it).
pub fn build(submission: &Submission) -> serde_json::Value {
    serde_json::json!({
        "$schema": METADATA_SCHEMA_URI,
        "publicServiceType": {
            "name": submission.service_name,
            "identifier": format!("{LEIKA_URN_PREFIX}{}", submission.leika_id),
        },
        "contentStructure": {
            "data": {
                "hash": { "type": "sha512", "content": sha512_hex(&submission.data) },
                "submissionSchema": {
                    "schemaUri": submission.data_schema_uri,
                    "mimeType": "application/json",
                },
            },
            "attachments": [],
        },
        "additionalReferenceInfo": {
            "senderReference": submission.tracking_number,
            "applicationDate": submission.application_date.format("%Y-%m-%d").to_string(),
        },
    })
}
