// SPDX-License-Identifier: GPL-3.0-or-later
//! A small blocking HTTP/1.1 client over rustls, with the limits a kiosk needs: a connect
//! timeout, a per-read timeout, a total deadline per request and a cap on the response size.
//!
//! One connection per request (`Connection: close`): the terminal sends a few requests a minute,
//! and a fresh connection cannot be left in a half-read state by a failed request.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use crate::PortalError;
use crate::error::{
    ConfigDefect, JsonDefect, MalformedHttp, NetworkFailure, ProtocolViolation, Shared, TlsFailure, UrlDefect,
};

/// Limits of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Establishing the TCP connection.
    pub connect: Duration,
    /// Waiting for any single read or write.
    pub io: Duration,
    /// The whole request, from connecting to the last byte of the response.
    pub total: Duration,
    /// Largest response body accepted, in bytes.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(3),
            io: Duration::from_secs(5),
            total: Duration::from_secs(10),
            max_body: 1 << 20,
        }
    }
}

/// `https://host[:port][/prefix]`, the base every API path is appended to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// Host name (checked against the server certificate) or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Path prefix without a trailing slash (may be empty).
    pub prefix: String,
}

impl BaseUrl {
    /// Parses an `https` URL.
    ///
    /// # Errors
    /// [`PortalError::Config`] for anything but `https://host[:port][/path]`.
    pub fn parse(url: &str) -> Result<Self, PortalError> {
        let config = |defect: UrlDefect| PortalError::Config {
            cause: ConfigDefect::Url { url: without_user_information(url), defect },
        };
        let rest = url.strip_prefix("https://").ok_or_else(|| config(UrlDefect::NotHttps))?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.contains('@') {
            return Err(config(UrlDefect::UserInformation));
        }
        // A bracketed IPv6 literal (RFC 3986 section 3.2.2) has colons of its own: only a colon
        // after its closing bracket starts a port.
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !authority.starts_with('[') || host.ends_with(']') => {
                (host, port.parse::<u16>().map_err(|_| config(UrlDefect::Port))?)
            }
            _ => (authority, 443),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(config(UrlDefect::NoHost));
        }
        Ok(Self { host: host.to_owned(), port, prefix: path.trim_end_matches('/').to_owned() })
    }

    /// The authority as the `Host` header carries it (RFC 9110 section 7.2: the target URI's
    /// host and port; RFC 3986 section 3.2.2: an IPv6 literal in brackets), the port left out
    /// only where it is https' default, 443.
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        if self.port == 443 { host } else { format!("{host}:{}", self.port) }
    }

    /// The URL as text, for messages.
    pub fn display(&self) -> String {
        format!("https://{}:{}{}", self.host, self.port, self.prefix)
    }
}

/// `url` with the user information of its authority (RFC 3986 section 3.2.1: `name:password@`)
/// left out, so that a password put into a URL by mistake never reaches a message.
fn without_user_information(url: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[authority_start..].find(['/', '?', '#']).map_or(url.len(), |i| authority_start + i);
    match url[authority_start..authority_end].rfind('@') {
        Some(at) => format!("{}…@{}", &url[..authority_start], &url[authority_start + at + 1..]),
        None => url.to_owned(),
    }
}

/// A received response.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// `Content-Type` without parameters, lower case.
    pub content_type: Option<String>,
    /// The body (after chunked decoding).
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON of type `T`, after checking the status is `expected` and the content
    /// type is JSON.
    ///
    /// # Errors
    /// [`PortalError::Protocol`] for another status, content type or a body that does not parse.
    pub fn json<T: serde::de::DeserializeOwned>(&self, operation: &str, expected: &[u16]) -> Result<T, PortalError> {
        let protocol = |cause: ProtocolViolation| PortalError::Protocol { operation: operation.to_owned(), cause };
        if !expected.contains(&self.status) {
            return Err(protocol(ProtocolViolation::Status { status: self.status }));
        }
        match self.content_type.as_deref() {
            Some("application/json" | "application/problem+json") => {}
            other => return Err(protocol(ProtocolViolation::ContentType { found: other.map(str::to_owned) })),
        }
        serde_json::from_slice(&self.body).map_err(|e| protocol(ProtocolViolation::Json(JsonDefect::of(&e))))
    }
}

/// Sends HTTPS requests with one TLS configuration and one set of limits.
#[derive(Debug, Clone)]
pub struct HttpsClient {
    tls: Arc<ClientConfig>,
    limits: Limits,
}

/// A request body and its content type.
pub type Body<'a> = (&'a str, &'a [u8]);

impl HttpsClient {
    /// A client with `tls` and `limits`.
    pub fn new(tls: Arc<ClientConfig>, limits: Limits) -> Self {
        Self { tls, limits }
    }

    /// Sends one request to `base` + `path` and reads the whole response.
    ///
    /// `operation` names the step in error messages. `headers` must not contain line breaks;
    /// without an `Accept` among them, JSON is asked for.
    ///
    /// # Errors
    /// [`PortalError::Unreachable`] if no connection can be made, [`PortalError::Timeout`] when a
    /// limit passes, [`PortalError::Tls`] when the handshake or a TLS record fails,
    /// [`PortalError::Protocol`] for a malformed or oversized response.
    pub fn request(
        &self,
        operation: &str,
        method: &str,
        base: &BaseUrl,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Body<'_>>,
    ) -> Result<Response, PortalError> {
        let started = Instant::now();
        let deadline = started + self.limits.total;
        let endpoint = base.display();
        let mut stream = self.connect(operation, base, &endpoint, deadline)?;

        let mut head = format!(
            "{method} {}{path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nUser-Agent: buergerterminal-portal/{}\r\n",
            base.prefix,
            base.authority(),
            env!("CARGO_PKG_VERSION")
        );
        if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("accept")) {
            head.push_str("Accept: application/json\r\n");
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let body_bytes: &[u8] = match body {
            Some((content_type, bytes)) => {
                head.push_str(&format!("Content-Type: {content_type}\r\nContent-Length: {}\r\n", bytes.len()));
                bytes
            }
            None => {
                if method != "GET" {
                    head.push_str("Content-Length: 0\r\n");
                }
                &[]
            }
        };
        head.push_str("\r\n");
        let sent =
            stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body_bytes)).and_then(|()| stream.flush());
        if let Err(error) = sent {
            // A server that refuses the client certificate sends an alert and closes; the write
            // then fails first. Read once to surface the alert, which says why.
            let mut probe = [0u8; 1];
            let reason = match stream.read(&mut probe) {
                Err(read_error) if is_tls(&read_error) => read_error,
                _ => error,
            };
            return Err(self.io_error(operation, &endpoint, reason));
        }

        let mut reader =
            LimitedReader { stream, deadline, io_timeout: self.limits.io, buffer: Vec::new(), position: 0 };
        let response = read_response(&mut reader, self.limits.max_body).map_err(|e| match e {
            ReadError::Io(e) => self.io_error(operation, &endpoint, e),
            ReadError::Protocol(cause) => PortalError::Protocol { operation: operation.to_owned(), cause },
        })?;
        tracing::debug!(
            operation,
            status = response.status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "portal answered"
        );
        Ok(response)
    }

    fn connect(
        &self,
        operation: &str,
        base: &BaseUrl,
        endpoint: &str,
        deadline: Instant,
    ) -> Result<StreamOwned<ClientConnection, TcpStream>, PortalError> {
        let unreachable = |cause: NetworkFailure| PortalError::Unreachable { endpoint: endpoint.to_owned(), cause };
        let addresses: Vec<_> = (base.host.as_str(), base.port)
            .to_socket_addrs()
            .map_err(|e| unreachable(NetworkFailure::NameResolution(Shared::new(e))))?
            .collect();
        let mut last_error = unreachable(NetworkFailure::NoAddress);
        for address in addresses {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let wait = remaining.min(self.limits.connect);
            if wait.is_zero() {
                break;
            }
            match TcpStream::connect_timeout(&address, wait) {
                Ok(socket) => {
                    let server_name = ServerName::try_from(base.host.clone()).map_err(|_| PortalError::Config {
                        cause: ConfigDefect::ServerName { host: base.host.clone() },
                    })?;
                    let connection = ClientConnection::new(Arc::clone(&self.tls), server_name)
                        .map_err(|e| PortalError::Tls { cause: TlsFailure::Connection(Shared::new(e)) })?;
                    socket
                        .set_write_timeout(Some(self.limits.io))
                        .and_then(|()| socket.set_nodelay(true))
                        .map_err(|e| unreachable(NetworkFailure::Connect(Shared::new(e))))?;
                    return Ok(StreamOwned::new(connection, socket));
                }
                Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {
                    last_error = PortalError::Timeout {
                        operation: format!("{operation} (connect)"),
                        timeout_ms: wait.as_millis() as u64,
                    };
                }
                Err(e) => last_error = unreachable(NetworkFailure::Connect(Shared::new(e))),
            }
        }
        Err(last_error)
    }

    fn io_error(&self, operation: &str, endpoint: &str, error: std::io::Error) -> PortalError {
        if let Some(tls) = error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
            return PortalError::Tls { cause: TlsFailure::Connection(Shared::new(tls.clone())) };
        }
        match error.kind() {
            ErrorKind::TimedOut | ErrorKind::WouldBlock => PortalError::Timeout {
                operation: operation.to_owned(),
                timeout_ms: self.limits.total.as_millis() as u64,
            },
            ErrorKind::UnexpectedEof => {
                PortalError::Protocol { operation: operation.to_owned(), cause: ProtocolViolation::Truncated }
            }
            _ => PortalError::Unreachable {
                endpoint: endpoint.to_owned(),
                cause: NetworkFailure::Connection(Shared::new(error)),
            },
        }
    }
}

fn is_tls(error: &std::io::Error) -> bool {
    error.get_ref().is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
}

enum ReadError {
    Io(std::io::Error),
    Protocol(ProtocolViolation),
}

fn malformed(defect: MalformedHttp) -> ReadError {
    ReadError::Protocol(ProtocolViolation::Http(defect))
}

/// Reads from the TLS stream with the per-read timeout shortened to the time left until the
/// deadline, so a portal trickling bytes cannot hold the caller beyond the total limit.
struct LimitedReader {
    stream: StreamOwned<ClientConnection, TcpStream>,
    deadline: Instant,
    io_timeout: Duration,
    buffer: Vec<u8>,
    position: usize,
}

impl LimitedReader {
    /// Reads more bytes into the buffer; `Ok(false)` at the end of the stream.
    fn fill(&mut self) -> Result<bool, ReadError> {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(ReadError::Io(std::io::Error::from(ErrorKind::TimedOut)));
        }
        self.stream.sock.set_read_timeout(Some(remaining.min(self.io_timeout))).map_err(ReadError::Io)?;
        let mut chunk = [0u8; 8192];
        match self.stream.read(&mut chunk) {
            Ok(0) => Ok(false),
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                Ok(true)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(true),
            Err(e) => Err(ReadError::Io(e)),
        }
    }

    /// The next line (without CRLF), at most `max` bytes.
    fn line(&mut self, max: usize) -> Result<String, ReadError> {
        loop {
            if let Some(end) = self.buffer[self.position..].windows(2).position(|w| w == b"\r\n") {
                let line = &self.buffer[self.position..self.position + end];
                let text = String::from_utf8(line.to_vec()).map_err(|_| malformed(MalformedHttp::HeaderNotUtf8))?;
                self.position += end + 2;
                return Ok(text);
            }
            if self.buffer.len() - self.position > max {
                return Err(malformed(MalformedHttp::HeaderLineTooLong { limit: max }));
            }
            if !self.fill()? {
                return Err(ReadError::Io(std::io::Error::from(ErrorKind::UnexpectedEof)));
            }
        }
    }

    /// Exactly `n` bytes.
    fn exact(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        while self.buffer.len() - self.position < n {
            if !self.fill()? {
                return Err(ReadError::Io(std::io::Error::from(ErrorKind::UnexpectedEof)));
            }
        }
        let bytes = self.buffer[self.position..self.position + n].to_vec();
        self.position += n;
        Ok(bytes)
    }

    /// Everything up to the end of the stream, at most `max` bytes.
    fn until_end(&mut self, max: usize) -> Result<Vec<u8>, ReadError> {
        loop {
            if self.buffer.len() - self.position > max {
                return Err(ReadError::Protocol(ProtocolViolation::BodyTooLarge { limit: max }));
            }
            match self.fill() {
                Ok(true) => {}
                Ok(false) => break,
                // A peer that closes without close_notify after a complete body (HTTP/1.1 "read
                // until close") still delivered the whole body.
                Err(ReadError::Io(e)) if e.kind() == ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(e),
            }
        }
        Ok(self.buffer[self.position..].to_vec())
    }
}

const MAX_HEADER_LINE: usize = 8192;
const MAX_HEADERS: usize = 100;

fn read_response(reader: &mut LimitedReader, max_body: usize) -> Result<Response, ReadError> {
    let status_line = reader.line(MAX_HEADER_LINE)?;
    let mut parts = status_line.splitn(3, ' ');
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
        return Err(malformed(MalformedHttp::StatusLine));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(malformed(MalformedHttp::NotHttp1));
    }
    let status = code.parse::<u16>().map_err(|_| malformed(MalformedHttp::StatusCode))?;

    let mut content_length = None;
    let mut chunked = false;
    let mut content_type = None;
    for count in 0.. {
        let line = reader.line(MAX_HEADER_LINE)?;
        if line.is_empty() {
            break;
        }
        if count >= MAX_HEADERS {
            return Err(malformed(MalformedHttp::TooManyHeaders { limit: MAX_HEADERS }));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(malformed(MalformedHttp::HeaderWithoutColon));
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                content_length = Some(value.parse::<usize>().map_err(|_| malformed(MalformedHttp::ContentLength))?);
            }
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            "content-type" => {
                content_type = value.split(';').next().map(|t| t.trim().to_ascii_lowercase());
            }
            _ => {}
        }
    }

    let body = if chunked {
        read_chunked(reader, max_body)?
    } else if let Some(length) = content_length {
        if length > max_body {
            return Err(ReadError::Protocol(ProtocolViolation::BodyTooLarge { limit: max_body }));
        }
        reader.exact(length)?
    } else {
        reader.until_end(max_body)?
    };
    Ok(Response { status, content_type, body })
}

/// RFC 9112 section 7.1: chunk-size [extensions] CRLF data CRLF ... 0 CRLF [trailers] CRLF.
fn read_chunked(reader: &mut LimitedReader, max_body: usize) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let line = reader.line(MAX_HEADER_LINE)?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| malformed(MalformedHttp::ChunkSize))?;
        if size == 0 {
            while !reader.line(MAX_HEADER_LINE)?.is_empty() {}
            return Ok(body);
        }
        if body.len().saturating_add(size) > max_body {
            return Err(ReadError::Protocol(ProtocolViolation::BodyTooLarge { limit: max_body }));
        }
        body.extend_from_slice(&reader.exact(size)?);
        if !reader.line(2)?.is_empty() {
            return Err(malformed(MalformedHttp::ChunkNotTerminated));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_defect(url: &str) -> Option<(String, UrlDefect)> {
        match BaseUrl::parse(url) {
            Err(PortalError::Config { cause: ConfigDefect::Url { url, defect } }) => Some((url, defect)),
            _ => None,
        }
    }

    #[test]
    fn base_urls_are_https_with_host_port_and_prefix() {
        let parsed = BaseUrl::parse("https://portal.example:8443/fit-connect/");
        assert_eq!(
            parsed,
            Ok(BaseUrl { host: "portal.example".to_owned(), port: 8443, prefix: "/fit-connect".to_owned() })
        );
        assert_eq!(BaseUrl::parse("https://[::1]").map(|b| (b.host, b.port)), Ok(("::1".to_owned(), 443)));
        assert_eq!(BaseUrl::parse("https://[::1]:8443").map(|b| (b.host, b.port)), Ok(("::1".to_owned(), 8443)));
        assert_eq!(
            url_defect("http://portal.example"),
            Some(("http://portal.example".to_owned(), UrlDefect::NotHttps))
        );
        assert_eq!(url_defect("https://portal.example:https").map(|(_, d)| d), Some(UrlDefect::Port));
        assert_eq!(url_defect("https:///v1").map(|(_, d)| d), Some(UrlDefect::NoHost));
    }

    #[test]
    fn the_host_header_names_host_and_port_as_rfc_9110_wants() {
        let authority = |url: &str| BaseUrl::parse(url).map(|base| base.authority());
        assert_eq!(authority("https://localhost:8443/v1"), Ok("localhost:8443".to_owned()));
        assert_eq!(authority("https://portal.example/fit-connect"), Ok("portal.example".to_owned()));
        assert_eq!(authority("https://portal.example:443"), Ok("portal.example".to_owned()));
        assert_eq!(authority("https://[::1]:8443"), Ok("[::1]:8443".to_owned()));
        assert_eq!(authority("https://[::1]"), Ok("[::1]".to_owned()));
    }

    #[test]
    fn a_password_in_a_url_is_refused_and_never_repeated() {
        for url in ["https://terminal:geheim@portal.example/v1", "http://terminal:geheim@portal.example"] {
            let Err(error) = BaseUrl::parse(url) else { panic!("{url} was accepted") };
            assert!(!format!("{error} {error:?}").contains("geheim"), "{error:?}");
        }
        assert_eq!(
            url_defect("https://terminal:geheim@portal.example/v1"),
            Some(("https://…@portal.example/v1".to_owned(), UrlDefect::UserInformation))
        );
    }
}
