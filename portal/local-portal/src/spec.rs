// SPDX-License-Identifier: GPL-3.0-or-later
//! Request validation against the published contract: the Submission API's OpenAPI document
//! and the metadata schema (`portal/specs/`, compiled in), and the services' payload schemas.
//!
//! Both specifications are part of the program, not files looked up at run time, so the local
//! portal validates the same way from any working directory and as an installed binary.
//!
//! The OpenAPI document's `components/schemas` are JSON Schema (OpenAPI 3.0 dialect); a
//! validator for one of them is built by pointing a root `$ref` into the whole document, so
//! every internal reference resolves exactly as written in the spec.

use std::collections::HashMap;

use jsonschema::Validator;
use serde_json::Value;

use crate::LocalPortalError;

/// File name of the Submission API description in `portal/specs/`, naming it in messages.
pub const OPENAPI_FILE: &str = "submission-api-1.1.3.yaml";
/// The FIT-Connect Submission API 1.1.3 (OpenAPI 3.0, YAML) as published by FITKO, unchanged
/// (CC BY-SA 4.0; see `portal/specs/README.md`).
pub const OPENAPI_YAML: &str = include_str!("../../specs/submission-api-1.1.3.yaml");
/// File name of the metadata schema in `portal/specs/`, naming it in messages.
pub const METADATA_SCHEMA_FILE: &str = "metadata.schema.v1.0.0.json";
/// The FIT-Connect metadata schema 1.0.0 (JSON Schema 2020-12) as published by FITKO, unchanged
/// (see `portal/specs/README.md`).
pub const METADATA_SCHEMA_JSON: &str = include_str!("../../specs/metadata.schema.v1.0.0.json");

/// Validators for everything the local portal accepts.
pub struct Contract {
    create_submission: Validator,
    submit_submission: Validator,
    metadata: Validator,
    payloads: HashMap<String, Validator>,
}

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract").finish_non_exhaustive()
    }
}

fn spec_error(file: &str, reason: impl std::fmt::Display) -> LocalPortalError {
    LocalPortalError::Spec(format!("{file}: {reason}"))
}

fn build(schema: &Value, file: &str) -> Result<Validator, LocalPortalError> {
    jsonschema::options().should_validate_formats(true).build(schema).map_err(|e| spec_error(file, e))
}

/// A validator for `components/schemas/<name>` of the OpenAPI document `openapi`.
fn component_validator(openapi: &Value, name: &str) -> Result<Validator, LocalPortalError> {
    let mut root = openapi.clone();
    let Some(object) = root.as_object_mut() else {
        return Err(spec_error(OPENAPI_FILE, "not a mapping"));
    };
    if openapi.pointer(&format!("/components/schemas/{name}")).is_none() {
        return Err(spec_error(OPENAPI_FILE, format!("no schema {name}")));
    }
    object.insert("$ref".to_owned(), Value::String(format!("#/components/schemas/{name}")));
    build(&root, OPENAPI_FILE)
}

/// Error messages of `validator` for `instance`, at most five, joined.
fn errors(validator: &Validator, instance: &Value) -> Option<String> {
    let messages: Vec<String> =
        validator.iter_errors(instance).take(5).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

/// The OpenAPI document ([`OPENAPI_YAML`]) as JSON.
///
/// # Errors
/// [`LocalPortalError::Spec`] if it does not parse as YAML (a defect of this build).
pub fn openapi() -> Result<Value, LocalPortalError> {
    serde_yaml::from_str(OPENAPI_YAML).map_err(|e| spec_error(OPENAPI_FILE, e))
}

/// Why `instance` is not valid against `components/schemas/<name>` of `openapi`, if it is not
/// (used by tests to hold the portal's answers to the same contract).
///
/// # Errors
/// [`LocalPortalError::Spec`] if there is no such schema.
pub fn component_errors(openapi: &Value, name: &str, instance: &Value) -> Result<Option<String>, LocalPortalError> {
    Ok(errors(&component_validator(openapi, name)?, instance))
}

impl Contract {
    /// Builds the validators from the compiled-in OpenAPI document and metadata schema and
    /// the payload schemas of [`portal::schemas::ALL`].
    ///
    /// # Errors
    /// [`LocalPortalError::Spec`] if a document is not a usable schema (a defect of this build).
    pub fn load() -> Result<Self, LocalPortalError> {
        let openapi = openapi()?;
        let metadata: Value =
            serde_json::from_str(METADATA_SCHEMA_JSON).map_err(|e| spec_error(METADATA_SCHEMA_FILE, e))?;
        let mut payloads = HashMap::new();
        for schema in portal::schemas::ALL {
            let value: Value = serde_json::from_str(schema.json).map_err(|e| spec_error(schema.uri, e))?;
            payloads.insert(schema.uri.to_owned(), build(&value, schema.uri)?);
        }
        Ok(Self {
            create_submission: component_validator(&openapi, "CreateSubmission")?,
            submit_submission: component_validator(&openapi, "SubmitSubmission")?,
            metadata: build(&metadata, METADATA_SCHEMA_FILE)?,
            payloads,
        })
    }

    /// Why a create-submission body is invalid, if it is.
    pub fn check_create_submission(&self, body: &Value) -> Option<String> {
        errors(&self.create_submission, body)
    }

    /// Why a submit-submission body is invalid, if it is.
    pub fn check_submit_submission(&self, body: &Value) -> Option<String> {
        errors(&self.submit_submission, body)
    }

    /// Why decrypted metadata is invalid, if it is.
    pub fn check_metadata(&self, metadata: &Value) -> Option<String> {
        errors(&self.metadata, metadata)
    }

    /// Why decrypted form data is invalid against the schema `schema_uri`, if it is. Error
    /// messages name only the failing location, never the submitted values (they are personal
    /// data).
    pub fn check_payload(&self, schema_uri: &str, data: &Value) -> Option<String> {
        let Some(validator) = self.payloads.get(schema_uri) else {
            return Some(format!("unknown data schema {schema_uri}"));
        };
        let paths: Vec<String> =
            validator.iter_errors(data).take(5).map(|e| format!("invalid value at {}", e.instance_path)).collect();
        (!paths.is_empty()).then(|| paths.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_in_specifications_are_the_versions_the_terminal_speaks() {
        let openapi = match openapi() {
            Ok(openapi) => openapi,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(openapi["info"]["version"], "1.1.3");
        let metadata: Value = match serde_json::from_str(METADATA_SCHEMA_JSON) {
            Ok(metadata) => metadata,
            Err(e) => panic!("{METADATA_SCHEMA_FILE}: {e}"),
        };
        assert_eq!(metadata["$id"], portal::fitconnect::metadata::METADATA_SCHEMA_URI);
        if let Err(e) = Contract::load() {
            panic!("{e}");
        }
    }
}
