// SPDX-License-Identifier: GPL-3.0-or-later
//! The local portal holds itself and its callers to the published Submission API
//! (`portal/specs/submission-api-1.1.3.yaml`): invalid requests get a 400 problem document,
//! and its answers are valid against the spec's schemas.

mod common;

use std::error::Error;

use common::{destination, local};
use local_portal::spec::component_errors;
use portal::http::{BaseUrl, HttpsClient, Limits, Response};
use portal::slots::BULKY_WASTE;
use portal::{PortalError, tls};
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
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            setup.client.client_id,
            setup.client.client_secret.as_str()
        );
        let token: Value = http
            .request(
                "token",
                "POST",
                &base,
                "/token",
                &[],
                Some(("application/x-www-form-urlencoded", form.as_bytes())),
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
        "serviceType": { "name": "Sperrmüll", "identifier": "urn:de:fim:leika:leistung:99003012000000" },
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
