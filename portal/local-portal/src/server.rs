// SPDX-License-Identifier: GPL-3.0-or-later
//! HTTPS front end: TLS 1.3 with mandatory client certificates, one thread per connection,
//! one request per connection (`Connection: close`), bounded request size and read time.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::api::{Reply, Request};
use crate::{Fault, State};

/// Largest request accepted (head and body), in bytes.
pub const MAX_REQUEST: usize = 4 << 20;
const IO_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn accept_loop(listener: TcpListener, tls: Arc<ServerConfig>, state: Arc<State>) {
    for stream in listener.incoming() {
        if state.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let tls = Arc::clone(&tls);
        let state = Arc::clone(&state);
        let spawned =
            std::thread::Builder::new().name("local-portal-conn".to_owned()).spawn(move || serve(stream, tls, state));
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start a connection thread");
        }
    }
}

fn serve(socket: TcpStream, tls: Arc<ServerConfig>, state: Arc<State>) {
    if socket.set_read_timeout(Some(IO_TIMEOUT)).is_err()
        || socket.set_write_timeout(Some(IO_TIMEOUT)).is_err()
        || socket.set_nodelay(true).is_err()
    {
        return;
    }
    let Ok(connection) = ServerConnection::new(tls) else { return };
    let mut stream = StreamOwned::new(connection, socket);
    let request = match read_request(&mut stream) {
        Ok(request) => request,
        Err(ReadFailure::Io(error)) => {
            // Includes handshake failures (e.g. no client certificate): rustls already sent the
            // alert. Close gently so the alert is not lost to a connection reset.
            tracing::info!(%error, "connection closed before a request was read");
            linger(&mut stream.sock);
            return;
        }
        Err(ReadFailure::Bad(reason)) => {
            let reply = Reply::problem(400, "Bad Request", &reason);
            write_reply(&mut stream, &reply, &state.fault);
            return;
        }
    };
    let reply = crate::api::handle(&state, &request);
    write_reply(&mut stream, &reply, &state.fault);
}

/// Half-closes and drains what the peer still sends (briefly), so closing does not reset the
/// connection and discard what was written last.
fn linger(socket: &mut TcpStream) {
    let _closed = socket.shutdown(std::net::Shutdown::Write);
    if socket.set_read_timeout(Some(Duration::from_millis(500))).is_ok() {
        let mut sink = [0u8; 4096];
        let mut drained = 0usize;
        while let Ok(n) = socket.read(&mut sink) {
            drained += n;
            if n == 0 || drained > MAX_REQUEST {
                break;
            }
        }
    }
}

enum ReadFailure {
    Io(std::io::Error),
    Bad(String),
}

fn read_request(stream: &mut impl Read) -> Result<Request, ReadFailure> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > 64 * 1024 {
            return Err(ReadFailure::Bad("request head too large".to_owned()));
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err(ReadFailure::Io(std::io::Error::from(ErrorKind::UnexpectedEof))),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadFailure::Io(e)),
        }
    };
    let head = std::str::from_utf8(&buffer[..head_end])
        .map_err(|_| ReadFailure::Bad("request head is not UTF-8".to_owned()))?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ReadFailure::Bad("malformed request line".to_owned()));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(ReadFailure::Bad("only HTTP/1.x is served".to_owned()));
    }
    let mut headers = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadFailure::Bad("malformed header line".to_owned()));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    if header("transfer-encoding").is_some() {
        return Err(ReadFailure::Bad("chunked request bodies are not accepted; send Content-Length".to_owned()));
    }
    let length = match header("content-length") {
        Some(value) => value.parse::<usize>().map_err(|_| ReadFailure::Bad("malformed Content-Length".to_owned()))?,
        None => 0,
    };
    if length > MAX_REQUEST {
        return Err(ReadFailure::Bad(format!("request body larger than {MAX_REQUEST} bytes")));
    }
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        match stream.read(&mut chunk) {
            Ok(0) => return Err(ReadFailure::Io(std::io::Error::from(ErrorKind::UnexpectedEof))),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadFailure::Io(e)),
        }
    }
    body.truncate(length);
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_owned(), query.to_owned()),
        None => (target.to_owned(), String::new()),
    };
    Ok(Request {
        method: method.to_owned(),
        path,
        query,
        content_type: header("content-type")
            .map(|t| t.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()),
        authorization: header("authorization"),
        host: header("host"),
        body,
    })
}

fn write_reply(stream: &mut StreamOwned<ServerConnection, TcpStream>, reply: &Reply, fault: &Mutex<Fault>) {
    let fault = *fault.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (status, content_type, body): (u16, &str, Vec<u8>) = match fault {
        Fault::None => (reply.status, reply.content_type, reply.body.clone()),
        Fault::Status500 => (
            500,
            "application/problem+json",
            br#"{"type":"about:blank","title":"Internal Server Error","status":500}"#.to_vec(),
        ),
        Fault::InvalidJson => (reply.status, "application/json", b"{\"submissionId\": ".to_vec()),
        Fault::WrongContentType => (reply.status, "text/html", b"<html>maintenance</html>".to_vec()),
        Fault::Slow(delay) => {
            std::thread::sleep(delay);
            (reply.status, reply.content_type, reply.body.clone())
        }
        Fault::EndlessBody => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            let filler = [b' '; 16 * 1024];
            // Until the client gives up (its size limit or deadline closes the connection).
            while stream.write_all(&filler).and_then(|()| stream.flush()).is_ok() {}
            return;
        }
    };
    let challenge = reply.challenge.map(|challenge| format!("WWW-Authenticate: {challenge}\r\n")).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{challenge}Connection: close\r\nCache-Control: no-cache\r\n\r\n",
        reason(status),
        body.len()
    );
    let written = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body)).and_then(|()| {
        stream.conn.send_close_notify();
        stream.flush()
    });
    if let Err(error) = written {
        tracing::info!(%error, "client went away before the reply was written");
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        415 => "Unsupported Media Type",
        500 => "Internal Server Error",
        _ => "Status",
    }
}
