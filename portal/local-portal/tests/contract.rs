// SPDX-License-Identifier: GPL-3.0-or-later
//! The local portal holds itself and its callers to the published Submission API
//! (`portal/specs/submission-api-1.1.3.yaml`) and the RFCs under it: invalid requests get a 400
//! problem document, its answers are valid against the spec's schemas, the token endpoint takes
//! the client's credentials by HTTP Basic only (RFC 6749 section 2.3.1), a request must name the
//! port in its `Host` (RFC 9110 section 7.2), and a submission's service type is named by the
//! service's name.

mod common;

use std::error::Error;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use common::{destination, local, service};
use local_portal::spec::component_errors;
use portal::fitconnect::client::basic_credentials;
use portal::http::{BaseUrl, HttpsClient, Limits, Response};
use portal::slots::BULKY_WASTE;
use portal::{PortalError, tls};
use rustls::pki_types::ServerName;
use serde_json::{Value, json};

struct Caller {
    http: HttpsClient,
    base: BaseUrl,
    bearer: String,
}

impl Caller {
    fn new(setup: &local_portal::demo::LocalSetup) -> Result<Self, PortalError> {
        let http = HttpsClient::new(tls::client_config(&setup.client.tls)?, Limits::default());
        let base = BaseUrl::parse(&setup.client.api_base_url)?;
        let credentials = basic_credentials(&setup.client.client_id, &setup.client.client_secret);
        let token: Value = http
            .request(
                "token",
                "POST",
                &base,
                "/token",
                &[("Authorization", &credentials)],
                Some(("application/x-www-form-urlencoded", b"grant_type=client_credentials")),
            )?
            .json("token", &[200])?;
        let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap_or_default());
        Ok(Self { http, base, bearer })
    }

    fn call(&self, method: &str, path: &str, body: Option<(&str, &[u8])>) -> Result<Response, PortalError> {
        self.http.request("contract test", method, &self.base, path, &[("Authorization", &self.bearer)], body)
    }
}

fn json_of(response: &Response) -> Value {
    serde_json::from_slice(&response.body).unwrap_or(Value::Null)
}

fn assert_conforms(openapi: &Value, schema: &str, value: &Value) {
    match component_errors(openapi, schema, value) {
        Ok(None) => {}
        Ok(Some(errors)) => panic!("answer violates {schema}: {errors}\n{value}"),
        Err(e) => panic!("{e}"),
    }
}

fn openapi() -> Value {
    match local_portal::spec::openapi() {
        Ok(openapi) => openapi,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn invalid_requests_get_a_400_problem_document() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let caller = Caller::new(&setup)?;
    let openapi = openapi();
    let destination_id = destination(&setup, BULKY_WASTE);
    let invalid: Vec<(&str, String, Value)> = vec![
        ("POST", "/v1/submissions".to_owned(), json!({ "announcedAttachments": [] })),
        (
            "POST",
            "/v1/submissions".to_owned(),
            json!({ "destinationId": "not-a-uuid", "announcedAttachments": [], "serviceType": { "name": "x", "identifier": "urn:de:fim:leika:leistung:99003012000000" } }),
        ),
        (
            "POST",
            "/v1/submissions".to_owned(),
            json!({ "destinationId": destination_id, "announcedAttachments": [], "serviceType": { "name": "x", "identifier": "not a urn" } }),
        ),
        ("PUT", "/v1/submissions/6f1c8d5e-3b1a-4c9e-8f2d-7a6b5c4d3e2f".to_owned(), json!({ "encryptedData": "abc" })),
        (
            "PUT",
            "/v1/submissions/6f1c8d5e-3b1a-4c9e-8f2d-7a6b5c4d3e2f".to_owned(),
            json!({ "encryptedMetadata": "has spaces and / slashes" }),
        ),
    ];
    for (method, path, body) in invalid {
        let text = body.to_string();
        let response = caller.call(method, &path, Some(("application/json", text.as_bytes())))?;
        assert_eq!(response.status, 400, "{method} {path} {body}");
        assert_eq!(response.content_type.as_deref(), Some("application/problem+json"));
        assert_conforms(&openapi, "Error", &json_of(&response));
    }
    let not_json = caller.call("POST", "/v1/submissions", Some(("text/plain", b"hello")))?;
    assert_eq!(not_json.status, 400);
    assert_conforms(&openapi, "Error", &json_of(&not_json));
    Ok(())
}

#[test]
fn answers_conform_to_the_published_schemas() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let caller = Caller::new(&setup)?;
    let openapi = openapi();
    let destination_id = destination(&setup, BULKY_WASTE);

    let jwks = caller.call("GET", "/.well-known/jwks.json", None)?;
    assert_conforms(&openapi, "JWKS", &json_of(&jwks));
    let dest = caller.call("GET", &format!("/v1/destinations/{destination_id}"), None)?;
    assert_eq!(dest.status, 200);
    let dest = json_of(&dest);
    assert_conforms(&openapi, "PublicDestination", &dest);
    let kid = dest["encryptionKid"].as_str().unwrap_or_default();
    let key = caller.call("GET", &format!("/v1/destinations/{destination_id}/keys/{kid}"), None)?;
    assert_conforms(&openapi, "JWK", &json_of(&key));

    let create = json!({
        "destinationId": destination_id,
        "announcedAttachments": [],
        "serviceType": { "name": service(BULKY_WASTE).name, "identifier": "urn:de:fim:leika:leistung:99003012000000" },
    })
    .to_string();
    let created = caller.call("POST", "/v1/submissions", Some(("application/json", create.as_bytes())))?;
    assert_eq!(created.status, 201);
    let created = json_of(&created);
    assert_conforms(&openapi, "SubmissionCreated", &created);
    let case_id = created["caseId"].as_str().unwrap_or_default();
    let events = caller.call("GET", &format!("/v1/cases/{case_id}/events"), None)?;
    assert_conforms(&openapi, "EventLog", &json_of(&events));

    let unknown = caller.call("GET", "/v1/destinations/00000000-0000-4000-8000-000000000000", None)?;
    assert_eq!(unknown.status, 404);
    assert_conforms(&openapi, "Error", &json_of(&unknown));
    let unauthenticated = caller.http.request(
        "contract test",
        "GET",
        &caller.base,
        &format!("/v1/destinations/{destination_id}"),
        &[],
        None,
    )?;
    assert_eq!(unauthenticated.status, 401);
    assert_conforms(&openapi, "Error", &json_of(&unauthenticated));
    Ok(())
}

#[test]
fn the_token_endpoint_takes_the_client_by_http_basic_only() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let http = HttpsClient::new(tls::client_config(&setup.client.tls)?, Limits::default());
    let base = BaseUrl::parse(&setup.client.api_base_url)?;
    let (id, secret) = (setup.client.client_id.as_str(), setup.client.client_secret.as_str());
    let token = |headers: &[(&str, &str)], form: &str| {
        http.request(
            "token",
            "POST",
            &base,
            "/token",
            headers,
            Some(("application/x-www-form-urlencoded", form.as_bytes())),
        )
    };
    let grant = "grant_type=client_credentials";

    let basic = basic_credentials(id, secret);
    let issued = token(&[("Authorization", &basic)], grant)?;
    assert_eq!(issued.status, 200, "{}", String::from_utf8_lossy(&issued.body));
    let issued: Value = issued.json("token", &[200])?;
    assert_eq!(issued["token_type"], "Bearer");

    // The way the client sent them before: id and secret in the form body.
    let in_body = token(&[], &format!("{grant}&client_id={id}&client_secret={secret}"))?;
    assert_eq!(in_body.status, 400);
    assert_eq!(json_of(&in_body)["error"], "invalid_request");
    let both = token(&[("Authorization", &basic)], &format!("{grant}&client_secret={secret}"))?;
    assert_eq!(both.status, 400, "two ways to authenticate at once");

    let wrong = basic_credentials(id, &format!("{secret}x"));
    let refused = token(&[("Authorization", &wrong)], grant)?;
    assert_eq!(refused.status, 401);
    assert_eq!(json_of(&refused)["error"], "invalid_client");
    assert_eq!(token(&[], grant)?.status, 401, "no credentials at all");
    Ok(())
}

/// Sends `head` (a request head without `Host`, with the `Host` line given) over the portal's
/// mutual TLS as it is, and returns the status line of the answer.
fn raw_status(setup: &local_portal::demo::LocalSetup, host_line: &str) -> Result<String, Box<dyn Error>> {
    let config = tls::client_config(&setup.client.tls)?;
    let connection = rustls::ClientConnection::new(Arc::clone(&config), ServerName::try_from("localhost")?)?;
    let socket = TcpStream::connect(setup.portal.address())?;
    let mut stream = rustls::StreamOwned::new(connection, socket);
    write!(stream, "GET /v1/info HTTP/1.1\r\n{host_line}Connection: close\r\n\r\n")?;
    stream.flush()?;
    let mut answer = Vec::new();
    let _read = stream.read_to_end(&mut answer);
    Ok(String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned())
}

#[test]
fn a_request_must_name_the_port_in_its_host_header() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let port = setup.portal.address().port();
    assert!(raw_status(&setup, &format!("Host: localhost:{port}\r\n"))?.starts_with("HTTP/1.1 200"));
    assert!(raw_status(&setup, "Host: localhost\r\n")?.starts_with("HTTP/1.1 400"), "the port left out");
    assert!(raw_status(&setup, "")?.starts_with("HTTP/1.1 400"), "no Host at all (RFC 9112 section 3.2)");
    Ok(())
}

#[test]
fn a_submission_names_its_service_by_name_not_by_number() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let caller = Caller::new(&setup)?;
    let entry = service(BULKY_WASTE);
    let create = |name: &str| {
        let body = json!({
            "destinationId": entry.destination_id,
            "announcedAttachments": [],
            "serviceType": { "name": name, "identifier": format!("urn:de:fim:leika:leistung:{}", entry.leika_id) },
        })
        .to_string();
        caller.call("POST", "/v1/submissions", Some(("application/json", body.as_bytes())))
    };
    assert_eq!(create(&entry.leika_id)?.status, 400, "the LeiKa number is not the service's name");
    assert_eq!(create(&entry.name)?.status, 201);
    assert_eq!(entry.name, "Sperrmüllabholung", "the catalogue's German name");
    Ok(())
}
