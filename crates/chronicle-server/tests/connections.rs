//! Connections that hold a server's resources without using them are let go: one that does not
//! finish its headers, or sends nothing at all, is closed after the header timeout, and past the
//! cap on connections a new one is closed at once.

#![cfg(unix)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::time::{Duration, Instant};

/// The server binary on a free port, with extra flags; killed when dropped.
struct Server {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(flags: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let (child, url) = common::start_binary(&dir.path().join("chronicle.db"), flags);
        let address = url.trim_start_matches("http://").to_owned();
        Server { child, address, _dir: dir }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(&self.address).unwrap();
        stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        stream
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the server closes `stream` before `within` passes (reading nothing but the end).
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    let mut buffer = [0u8; 1024];
    while Instant::now() < deadline {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
    false
}

/// Whether a health check over a fresh connection answers 200 before `within` passes.
fn answers_within(server: &Server, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let mut stream = server.connect();
        let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
        let mut reply = Vec::new();
        let _ = stream.read_to_end(&mut reply);
        if reply.starts_with(b"HTTP/1.1 200") {
            return true;
        }
    }
    false
}

#[test]
fn connections_that_stall_or_say_nothing_are_closed_after_the_header_timeout() {
    let server = Server::start(&["--header-timeout", "1"]);
    let mut stalled = server.connect();
    stalled.write_all(b"GET /healthz HTTP/1.1\r\nHost: te").unwrap();
    let mut silent = server.connect();
    assert!(closed_within(&mut stalled, Duration::from_secs(10)), "headers never finished");
    assert!(closed_within(&mut silent, Duration::from_secs(10)), "nothing ever sent");
    assert!(answers_within(&server, Duration::from_secs(10)), "and the server serves on");
}

#[test]
fn past_the_cap_on_connections_a_new_one_is_closed_and_a_freed_place_is_taken_again() {
    let server = Server::start(&["--max-connections", "1", "--header-timeout", "60"]);
    let holding = server.connect();
    // The one place is taken by a connection that says nothing.
    let mut refused = server.connect();
    assert!(closed_within(&mut refused, Duration::from_secs(10)), "the second connection is closed at once");
    drop(holding);
    assert!(answers_within(&server, Duration::from_secs(10)), "once the first goes, the server answers again");
}
