// SPDX-License-Identifier: GPL-3.0-or-later
//! CMP over HTTP (RFC 6712, profiled by RFC 9483 6.1): one POST of
//! `application/pkixcmp` per message, the answer in the response body.
//!
//! Plain HTTP on `std::net`, one connection per message: the messages carry
//! their own integrity protection (the MAC from the enrolment code), so
//! nothing an intermediary changes goes unnoticed. TLS towards the CA
//! (RFC 9483 6.1 allows either) is not built yet.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long to wait for the connection and for each read or write.
const TIMEOUT: Duration = Duration::from_secs(20);
/// The largest answer we read: a certificate response with a chain is a few
/// kilobytes.
const MAX_ANSWER: usize = 256 * 1024;

/// Where the CA's CMP endpoint is: `http://host[:port][/path]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaEndpoint {
    host: String,
    port: u16,
    path: String,
}

/// What went wrong in the exchange with the CA.
#[derive(Debug)]
pub(crate) enum TransportFault {
    /// No connection, or it broke.
    Unreachable(io::Error),
    /// The CA answered, but not with a CMP message.
    NotCmp(String),
}

impl CaEndpoint {
    /// Reads `http://host[:port][/path]` (port 80 and path `/` by default);
    /// `None` for anything else.
    pub fn parse(url: &str) -> Option<Self> {
        let rest = url.strip_prefix("http://")?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']')?;
            match after.strip_prefix(':') {
                Some(port) => (host, port.parse().ok()?),
                None if after.is_empty() => (host, 80),
                None => return None,
            }
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, port.parse().ok()?),
                None => (authority, 80),
            }
        };
        if host.is_empty() || path.contains(char::is_whitespace) {
            return None;
        }
        Some(CaEndpoint { host: host.to_string(), port, path: path.to_string() })
    }

    /// POSTs one DER-encoded PKIMessage and returns the answer's body.
    pub(crate) fn exchange(&self, message: &[u8]) -> Result<Vec<u8>, TransportFault> {
        let mut stream = self.connect().map_err(TransportFault::Unreachable)?;
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {host}:{}\r\nContent-Type: application/pkixcmp\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.path,
            self.port,
            message.len()
        );
        stream.write_all(head.as_bytes()).map_err(TransportFault::Unreachable)?;
        stream.write_all(message).map_err(TransportFault::Unreachable)?;
        stream.flush().map_err(TransportFault::Unreachable)?;
        let mut answer = Vec::new();
        stream.take(MAX_ANSWER as u64 + 1).read_to_end(&mut answer).map_err(TransportFault::Unreachable)?;
        if answer.is_empty() {
            return Err(TransportFault::Unreachable(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the CA closed the connection without an answer",
            )));
        }
        if answer.len() > MAX_ANSWER {
            return Err(TransportFault::NotCmp(format!("an answer of more than {MAX_ANSWER} bytes")));
        }
        body_of(&answer)
    }

    fn connect(&self) -> io::Result<TcpStream> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{} has no address", self.host));
        for address in (self.host.as_str(), self.port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&address, TIMEOUT) {
                Ok(stream) => {
                    stream.set_read_timeout(Some(TIMEOUT))?;
                    stream.set_write_timeout(Some(TIMEOUT))?;
                    return Ok(stream);
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

impl std::fmt::Display for CaEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        write!(f, "http://{host}:{}{}", self.port, self.path)
    }
}

/// The body of an HTTP/1.x answer with status 200 and type
/// `application/pkixcmp` (RFC 6712 3.3, 3.4).
fn body_of(answer: &[u8]) -> Result<Vec<u8>, TransportFault> {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| TransportFault::NotCmp("an answer that is not HTTP".into()))?;
    let head = String::from_utf8_lossy(&answer[..end]);
    let body = &answer[end + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let code = status.split(' ').nth(1).unwrap_or_default();
    if !status.starts_with("HTTP/1.") || code != "200" {
        return Err(TransportFault::NotCmp(format!("HTTP status \"{status}\"")));
    }
    let mut content_type = None;
    let mut length = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-type") {
                content_type = Some(value.to_ascii_lowercase());
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") && !value.eq_ignore_ascii_case("identity") {
                return Err(TransportFault::NotCmp(format!("transfer encoding {value}")));
            }
        }
    }
    if content_type.as_deref().map(|t| t.split(';').next().unwrap_or_default().trim()) != Some("application/pkixcmp") {
        return Err(TransportFault::NotCmp(format!("content type {}", content_type.unwrap_or_else(|| "none".into()))));
    }
    match length {
        Some(n) if n <= body.len() => Ok(body[..n].to_vec()),
        Some(n) => Err(TransportFault::NotCmp(format!("{} of {n} announced bytes", body.len()))),
        None => Ok(body.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_read_with_default_port_and_path() {
        let e = CaEndpoint::parse("http://ca.example:8080/pkix/").expect("valid");
        assert_eq!((e.host.as_str(), e.port, e.path.as_str()), ("ca.example", 8080, "/pkix/"));
        let e = CaEndpoint::parse("http://ca.example").expect("valid");
        assert_eq!((e.port, e.path.as_str()), (80, "/"));
        let e = CaEndpoint::parse("http://[::1]:8080/").expect("valid");
        assert_eq!((e.host.as_str(), e.to_string().as_str()), ("::1", "http://[::1]:8080/"));
        assert_eq!(CaEndpoint::parse("https://ca.example/"), None);
        assert_eq!(CaEndpoint::parse("http://:80/"), None);
        assert_eq!(CaEndpoint::parse("http://ca.example:http/"), None);
    }

    #[test]
    fn only_a_200_answer_of_type_pkixcmp_is_a_cmp_message() {
        let ok = b"HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: 3\r\n\r\nabcdef";
        assert_eq!(body_of(ok).expect("cmp"), b"abc");
        let html = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>";
        assert!(matches!(body_of(html), Err(TransportFault::NotCmp(t)) if t.contains("text/html")));
        let missing = b"HTTP/1.1 404 Not Found\r\nContent-Type: application/pkixcmp\r\n\r\n";
        assert!(matches!(body_of(missing), Err(TransportFault::NotCmp(t)) if t.contains("404")));
        let short = b"HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: 9\r\n\r\nabc";
        assert!(matches!(body_of(short), Err(TransportFault::NotCmp(_))));
    }
}
