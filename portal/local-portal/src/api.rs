// SPDX-License-Identifier: GPL-3.0-or-later
//! The routes: the Submission API subset the terminal uses, the OAuth token endpoint, and the
//! terminal extension under [`EXTENSION_PREFIX`].

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDate;
use portal::fitconnect::client::{EXTENSION_PREFIX, TrackingRecord, WireSlot};
use portal::fitconnect::events::{self, SetClaims};
use portal::fitconnect::metadata::{LEIKA_URN_PREFIX, sha512_hex};
use portal::jose::{jwe, jws};
use rand_core::{OsRng, RngCore};
use serde_json::{Value, json};

use crate::State;
use crate::keys::{SIGNING_KID, encryption_jwk};

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Request {
    /// Method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Query string without `?`.
    pub query: String,
    /// Content type without parameters, lower case.
    pub content_type: Option<String>,
    /// `Authorization` header.
    pub authorization: Option<String>,
    /// `Host` header.
    pub host: Option<String>,
    /// Body.
    pub body: Vec<u8>,
}

/// A reply.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Content type.
    pub content_type: &'static str,
    /// A `WWW-Authenticate` challenge to send (RFC 9110 section 11.6.1).
    pub challenge: Option<&'static str>,
    /// Body.
    pub body: Vec<u8>,
}

impl Reply {
    fn json(status: u16, value: &Value) -> Self {
        Self { status, content_type: "application/json", challenge: None, body: value.to_string().into_bytes() }
    }

    /// An RFC 7807 problem document (the API's `Error` schema).
    pub fn problem(status: u16, title: &str, detail: &str) -> Self {
        Self {
            status,
            content_type: "application/problem+json",
            challenge: None,
            body: json!({ "type": "about:blank", "title": title, "status": status, "detail": detail })
                .to_string()
                .into_bytes(),
        }
    }
}

/// Issuer of the local portal's events.
pub const ISSUER: &str = "https://local-portal.buergerterminal.invalid";
const TOKEN_LIFETIME: Duration = Duration::from_secs(300);

fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    // RFC 9562 section 5.4: version 4, variant 10.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn internal(error: impl std::fmt::Display) -> Reply {
    tracing::error!(%error, "local portal failure");
    Reply::problem(500, "Internal Server Error", "the local portal failed; see its log")
}

/// The port a `Host` header names (RFC 9110 section 7.2: `uri-host [ ":" port ]`, 443 for https
/// when left out; an IPv6 literal is in brackets).
fn host_port(host: &str) -> Option<u16> {
    let after_literal = host.rfind(']').map_or(0, |end| end + 1);
    match host[after_literal..].rsplit_once(':') {
        Some((_, port)) => port.parse().ok(),
        None => Some(443),
    }
}

/// Routes one request.
pub fn handle(state: &State, request: &Request) -> Reply {
    if request.host.as_deref().and_then(host_port) != Some(state.port) {
        return Reply::problem(
            400,
            "Bad Request",
            &format!(
                "the Host header must name this portal's authority with its port {} (RFC 9110 section 7.2)",
                state.port
            ),
        );
    }
    let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    let method = request.method.as_str();
    match (method, segments.as_slice()) {
        ("POST", ["token"]) => return token(state, request),
        // The administration PKI's distribution point: CRLs are signed, and fetched without a
        // token (RFC 5280 section 4.2.1.13).
        ("GET", ["pki", name]) => {
            return match state.lock_crls().get(*name) {
                Some(der) => {
                    Reply { status: 200, content_type: "application/pkix-crl", challenge: None, body: der.clone() }
                }
                None => Reply::problem(404, "Not Found", "no such CRL"),
            };
        }
        ("GET", [".well-known", "jwks.json"]) => {
            return match state.keys.jwks() {
                Ok(jwks) => Reply::json(200, &json!(jwks)),
                Err(e) => internal(e),
            };
        }
        ("GET", ["v1", "info"]) => {
            return Reply::json(200, &json!({ "version": { "major": 1, "minor": 1, "patch": 3 } }));
        }
        _ => {}
    }
    if !authorized(state, request) {
        return Reply::problem(401, "Unauthorized", "a valid bearer token from the token endpoint is required");
    }
    let extension: Vec<&str> = EXTENSION_PREFIX.trim_start_matches('/').split('/').collect();
    if segments.len() > extension.len() && segments[..extension.len()] == extension[..] {
        return handle_extension(state, request, &segments[extension.len()..]);
    }
    match (method, segments.as_slice()) {
        ("GET", ["v1", "destinations", id]) => destination(state, id),
        ("GET", ["v1", "destinations", id, "keys", kid]) => destination_key(state, id, kid),
        ("POST", ["v1", "submissions"]) => create_submission(state, request),
        ("PUT", ["v1", "submissions", id]) => submit_submission(state, request, id),
        ("GET", ["v1", "cases", case_id, "events"]) => event_log(state, case_id),
        _ => Reply::problem(404, "Not Found", "no such operation in the local portal"),
    }
}

/// Client id and secret from `Authorization: Basic …` (RFC 7617 section 2), each
/// form-urlencoded before the pair was base64-encoded (RFC 6749 section 2.3.1).
fn basic_credentials(authorization: &str) -> Option<(String, String)> {
    let (scheme, encoded) = authorization.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let pair = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = pair.split_once(':')?;
    Some((percent_decode(id), percent_decode(secret)))
}

fn token(state: &State, request: &Request) -> Reply {
    if request.content_type.as_deref() != Some("application/x-www-form-urlencoded") {
        return Reply::problem(400, "Bad Request", "the token request must be application/x-www-form-urlencoded");
    }
    let form = String::from_utf8_lossy(&request.body);
    let field = |name: &str| {
        form.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| percent_decode(value))
    };
    if field("grant_type").as_deref() != Some("client_credentials") {
        return Reply::json(400, &json!({ "error": "unsupported_grant_type" }));
    }
    // RFC 6749 section 2.3.1: credentials in the body are NOT RECOMMENDED, and a client must not
    // use two methods at once; this portal, like a strict one, takes HTTP Basic only.
    if field("client_id").is_some() || field("client_secret").is_some() {
        return Reply::json(
            400,
            &json!({ "error": "invalid_request", "error_description": "client credentials belong in the Authorization header (HTTP Basic), not in the body" }),
        );
    }
    // RFC 6749 section 5.2: a refused client is answered 401 with a challenge.
    let refused = Reply {
        challenge: Some("Basic realm=\"local-portal\""),
        ..Reply::json(401, &json!({ "error": "invalid_client" }))
    };
    let Some((client_id, client_secret)) = request.authorization.as_deref().and_then(basic_credentials) else {
        return refused;
    };
    if client_id != state.client_id || client_secret != state.client_secret {
        return refused;
    }
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    state.lock_tokens().insert(token.clone(), Instant::now() + TOKEN_LIFETIME);
    Reply::json(200, &json!({ "access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME.as_secs() }))
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn authorized(state: &State, request: &Request) -> bool {
    let Some(token) = request.authorization.as_deref().and_then(|h| h.strip_prefix("Bearer ")) else {
        return false;
    };
    let mut tokens = state.lock_tokens();
    let now = Instant::now();
    tokens.retain(|_, valid_until| *valid_until > now);
    tokens.contains_key(token)
}

fn destination(state: &State, id: &str) -> Reply {
    let services: Vec<Value> = state
        .catalogue
        .iter()
        .filter(|entry| entry.destination_id == id)
        .map(|entry| {
            json!({
                "identifier": format!("{LEIKA_URN_PREFIX}{}", entry.leika_id),
                "regions": ["DE09162000"],
                "submissionSchemas": [{ "schemaUri": entry.data_schema_uri, "mimeType": "application/json" }],
            })
        })
        .collect();
    if services.is_empty() {
        return Reply::problem(404, "Not Found", "unknown destination");
    }
    Reply::json(
        200,
        &json!({
            "destinationId": id,
            "encryptionKid": state.lock_encryption().current.clone(),
            "metadataVersions": ["1.0.0"],
            "services": services,
            "status": "active",
        }),
    )
}

fn destination_key(state: &State, id: &str, kid: &str) -> Reply {
    if !state.catalogue.iter().any(|e| e.destination_id == id) {
        return Reply::problem(404, "Not Found", "unknown destination");
    }
    match state.lock_encryption().keys.get(kid) {
        Some(key) => Reply::json(200, &json!(encryption_jwk(&key.key, kid, &key.x5c))),
        None => Reply::problem(404, "Not Found", "unknown key"),
    }
}

fn json_body(request: &Request) -> Result<Value, Reply> {
    if request.content_type.as_deref() != Some("application/json") {
        return Err(Reply::problem(400, "Bad Request", "the request body must be application/json"));
    }
    serde_json::from_slice(&request.body)
        .map_err(|e| Reply::problem(400, "Bad Request", &format!("the body is not JSON: {e}")))
}

fn sign_event(state: &State, event: &str, submission_id: &str, case_id: &str, payload: Value) -> Result<String, Reply> {
    let claims = SetClaims {
        iss: ISSUER.to_owned(),
        iat: chrono::Utc::now().timestamp(),
        jti: uuid_v4(),
        sub: format!("submission:{submission_id}"),
        txn: format!("case:{case_id}"),
        events: [(event.to_owned(), payload)].into_iter().collect(),
    };
    let payload = serde_json::to_vec(&claims).map_err(internal)?;
    jws::sign_with(&payload, SIGNING_KID, events::SET_TYPE, |input| state.keys.sign_ps512(input)).map_err(internal)
}

fn create_submission(state: &State, request: &Request) -> Reply {
    let body = match json_body(request) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    if let Some(errors) = state.contract.check_create_submission(&body) {
        return Reply::problem(400, "Bad Request", &format!("CreateSubmission: {errors}"));
    }
    let destination_id = body["destinationId"].as_str().unwrap_or_default();
    let identifier = body["serviceType"]["identifier"].as_str().unwrap_or_default();
    let offered = state
        .catalogue
        .iter()
        .find(|e| e.destination_id == destination_id && format!("{LEIKA_URN_PREFIX}{}", e.leika_id) == identifier);
    let Some(offered) = offered else {
        return Reply::problem(404, "Not Found", "the destination does not exist or does not offer this service");
    };
    let name = body["serviceType"]["name"].as_str().unwrap_or_default();
    if name != offered.name {
        return Reply::problem(
            400,
            "Bad Request",
            &format!("serviceType.name is {name:?}; it must be the service's name, {:?}", offered.name),
        );
    }
    if body["announcedAttachments"].as_array().is_some_and(|a| !a.is_empty()) {
        return Reply::problem(400, "Bad Request", "the local portal accepts no attachments");
    }
    let submission_id = uuid_v4();
    let case_id = body["caseId"].as_str().map_or_else(uuid_v4, str::to_owned);
    if let Err(e) = state.store.create(&submission_id, &case_id, destination_id, identifier) {
        return internal(e);
    }
    Reply::json(201, &json!({ "destinationId": destination_id, "submissionId": submission_id, "caseId": case_id }))
}

fn submit_submission(state: &State, request: &Request, submission_id: &str) -> Reply {
    if !is_uuid(submission_id) {
        return Reply::problem(400, "Bad Request", "submissionId must be a UUID");
    }
    let body = match json_body(request) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    if let Some(errors) = state.contract.check_submit_submission(&body) {
        return Reply::problem(400, "Bad Request", &format!("SubmitSubmission: {errors}"));
    }
    let stored = match state.store.get(submission_id) {
        Ok(Some(stored)) => stored,
        Ok(None) => return Reply::problem(404, "Not Found", "unknown submission"),
        Err(e) => return internal(e),
    };
    if stored.state != "created" {
        return Reply::problem(409, "Conflict", "the submission was already submitted");
    }
    let encrypted_metadata = body["encryptedMetadata"].as_str().unwrap_or_default();
    let Some(encrypted_data) = body["encryptedData"].as_str() else {
        return Reply::problem(
            400,
            "Bad Request",
            "encryptedData is required: the local portal's services have form data",
        );
    };
    // The destination decrypts with the key the JWE names, current or from before a rotation.
    let kid = jwe::key_id(encrypted_metadata).ok().flatten().unwrap_or_default();
    let Some(key) = state.lock_encryption().keys.get(&kid).map(|key| key.key.clone()) else {
        return Reply::problem(400, "Bad Request", &format!("encryptedMetadata: no destination key {kid:?}"));
    };
    let metadata: Value = match jwe::decrypt(encrypted_metadata, &key)
        .map_err(|e| e.to_string())
        .and_then(|plain| serde_json::from_slice(&plain).map_err(|e| e.to_string()))
    {
        Ok(metadata) => metadata,
        Err(reason) => return Reply::problem(400, "Bad Request", &format!("encryptedMetadata: {reason}")),
    };
    if let Some(errors) = state.contract.check_metadata(&metadata) {
        return Reply::problem(400, "Bad Request", &format!("metadata: {errors}"));
    }
    let data = match jwe::decrypt(encrypted_data, &key) {
        Ok(data) => data,
        Err(e) => return Reply::problem(400, "Bad Request", &format!("encryptedData: {e}")),
    };
    let tracking_number =
        metadata["additionalReferenceInfo"]["senderReference"].as_str().unwrap_or_default().to_owned();
    let schema_uri = metadata["contentStructure"]["data"]["submissionSchema"]["schemaUri"].as_str().unwrap_or_default();
    let expected_hash = metadata["contentStructure"]["data"]["hash"]["content"].as_str().unwrap_or_default();
    let service_id = state
        .catalogue
        .iter()
        .find(|e| e.destination_id == stored.destination_id && e.data_schema_uri == schema_uri)
        .map(|e| e.service_id.clone())
        .unwrap_or_default();
    let actual_hash = sha512_hex(&data);

    // As the receiving authority: check the data against the metadata hash and its schema,
    // then accept or reject (the portal itself never looks into the data).
    let verdict = if actual_hash != expected_hash {
        Err("the SHA-512 of the data does not match the metadata".to_owned())
    } else {
        match serde_json::from_slice::<Value>(&data) {
            Ok(mut value) => {
                let verdict = match state.contract.check_payload(schema_uri, &value) {
                    Some(errors) => Err(errors),
                    // The receipt's number is in the data and, as the sender reference, in the
                    // metadata; an authority cannot answer a citizen whose two numbers differ.
                    None if value["trackingNumber"].as_str() != Some(tracking_number.as_str()) => {
                        Err("the data's trackingNumber is not the metadata's senderReference".to_owned())
                    }
                    None => Ok(()),
                };
                wipe(&mut value);
                verdict
            }
            Err(_) => Err("the data is not JSON".to_owned()),
        }
    };
    drop(data);
    let mut tokens = Vec::new();
    let submitted = sign_event(state, events::SUBMIT_SUBMISSION, submission_id, &stored.case_id, json!({}));
    let decided = match &verdict {
        Ok(()) => sign_event(state, events::ACCEPT_SUBMISSION, submission_id, &stored.case_id, json!({})),
        Err(reason) => sign_event(
            state,
            events::REJECT_SUBMISSION,
            submission_id,
            &stored.case_id,
            json!({ "problems": [{ "type": "about:blank", "title": "Rejected", "detail": reason }] }),
        ),
    };
    match (submitted, decided) {
        (Ok(a), Ok(b)) => tokens.extend([a, b]),
        (Err(reply), _) | (_, Err(reply)) => return reply,
    }
    match state.store.submit(
        submission_id,
        &tracking_number,
        &service_id,
        &actual_hash,
        encrypted_metadata,
        encrypted_data,
        &kid,
        &tokens,
        &stored.case_id,
    ) {
        Ok(true) => {}
        Ok(false) => return Reply::problem(409, "Conflict", "the submission was already submitted"),
        Err(e) => return internal(e),
    }
    tracing::info!(%submission_id, accepted = verdict.is_ok(), "submission received");
    Reply::json(
        202,
        &json!({
            "destinationId": stored.destination_id,
            "submissionId": submission_id,
            "caseId": stored.case_id,
            "attachments": [],
            "serviceType": { "identifier": metadata["publicServiceType"]["identifier"] },
        }),
    )
}

/// Overwrites every string of a parsed form before it is freed: in demo mode this portal lives
/// in the kiosk process, whose memory is checked for the citizen's data after each session.
fn wipe(value: &mut Value) {
    use zeroize::Zeroize;
    match value {
        Value::String(text) => text.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(fields) => fields.values_mut().for_each(wipe),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn event_log(state: &State, case_id: &str) -> Reply {
    if !is_uuid(case_id) {
        return Reply::problem(400, "Bad Request", "caseId must be a UUID");
    }
    match state.store.events(case_id) {
        Ok(tokens) => Reply::json(
            200,
            &json!({ "count": tokens.len(), "offset": 0, "totalCount": tokens.len(), "eventLog": tokens }),
        ),
        Err(e) => internal(e),
    }
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

fn handle_extension(state: &State, request: &Request, segments: &[&str]) -> Reply {
    match (request.method.as_str(), segments) {
        ("GET", ["catalogue"]) => Reply::json(200, &json!(state.catalogue)),
        ("GET", ["services", service_id, "slots"]) => {
            let from = query_param(&request.query, "from").and_then(|f| NaiveDate::parse_from_str(f, "%Y-%m-%d").ok());
            let days = query_param(&request.query, "days").and_then(|d| d.parse::<u32>().ok());
            let (Some(from), Some(days)) = (from, days.filter(|d| *d <= 366)) else {
                return Reply::problem(400, "Bad Request", "from=YYYY-MM-DD and days=0..366 are required");
            };
            match portal::slots::demo_calendar(service_id, from, days) {
                Ok(offers) => Reply::json(200, &json!(offers.iter().map(WireSlot::from_offer).collect::<Vec<_>>())),
                Err(_) => Reply::problem(404, "Not Found", "unknown service"),
            }
        }
        ("GET", ["tracking", tracking_number]) => match state.store.by_tracking_number(tracking_number) {
            Ok(Some((stored, processing))) => Reply::json(
                200,
                &json!(TrackingRecord {
                    service_id: stored.service_id.unwrap_or_default(),
                    submission_id: stored.submission_id,
                    case_id: stored.case_id,
                    processing,
                }),
            ),
            Ok(None) => Reply::problem(404, "Not Found", "unknown tracking number"),
            Err(e) => internal(e),
        },
        _ => Reply::problem(404, "Not Found", "no such extension operation"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_version_4_uuids() {
        let id = uuid_v4();
        assert!(is_uuid(&id), "{id}");
        assert_eq!(id.as_bytes()[14], b'4');
        assert!(matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(uuid_v4(), id);
        assert!(!is_uuid("not-a-uuid"));
    }

    #[test]
    fn host_headers_name_a_port_or_443() {
        assert_eq!(host_port("localhost:8443"), Some(8443));
        assert_eq!(host_port("localhost"), Some(443));
        assert_eq!(host_port("[::1]:8443"), Some(8443));
        assert_eq!(host_port("[::1]"), Some(443));
        assert_eq!(host_port("localhost:x"), None);
    }

    #[test]
    fn basic_credentials_are_form_decoded_after_base64() {
        // "terminal+1:p%3Ass%26w%C3%B6rd" in base64.
        let header = format!("Basic {}", STANDARD.encode("terminal+1:p%3Ass%26w%C3%B6rd"));
        assert_eq!(basic_credentials(&header), Some(("terminal 1".to_owned(), "p:ss&wörd".to_owned())));
        assert_eq!(basic_credentials("Bearer abc"), None);
    }

    #[test]
    fn form_values_are_percent_decoded() {
        assert_eq!(percent_decode("a%20b%26c+d"), "a b&c d");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
