//! A PostgreSQL wire-protocol relay that records the SQL passing through it: every simple query
//! (`Q`) and every statement the extended protocol parses (`P`, with its parameter types). The
//! app under test connects to it instead of the server, so a test sees exactly the statements the
//! db layer issues, whatever the code path. TLS is declined (`N`), so the bytes stay readable.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One statement as the client sent it.
#[derive(Debug, Clone)]
pub struct Captured {
    pub sql: String,
    /// The parameter type OIDs of a parsed statement (0: left to the server); empty for `Q`.
    pub param_types: Vec<u32>,
}

#[derive(Clone, Default)]
pub struct SqlLog(Arc<Mutex<Vec<Captured>>>);

impl SqlLog {
    /// Everything recorded since the last call.
    pub fn take(&self) -> Vec<Captured> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

const SSL_REQUEST: u32 = 80_877_103;
const GSS_REQUEST: u32 = 80_877_104;

/// Listens on a loopback port and relays each connection to `upstream` (`host:port`). Returns the
/// port and the log.
pub async fn start(upstream: String) -> (u16, SqlLog) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = SqlLog::default();
    let shared = log.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, log) = (upstream.clone(), shared.clone());
            tokio::spawn(async move {
                let _ = relay(client, &upstream, log).await;
            });
        }
    });
    (port, log)
}

async fn relay(mut client: TcpStream, upstream: &str, log: SqlLog) -> std::io::Result<()> {
    // Startup: untyped messages; TLS and GSS requests are declined here, the rest is forwarded.
    let startup = loop {
        let len = client.read_u32().await? as usize;
        let mut body = vec![0; len.saturating_sub(4)];
        client.read_exact(&mut body).await?;
        let code = body.get(..4).map(|b| u32::from_be_bytes(b.try_into().unwrap()));
        if matches!(code, Some(SSL_REQUEST | GSS_REQUEST)) {
            client.write_all(b"N").await?;
            continue;
        }
        let mut message = (len as u32).to_be_bytes().to_vec();
        message.extend(body);
        break message;
    };
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(&startup).await?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let back = tokio::spawn(async move { tokio::io::copy(&mut server_read, &mut client_write).await });
    while let Ok(kind) = client_read.read_u8().await {
        let len = client_read.read_u32().await? as usize;
        let mut body = vec![0; len.saturating_sub(4)];
        client_read.read_exact(&mut body).await?;
        if let Some(captured) = parse(kind, &body) {
            log.0.lock().unwrap().push(captured);
        }
        let mut message = vec![kind];
        message.extend((len as u32).to_be_bytes());
        message.extend(body);
        server_write.write_all(&message).await?;
    }
    back.abort();
    Ok(())
}

fn cstring(bytes: &[u8]) -> (String, &[u8]) {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    (String::from_utf8_lossy(&bytes[..end]).into_owned(), bytes.get(end + 1..).unwrap_or_default())
}

fn parse(kind: u8, body: &[u8]) -> Option<Captured> {
    match kind {
        b'Q' => Some(Captured { sql: cstring(body).0, param_types: Vec::new() }),
        b'P' => {
            let (_name, rest) = cstring(body);
            let (sql, rest) = cstring(rest);
            let count = rest.get(..2).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]) as usize);
            let param_types = (0..count)
                .filter_map(|i| rest.get(2 + 4 * i..6 + 4 * i))
                .map(|b| u32::from_be_bytes(b.try_into().unwrap()))
                .collect();
            Some(Captured { sql, param_types })
        }
        _ => None,
    }
}
