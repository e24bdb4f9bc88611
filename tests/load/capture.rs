//! Capturing the SQL an endpoint sends, from the wire. The load benchmark compares each endpoint
//! with `pgbench` running that endpoint's own statements; retyping them would measure what we
//! think the server sends. So the server under capture talks to PostgreSQL through this proxy,
//! which forwards every byte unchanged and reads the frontend messages as they pass: `Parse`
//! (statement text and parameter types), `Bind` (parameter values, binary or text), `Execute`,
//! `Sync` and simple `Query`. Each execution is recorded with its parameters decoded to text, and
//! each `Sync` or `Query` counts one round trip (the driver waits for the answer before going
//! on). Only the capture server goes through it; the load itself runs on a direct connection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{Days, NaiveDate, TimeDelta};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One statement as the server executed it.
#[derive(Debug, Clone)]
pub struct Statement {
    pub sql: String,
    /// Each parameter's type name (`None` when the driver left it to the server) and its value
    /// in PostgreSQL's text form (`None` for NULL).
    pub params: Vec<(Option<&'static str>, Option<String>)>,
}

#[derive(Debug, Default)]
struct Recording {
    statements: Vec<Statement>,
    round_trips: usize,
}

/// The proxy, listening on `port`, forwarding to `upstream`.
pub struct Proxy {
    pub port: u16,
    recording: Arc<Mutex<Recording>>,
}

impl Proxy {
    pub async fn start(upstream: String) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let recording = Arc::new(Mutex::new(Recording::default()));
        let shared = recording.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let recording = shared.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        relay(client, server, recording).await;
                    }
                });
            }
        });
        Ok(Self { port, recording })
    }

    /// Forget what was recorded so far.
    pub fn clear(&self) {
        let mut r = self.recording.lock().unwrap_or_else(|p| p.into_inner());
        *r = Recording::default();
    }

    /// The statements executed since `clear`, in order, and the round trips they took.
    pub fn take(&self) -> (Vec<Statement>, usize) {
        let mut r = self.recording.lock().unwrap_or_else(|p| p.into_inner());
        let taken = std::mem::take(&mut *r);
        (taken.statements, taken.round_trips)
    }
}

async fn relay(mut client: TcpStream, mut server: TcpStream, recording: Arc<Mutex<Recording>>) {
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let downstream = tokio::io::copy(&mut server_read, &mut client_write);
    let upstream = async {
        let mut reader = Frontend::default();
        let mut buf = vec![0_u8; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            reader.feed(&buf[..n], &recording);
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    tokio::select! {
        _ = downstream => {}
        () = upstream => {}
    }
}

/// A prepared statement: its text and the parameter types given at `Parse`.
#[derive(Debug, Clone)]
struct Prepared {
    sql: String,
    types: Vec<u32>,
}

/// The frontend half of one connection, parsed as it streams past.
#[derive(Debug, Default)]
struct Frontend {
    pending: Vec<u8>,
    started: bool,
    prepared: HashMap<String, Prepared>,
    /// Portal name → the statement bound to it and its decoded parameters.
    portals: HashMap<String, Statement>,
}

impl Frontend {
    fn feed(&mut self, bytes: &[u8], recording: &Mutex<Recording>) {
        self.pending.extend_from_slice(bytes);
        loop {
            if !self.started {
                // The startup packet (or an SSL/GSS request before it): length, then body, no
                // type byte.
                let Some(len) = be_i32(&self.pending, 0) else {
                    return;
                };
                let len = usize::try_from(len).unwrap_or(0).max(4);
                if self.pending.len() < len {
                    return;
                }
                let code = be_i32(&self.pending, 4).unwrap_or(0);
                self.pending.drain(..len);
                // 80877103: SSLRequest, 80877104: GSSENCRequest; the startup message follows.
                if code != 80_877_103 && code != 80_877_104 {
                    self.started = true;
                }
                continue;
            }
            if self.pending.len() < 5 {
                return;
            }
            let kind = self.pending[0];
            let len = usize::try_from(be_i32(&self.pending, 1).unwrap_or(4))
                .unwrap_or(4)
                .max(4);
            if self.pending.len() < 1 + len {
                return;
            }
            let body: Vec<u8> = self.pending[5..=len].to_vec();
            self.pending.drain(..=len);
            self.message(kind, &body, recording);
        }
    }

    fn message(&mut self, kind: u8, body: &[u8], recording: &Mutex<Recording>) {
        let mut r = recording.lock().unwrap_or_else(|p| p.into_inner());
        match kind {
            b'P' => {
                let mut at = 0;
                let name = cstring(body, &mut at);
                let sql = cstring(body, &mut at);
                let n = be_i16(body, at).unwrap_or(0);
                at += 2;
                let types = (0..n)
                    .map(|i| be_u32(body, at + 4 * usize::from(i.unsigned_abs())).unwrap_or(0))
                    .collect();
                self.prepared.insert(name, Prepared { sql, types });
            }
            b'B' => {
                if let Some((portal, statement)) = self.bind(body) {
                    self.portals.insert(portal, statement);
                }
            }
            b'E' => {
                let mut at = 0;
                let portal = cstring(body, &mut at);
                if let Some(statement) = self.portals.get(&portal) {
                    r.statements.push(statement.clone());
                }
            }
            b'Q' => {
                let mut at = 0;
                let sql = cstring(body, &mut at);
                r.statements.push(Statement {
                    sql,
                    params: Vec::new(),
                });
                r.round_trips += 1;
            }
            b'S' => r.round_trips += 1,
            _ => {}
        }
    }

    fn bind(&self, body: &[u8]) -> Option<(String, Statement)> {
        let mut at = 0;
        let portal = cstring(body, &mut at);
        let name = cstring(body, &mut at);
        let prepared = self.prepared.get(&name)?;
        let n_formats = usize::from(be_i16(body, at)?.unsigned_abs());
        at += 2;
        let formats: Vec<i16> = (0..n_formats)
            .map(|i| be_i16(body, at + 2 * i).unwrap_or(0))
            .collect();
        at += 2 * n_formats;
        let n_params = usize::from(be_i16(body, at)?.unsigned_abs());
        at += 2;
        let mut params = Vec::with_capacity(n_params);
        for i in 0..n_params {
            let len = be_i32(body, at)?;
            at += 4;
            let oid = prepared.types.get(i).copied().unwrap_or(0);
            let binary = match formats.len() {
                0 => false,
                1 => formats[0] == 1,
                _ => formats.get(i) == Some(&1),
            };
            let value = if len < 0 {
                None
            } else {
                let len = usize::try_from(len).ok()?;
                let bytes = body.get(at..at + len)?;
                at += len;
                Some(if binary {
                    decode(oid, bytes)
                } else {
                    String::from_utf8_lossy(bytes).into_owned()
                })
            };
            params.push((type_name(oid), value));
        }
        Some((
            portal,
            Statement {
                sql: prepared.sql.clone(),
                params,
            },
        ))
    }
}

fn cstring(body: &[u8], at: &mut usize) -> String {
    let rest = body.get(*at..).unwrap_or_default();
    let end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
    let s = String::from_utf8_lossy(&rest[..end]).into_owned();
    *at += end + 1;
    s
}

fn be_i32(b: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_i16(b: &[u8], at: usize) -> Option<i16> {
    Some(i16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be_i64(b: &[u8]) -> Option<i64> {
    Some(i64::from_be_bytes(b.get(..8)?.try_into().ok()?))
}

/// The name of a built-in type, for the casts of the `pgbench` script.
fn type_name(oid: u32) -> Option<&'static str> {
    Some(match oid {
        16 => "bool",
        17 => "bytea",
        20 => "int8",
        21 => "int2",
        23 => "int4",
        25 => "text",
        114 => "json",
        700 => "float4",
        701 => "float8",
        1043 => "varchar",
        1082 => "date",
        1114 => "timestamp",
        1184 => "timestamptz",
        2950 => "uuid",
        3802 => "jsonb",
        1000 => "bool[]",
        1001 => "bytea[]",
        1005 => "int2[]",
        1007 => "int4[]",
        1016 => "int8[]",
        1009 => "text[]",
        1015 => "varchar[]",
        2951 => "uuid[]",
        _ => return None,
    })
}

fn element_of(array: u32) -> Option<u32> {
    Some(match array {
        1000 => 16,
        1001 => 17,
        1005 => 21,
        1007 => 23,
        1016 => 20,
        1009 => 25,
        1015 => 1043,
        2951 => 2950,
        _ => return None,
    })
}

/// A binary parameter in PostgreSQL's text form.
fn decode(oid: u32, b: &[u8]) -> String {
    let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    let decoded = match oid {
        16 => b
            .first()
            .map(|v| if *v == 0 { "f" } else { "t" }.to_owned()),
        20 => be_i64(b).map(|v| v.to_string()),
        23 => be_i32(b, 0).map(|v| v.to_string()),
        21 => be_i16(b, 0).map(|v| v.to_string()),
        701 => b
            .get(..8)
            .and_then(|s| s.try_into().ok())
            .map(|a| f64::from_be_bytes(a).to_string()),
        700 => b
            .get(..4)
            .and_then(|s| s.try_into().ok())
            .map(|a| f32::from_be_bytes(a).to_string()),
        25 | 1043 | 19 | 114 => Some(String::from_utf8_lossy(b).into_owned()),
        // Binary jsonb is a version byte, then the text.
        3802 => b.get(1..).map(|t| String::from_utf8_lossy(t).into_owned()),
        2950 => uuid::Uuid::from_slice(b).ok().map(|u| u.to_string()),
        1082 => be_i32(b, 0).and_then(|days| {
            let days = i64::from(days);
            let at = if days >= 0 {
                epoch.checked_add_days(Days::new(days.unsigned_abs()))
            } else {
                epoch.checked_sub_days(Days::new(days.unsigned_abs()))
            };
            at.map(|d| d.to_string())
        }),
        1114 | 1184 => be_i64(b).map(|micros| {
            let at =
                epoch.and_hms_opt(0, 0, 0).unwrap_or_default() + TimeDelta::microseconds(micros);
            let text = at.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
            if oid == 1184 {
                format!("{text}+00")
            } else {
                text
            }
        }),
        _ => element_of(oid).and_then(|element| array(element, b)),
    };
    decoded.unwrap_or_else(|| {
        // A type this reader does not know: PostgreSQL's hex form of the raw bytes.
        let hex: String = b.iter().map(|v| format!("{v:02x}")).collect();
        format!("\\x{hex}")
    })
}

/// A one-dimensional binary array in text form: `{"a","b"}`.
fn array(element: u32, b: &[u8]) -> Option<String> {
    let dims = be_i32(b, 0)?;
    if dims == 0 {
        return Some("{}".to_owned());
    }
    if dims != 1 {
        return None;
    }
    let n = usize::try_from(be_i32(b, 12)?).ok()?;
    let mut at = 20;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        let len = be_i32(b, at)?;
        at += 4;
        if len < 0 {
            items.push("NULL".to_owned());
            continue;
        }
        let len = usize::try_from(len).ok()?;
        let text = decode(element, b.get(at..at + len)?);
        at += len;
        items.push(format!(
            "\"{}\"",
            text.replace('\\', "\\\\").replace('"', "\\\"")
        ));
    }
    Some(format!("{{{}}}", items.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_parameters_read_as_postgres_writes_them() {
        let id = uuid::Uuid::parse_str("0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12").unwrap();
        assert_eq!(decode(2950, id.as_bytes()), id.to_string());
        assert_eq!(decode(20, &50_i64.to_be_bytes()), "50");
        assert_eq!(decode(16, &[1]), "t");
        // 2026-11-29 is 9,829 days after 2000-01-01.
        assert_eq!(decode(1082, &9_829_i32.to_be_bytes()), "2026-11-29");
        let micros = 9_829_i64 * 86_400_000_000 + 3_600_000_000 + 1;
        assert_eq!(
            decode(1184, &micros.to_be_bytes()),
            "2026-11-29 01:00:00.000001+00"
        );
        assert_eq!(decode(17, &[0xde, 0xad]), "\\xdead");
        // A one-dimensional text[] of two: header (dims, flags, element type, length, lower
        // bound), then each element's length and bytes.
        let mut array = Vec::new();
        for v in [1_i32, 0, 25, 2, 1] {
            array.extend_from_slice(&v.to_be_bytes());
        }
        for item in ["a", "b\"c"] {
            array.extend_from_slice(&i32::try_from(item.len()).unwrap().to_be_bytes());
            array.extend_from_slice(item.as_bytes());
        }
        assert_eq!(decode(1009, &array), r#"{"a","b\"c"}"#);
    }

    #[test]
    fn a_bind_after_parse_records_its_statement_once_executed() {
        let recording = Mutex::new(Recording::default());
        let mut frontend = Frontend::default();
        let mut wire = Vec::new();
        // Startup: length 8 + protocol 3.0 (no parameters, enough for the reader).
        wire.extend_from_slice(&8_i32.to_be_bytes());
        wire.extend_from_slice(&196_608_i32.to_be_bytes());
        let message = |kind: u8, body: Vec<u8>| {
            let mut m = vec![kind];
            m.extend_from_slice(&(i32::try_from(body.len()).unwrap() + 4).to_be_bytes());
            m.extend_from_slice(&body);
            m
        };
        let mut parse = b"s1\0SELECT $1\0".to_vec();
        parse.extend_from_slice(&1_i16.to_be_bytes());
        parse.extend_from_slice(&20_u32.to_be_bytes());
        wire.extend(message(b'P', parse));
        wire.extend(message(b'S', Vec::new()));
        let mut bind = b"\0s1\0".to_vec();
        bind.extend_from_slice(&1_i16.to_be_bytes());
        bind.extend_from_slice(&1_i16.to_be_bytes());
        bind.extend_from_slice(&1_i16.to_be_bytes());
        bind.extend_from_slice(&8_i32.to_be_bytes());
        bind.extend_from_slice(&7_i64.to_be_bytes());
        bind.extend_from_slice(&0_i16.to_be_bytes());
        wire.extend(message(b'B', bind));
        wire.extend(message(b'E', b"\0\0\0\0\0".to_vec()));
        wire.extend(message(b'S', Vec::new()));
        // Fed in awkward pieces, as TCP may deliver them.
        for piece in wire.chunks(3) {
            frontend.feed(piece, &recording);
        }
        let r = recording.into_inner().unwrap();
        assert_eq!(r.round_trips, 2);
        assert_eq!(r.statements.len(), 1);
        assert_eq!(r.statements[0].sql, "SELECT $1");
        assert_eq!(
            r.statements[0].params,
            vec![(Some("int8"), Some("7".to_owned()))]
        );
    }
}
