//! Shardable by conversation: every statement the send, history, sync, read and reaction paths
//! issue reads or writes the rows of one conversation, picked by its key, so the conversation
//! tables can be distributed by conversation (Citus, `chatId` as distribution column) or
//! hash-partitioned by it. The app runs behind a relay that records each statement it sends
//! (`sql_capture`); each one is planned here (generic plan, so parameters stay `$n`; the bodies of
//! the PL/pgSQL functions called are planned statement by statement) and every scan of a
//! conversation table must be restricted by equality on its conversation key — or on one message's
//! id, which is reported apart. The inbox and search cross conversations on purpose: the test
//! checks that the rule flags them, so it can fail (docs/scaling.md says how each is sharded).

use crate::helpers::*;
use crate::sql_capture::{self, Captured, SqlLog};
use serde_json::{json, Value};

/// The tables holding one conversation's rows and the columns naming that conversation.
const CONVERSATION_TABLES: &[(&str, &[&str])] = &[
    ("Message", &["chatId", "roomId"]),
    ("Conversation", &["id", "roomId"]),
    ("ConversationRead", &["chatId"]),
    ("ConversationMute", &["chatId"]),
    ("RoomMember", &["roomId"]),
    ("MessageReaction", &[]),
];
/// Columns that pick one message (of one conversation) by its id.
const MESSAGE_KEYS: &[(&str, &str)] = &[("Message", "id"), ("MessageReaction", "messageId")];

/// Ordered from the widest reach to the narrowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    /// Not restricted to one conversation: the scan may read rows of many.
    Crossing,
    /// Restricted by one message's id (or the ids of one page).
    Message,
    /// Restricted by equality on the conversation key.
    Conversation,
}

#[derive(Debug)]
struct Finding {
    sql: String,
    table: String,
    reach: Reach,
}

/// `a."b"` / `a.b` without parentheses and casts.
fn operand(token: &str) -> String {
    let token = token.split("::").next().unwrap_or(token);
    token.trim_matches(|c| c == '(' || c == ')' || c == ',').to_owned()
}

/// Every `left = right` pair of a condition, as operand texts.
fn equalities(condition: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = condition;
    let mut before = String::new();
    while let Some(at) = rest.find(" = ") {
        before.push_str(&rest[..at]);
        let left = before.rsplit([' ', '(']).find(|t| !t.is_empty()).unwrap_or("");
        let after = &rest[at + 3..];
        let right = after.split([' ', ')']).find(|t| !t.is_empty()).unwrap_or("");
        pairs.push((operand(left), operand(right)));
        before.push_str(" = ");
        rest = after;
    }
    pairs
}

/// `alias.column` as EXPLAIN VERBOSE prints it: either part quoted when it has capitals.
fn is_column(text: &str, alias: &str, column: &str) -> bool {
    [alias.to_owned(), format!("\"{alias}\"")]
        .iter()
        .any(|a| text == format!("{a}.\"{column}\"") || text == format!("{a}.{column}"))
}

fn collect(plan: &Value, conditions: &mut Vec<String>, scans: &mut Vec<(String, String)>) {
    for key in ["Index Cond", "Filter", "Recheck Cond", "Join Filter", "Hash Cond", "Merge Cond"] {
        if let Some(text) = plan[key].as_str() {
            conditions.push(text.to_owned());
        }
    }
    let table = plan["Relation Name"].as_str().unwrap_or_default();
    if plan["Node Type"] != "ModifyTable" && CONVERSATION_TABLES.iter().any(|(t, _)| *t == table) {
        scans.push((table.to_owned(), plan["Alias"].as_str().unwrap_or(table).to_owned()));
    }
    for child in plan["Plans"].as_array().into_iter().flatten() {
        collect(child, conditions, scans);
    }
}

/// How far each scan of a conversation table in `plan` reaches. A scan is restricted by equality
/// of its key with a parameter or literal, or with a column of another row source: a scan counts
/// for what that scan is restricted to (worked out until nothing changes, so two scans joined on
/// their keys do not vouch for each other), any other source (a CTE's rows, a function's) as one
/// row. `= ANY(…)` picks several rows: fine for message ids (one page), not for conversations.
fn reach_of(plan: &Value) -> Vec<(String, Reach)> {
    let (mut conditions, mut scans) = (Vec::new(), Vec::new());
    collect(plan, &mut conditions, &mut scans);
    let pairs: Vec<(String, String)> = conditions.iter().flat_map(|c| equalities(c)).collect();
    let both_ways: Vec<(&str, &str)> =
        pairs.iter().flat_map(|(l, r)| [(l.as_str(), r.as_str()), (r.as_str(), l.as_str())]).collect();
    let mut reach = vec![Reach::Crossing; scans.len()];
    loop {
        let mut changed = false;
        for (i, (table, alias)) in scans.iter().enumerate() {
            let keys = CONVERSATION_TABLES.iter().find(|(t, _)| t == table).unwrap().1;
            for &(column, value) in &both_ways {
                let by_conversation = keys.iter().any(|k| is_column(column, alias, k));
                let by_message = MESSAGE_KEYS.iter().any(|(t, k)| t == table && is_column(column, alias, k));
                if !by_conversation && !by_message {
                    continue;
                }
                let source = value.split('.').next().unwrap_or_default().trim_matches('"');
                let got = if value.starts_with('$') || value.starts_with('\'') {
                    if by_conversation {
                        Reach::Conversation
                    } else {
                        Reach::Message
                    }
                } else if value == "ANY" {
                    if by_message {
                        Reach::Message
                    } else {
                        Reach::Crossing
                    }
                } else if !value.contains('.') {
                    Reach::Crossing
                } else {
                    let other = scans.iter().position(|(_, a)| a == source).map_or(Reach::Conversation, |j| reach[j]);
                    if by_conversation {
                        other
                    } else {
                        other.min(Reach::Message)
                    }
                };
                if got > reach[i] {
                    reach[i] = got;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    scans.into_iter().map(|(table, _)| table).zip(reach).collect()
}

struct Planner {
    db: tokio_postgres::Client,
}

impl Planner {
    /// The generic plan of `sql` with parameters of the given types (`unknown`: inferred).
    async fn plan(&self, sql: &str, types: &[String]) -> Result<Value, tokio_postgres::Error> {
        let db = &self.db;
        db.batch_execute("SET plan_cache_mode = force_generic_plan; DEALLOCATE ALL").await?;
        let declared = if types.is_empty() { String::new() } else { format!("({})", types.join(", ")) };
        db.batch_execute(&format!("PREPARE shard_check{declared} AS {sql}")).await?;
        let row = db
            .query_one(
                "SELECT cardinality(parameter_types) FROM pg_prepared_statements WHERE name = 'shard_check'",
                &[],
            )
            .await?;
        let count: i32 = row.get(0);
        let nulls = vec!["NULL"; count as usize].join(", ");
        let args = if count == 0 { String::new() } else { format!("({nulls})") };
        let row = db.query_one(&format!("EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE shard_check{args}"), &[]).await?;
        let plan: Value = row.get(0);
        Ok(plan[0]["Plan"].clone())
    }

    async fn type_names(&self, oids: &[u32]) -> Vec<String> {
        let mut names = Vec::new();
        for oid in oids {
            names.push(match oid {
                0 => "unknown".to_owned(),
                oid => self.db.query_one("SELECT format_type($1::oid, NULL)", &[oid]).await.unwrap().get(0),
            });
        }
        names
    }

    /// The statements of a PL/pgSQL function `sql` calls, each with its arguments as `$n`.
    async fn function_bodies(&self, sql: &str) -> Vec<(String, Vec<String>)> {
        let rows = self
            .db
            .query(
                r#"SELECT p.prosrc, p.proargnames[1:p.pronargs]::text[],
                          ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) t)
                   FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                   WHERE l.lanname = 'plpgsql' AND strpos($1, '"' || p.proname || '"(') > 0"#,
                &[&sql],
            )
            .await
            .unwrap();
        let mut statements = Vec::new();
        for row in rows {
            let (source, names, types): (String, Vec<String>, Vec<String>) = (row.get(0), row.get(1), row.get(2));
            let body = source.split_once("\nBEGIN").map_or(source.as_str(), |(_, b)| b);
            let body = body.rsplit_once("\nEND").map_or(body, |(b, _)| b);
            let mut ordered: Vec<(usize, &String)> = names.iter().enumerate().collect();
            ordered.sort_by_key(|(_, n)| std::cmp::Reverse(n.len()));
            for piece in body.split(';') {
                let mut statement: String =
                    piece.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
                statement = statement.trim().trim_start_matches("RETURN QUERY").trim().to_owned();
                if let Some(rest) = statement.strip_prefix("PERFORM") {
                    statement = format!("SELECT{rest}");
                }
                if statement.is_empty() || statement.starts_with("RETURN") {
                    continue;
                }
                if let Some((head, tail)) = statement.split_once(" INTO v_") {
                    statement = format!("{head} {}", tail.split_once(' ').map_or("", |(_, t)| t));
                }
                for (i, name) in &ordered {
                    statement = statement.replace(name.as_str(), &format!("${}", i + 1));
                }
                statements.push((statement, types.clone()));
            }
        }
        statements
    }

    async fn findings(&self, captured: &[Captured]) -> Vec<Finding> {
        let mut findings = Vec::new();
        for statement in captured {
            let words = statement.sql.trim_start().to_ascii_uppercase();
            if !["SELECT", "WITH", "INSERT", "UPDATE", "DELETE"].iter().any(|w| words.starts_with(w)) {
                continue;
            }
            let mut plans = vec![(statement.sql.clone(), self.type_names(&statement.param_types).await)];
            plans.extend(self.function_bodies(&statement.sql).await);
            for (sql, types) in plans {
                let plan = self.plan(&sql, &types).await.unwrap_or_else(|e| panic!("planning {sql}: {e:?}"));
                for (table, reach) in reach_of(&plan) {
                    findings.push(Finding { sql: sql.clone(), table, reach });
                }
            }
        }
        findings
    }
}

/// The statements one call issues (and what it set off in the background within a moment).
async fn statements_of<F: std::future::Future<Output = (u16, Value)>>(log: &SqlLog, call: F) -> Vec<Captured> {
    log.take();
    let (status, body) = call.await;
    assert!(status < 300, "{status}: {body}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    log.take()
}

#[tokio::test]
async fn send_history_sync_read_and_reactions_touch_one_conversation_each() {
    let database_url = migrated_database().await;
    let (head, name) = database_url.rsplit_once('/').unwrap();
    let upstream = head.rsplit_once('@').map_or(head, |(_, h)| h).trim_start_matches("postgres://").to_owned();
    let (port, log) = sql_capture::start(upstream.clone()).await;
    let relayed = format!("{}/{name}?sslmode=disable", head.replace(&upstream, &format!("127.0.0.1:{port}")));
    let app = TestApp::spawn_with(test_env(&relayed)).await;
    let planner = Planner { db: pusher_chat::db::connect(&database_url).await.unwrap() };
    let (alice, bob) = (app.token_for(app.alice), app.token_for(app.bob));
    let room = app.joined_room(app.alice, "shards", &[app.bob]).await;
    let first = app.send_to_room(app.alice, &room, "first").await;
    let private = |token: String, body: Value| {
        let app = &app;
        async move { app.post_json("/api/messages/private", Some(&token), &body).await }
    };
    let (_, sent) = private(alice.clone(), json!({"receiverId": app.bob.id, "content": "hello"})).await;
    let message_id = sent["message"]["id"].as_str().unwrap().to_owned();
    let chat = format!("/api/messages/private?chatId={}", app.alice.id);

    let mut paths: Vec<(&str, Vec<Captured>)> = Vec::new();
    let reply = json!({"receiverId": app.bob.id, "content": "a reply", "replyToId": message_id});
    paths.push(("send", statements_of(&log, private(alice.clone(), reply)).await));
    let body = json!({"roomId": room, "content": "to the room", "replyToId": first["id"]});
    paths.push(("send to a room", statements_of(&log, app.post_json("/api/messages/room", Some(&alice), &body)).await));
    paths.push(("history", statements_of(&log, app.get(&chat, Some(&bob))).await));
    paths.push(("history before", statements_of(&log, app.get(&format!("{chat}&before=2"), Some(&bob))).await));
    let room_history = format!("/api/messages/room?roomId={room}");
    paths.push(("room history", statements_of(&log, app.get(&room_history, Some(&bob))).await));
    paths.push(("sync", statements_of(&log, app.get(&format!("{chat}&after=1"), Some(&bob))).await));
    paths.push(("changes", statements_of(&log, app.get(&format!("{chat}&changedAfter=0"), Some(&bob))).await));
    let up_to = json!({"chatId": app.alice.id, "upToSeq": 2});
    paths.push(("read", statements_of(&log, app.post_json("/api/messages/read", Some(&bob), &up_to)).await));
    let by_ids = json!({"messageIds": [message_id]});
    paths.push(("read by ids", statements_of(&log, app.post_json("/api/messages/read", Some(&bob), &by_ids)).await));
    let reaction = json!({"messageId": message_id, "emoji": "👍"});
    let react = app.post_json("/api/messages/reactions", Some(&bob), &reaction);
    paths.push(("reaction", statements_of(&log, react).await));
    let unreact = async {
        let url = app.url(&format!("/api/messages/reactions?messageId={message_id}&emoji=%F0%9F%91%8D"));
        read(app.http.delete(url).bearer_auth(&bob).send().await.unwrap()).await
    };
    paths.push(("reaction removed", statements_of(&log, unreact).await));

    let mut crossing = Vec::new();
    for (path, captured) in &paths {
        let findings = planner.findings(captured).await;
        // The relay saw the path's statements (a send's own writes are inserts, not scans).
        assert!(!findings.is_empty(), "{path}: no statement read a conversation table");
        for finding in findings {
            // `--nocapture` lists every scan: what docs/scaling.md summarises.
            let one_line = finding.sql.split_whitespace().collect::<Vec<_>>().join(" ");
            println!("{path}: {:?} {}: {one_line}", finding.reach, finding.table);
            if finding.reach == Reach::Crossing {
                crossing.push(format!("{path}: {} in {}", finding.table, finding.sql));
            }
        }
    }
    assert!(crossing.is_empty(), "statements reaching beyond one conversation:\n{}", crossing.join("\n\n"));

    // The rule can fail: the inbox and search read many conversations, and it says so.
    let inbox = statements_of(&log, app.get("/api/conversations", Some(&bob))).await;
    let search = statements_of(&log, app.get("/api/messages/search?q=hello", Some(&bob))).await;
    for (path, captured) in [("inbox", inbox), ("search", search)] {
        let findings = planner.findings(&captured).await;
        assert!(findings.iter().any(|f| f.reach == Reach::Crossing), "{path} not flagged: {findings:#?}");
    }
}

#[test]
fn equalities_are_read_from_plan_conditions() {
    let pairs =
        equalities(r#"((m."chatId" = $1) AND (m.seq < $2) AND (c.id = m."chatId") AND (r."messageId" = ANY ($3)))"#);
    assert_eq!(
        pairs,
        [
            (r#"m."chatId""#.to_owned(), "$1".to_owned()),
            ("c.id".to_owned(), r#"m."chatId""#.to_owned()),
            (r#"r."messageId""#.to_owned(), "ANY".to_owned()),
        ]
    );
    let scan =
        |cond: &str| json!({"Node Type": "Index Scan", "Relation Name": "Message", "Alias": "m", "Index Cond": cond});
    assert_eq!(reach_of(&scan(r#"(m."chatId" = $1)"#)), [("Message".to_owned(), Reach::Conversation)]);
    assert_eq!(reach_of(&scan("(m.id = ANY ($1))")), [("Message".to_owned(), Reach::Message)]);
    assert_eq!(reach_of(&scan(r#"(m."chatId" = ANY ($1))"#)), [("Message".to_owned(), Reach::Crossing)]);
    assert_eq!(reach_of(&scan(r#"(m."senderId" = $1)"#)), [("Message".to_owned(), Reach::Crossing)]);
    // Two scans joined on their keys reach what the first one is restricted to.
    let join = |cond: &str| {
        json!({"Node Type": "Nested Loop", "Plans": [
            {"Node Type": "Seq Scan", "Relation Name": "Message", "Alias": "m", "Filter": cond},
            {"Node Type": "Index Scan", "Relation Name": "Message", "Alias": "p",
             "Index Cond": r#"(p.id = m."replyToId")"#, "Filter": r#"(p."chatId" = m."chatId")"#}]})
    };
    let both = |reach| vec![("Message".to_owned(), reach), ("Message".to_owned(), reach)];
    assert_eq!(reach_of(&join(r#"(m."chatId" = $1)"#)), both(Reach::Conversation));
    assert_eq!(reach_of(&join(r#"(m."chatId" ~~ $1)"#)), both(Reach::Crossing));
}
