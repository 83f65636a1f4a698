//! The two systems under test (the release `server` and the Node baseline), how each is started,
//! and the data both hold.

use crate::procfs::cpu_ms;
use crate::{Error, PARTNER, READER};
use pusher_chat::auth::sign_hs256_token;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Product,
    Baseline,
}

pub struct Settings {
    pub server_bin: PathBuf,
    pub node_dir: PathBuf,
    pub secret: String,
}

impl Kind {
    fn command(self, settings: &Settings, database_url: &str, port: u16) -> tokio::process::Command {
        let mut command = match self {
            Kind::Product => {
                let mut c = tokio::process::Command::new(&settings.server_bin);
                c.env("HOST", "127.0.0.1").env("DB_POOL_SIZE", "10").env("RUST_LOG", "warn");
                c
            }
            Kind::Baseline => {
                let mut c = tokio::process::Command::new("node");
                c.arg(settings.node_dir.join("server.js")).env("PG_POOL_SIZE", "10").env("PG_IDLE_TIMEOUT_MS", "0");
                c
            }
        };
        command
            .env("PORT", port.to_string())
            .env("DATABASE_URL", database_url)
            // Distinct senders keep every sender far below the limit anyway; this makes sure of it.
            .env("RATE_LIMIT_MESSAGES_PER_MINUTE", "1000000")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        command
    }
}

pub struct System {
    pub kind: Kind,
    pub base: String,
    pub pid: u32,
    pub db: tokio_postgres::Client,
    pub _child: tokio::process::Child,
}

impl System {
    /// CPU of the API process, of this database's PostgreSQL backends (by pid), of sockudo.
    pub async fn cpu(&self, sockudo: Option<u32>) -> (f64, HashMap<u32, f64>, f64) {
        let rows = self
            .db
            .query(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap_or_default();
        let backends =
            rows.iter().filter_map(|r| u32::try_from(r.get::<_, i32>(0)).ok()).filter_map(|p| Some((p, cpu_ms(p)?)));
        (cpu_ms(self.pid).unwrap_or(0.0), backends.collect(), sockudo.and_then(cpu_ms).unwrap_or(0.0))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Spawns one system and waits for its first authenticated, database-backed 200; returns the time.
pub async fn spawn(
    kind: Kind,
    settings: &Settings,
    database_url: &str,
    http: &reqwest::Client,
) -> Result<(tokio::process::Child, String, Duration), Error> {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let url = format!("{base}/api/messages/private?chatId={PARTNER}&limit=50");
    let token = sign_hs256_token(&settings.secret, "authenticated", READER, None, 3600);
    let started = Instant::now();
    let mut child = kind.command(settings, database_url, port).spawn()?;
    loop {
        if let Ok(response) = http.get(&url).bearer_auth(&token).send().await {
            if response.status() == 200 {
                response.bytes().await?;
                return Ok((child, base, started.elapsed()));
            }
            return Err(format!("{base}: first answer {}", response.status()).into());
        }
        if let Some(status) = child.try_wait()? {
            return Err(format!("{base} exited with {status}").into());
        }
        if started.elapsed() > Duration::from_secs(20) {
            return Err(format!("{base} did not answer within 20 s").into());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

pub fn pair<T>(round: usize, product: T, baseline: T) -> [(Kind, T); 2] {
    // Alternate which system goes first, so neither always runs on a warmer (or busier) machine.
    if round % 2 == 0 {
        [(Kind::Product, product), (Kind::Baseline, baseline)]
    } else {
        [(Kind::Baseline, baseline), (Kind::Product, product)]
    }
}

pub async fn connect_db(url: &str) -> Result<tokio_postgres::Client, Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// Users both systems know: senders, the receiver, the reader and its partner.
pub const SETUP_SQL: &str = r#"
    INSERT INTO "User" ("id", "firstName", "lastName")
    SELECT 'bench-' || lpad(g::text, 5, '0'), 'Bench', 'Sender ' || g FROM generate_series(0, 1999) g
    UNION ALL SELECT 'bench-receiver-' || lpad(g::text, 2, '0'), 'Bench', 'Receiver ' || g FROM generate_series(0, 49) g
    UNION ALL VALUES ('bench-reader', 'Bench', 'Reader')
    ON CONFLICT ("id") DO NOTHING;"#;

/// The reader's chat with its partner (60 messages), then filler rows up to `$total` messages.
pub fn history_sql(from: i64, to: i64) -> String {
    let mut sql = String::new();
    if from == 0 {
        sql.push_str(
            r#"TRUNCATE "Message" CASCADE;
            INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "createdAt", "updatedAt", "chatId", "seq")
            SELECT 'chat-' || g, CASE WHEN g % 2 = 0 THEN 'bench-00000' ELSE 'bench-reader' END,
                   CASE WHEN g % 2 = 0 THEN 'bench-reader' ELSE 'bench-00000' END, 'message ' || g,
                   now() - interval '1 second' * (100 - g), now(), 'bench-00000:bench-reader', g
            FROM generate_series(1, 60) g;"#,
        );
    }
    sql.push_str(&format!(
        r#"INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "createdAt", "updatedAt", "chatId", "seq")
        SELECT 'filler-' || g, 'bench-' || lpad((g % 2000)::text, 5, '0'), 'bench-receiver-' || lpad((g % 50)::text, 2, '0'),
               'filler message ' || g,
               now() - interval '1 day', now(), 'filler:' || (g % 5000), g
        FROM generate_series({from}, {to} - 1) g;
        ANALYZE "Message";"#
    ));
    sql
}
