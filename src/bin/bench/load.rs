//! Load on the send route: closed-loop senders or an open-loop rate, with latencies, deliveries
//! and CPU per send of each phase; and plain sequential requests.

use crate::stats::ms;
use crate::systems::System;
use crate::websocket::Deliveries;
use crate::{receiver_id, Error, SENDERS};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Load {
    pub http: reqwest::Client,
    pub tokens: Vec<String>,
    pub next_sender: AtomicU64,
    pub next_number: AtomicU64,
    pub deliveries: Arc<Deliveries>,
    pub sockudo: Option<u32>,
}

#[derive(Clone, Copy)]
pub enum Mode {
    /// This many senders, each sending its next message when the last is answered.
    Closed(usize),
    /// Sends started at this rate whatever the answers (open loop).
    Open(f64),
}

#[derive(Default)]
pub struct Phase {
    pub ok: u64,
    pub errors: u64,
    pub seconds: f64,
    pub latencies: Vec<f64>,
    pub delivered: Vec<f64>,
    /// CPU milliseconds per send: API process, PostgreSQL backends, sockudo.
    pub cpu: (f64, f64, f64),
}

impl Load {
    async fn send_one(&self, base: &str) -> Result<f64, Error> {
        let sender = self.next_sender.fetch_add(1, Ordering::Relaxed) as usize % SENDERS;
        let number = self.next_number.fetch_add(1, Ordering::Relaxed);
        let body = format!(r#"{{"receiverId":"{}","content":"bench {number}"}}"#, receiver_id(sender));
        let started = Instant::now();
        self.deliveries.started.lock().unwrap().insert(number, started);
        let response = self
            .http
            .post(format!("{base}/api/messages/private"))
            .bearer_auth(&self.tokens[sender])
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        let status = response.status();
        response.bytes().await?;
        if !status.is_success() {
            self.deliveries.started.lock().unwrap().remove(&number);
            return Err(format!("send answered {status}").into());
        }
        Ok(ms(started.elapsed()))
    }

    pub async fn run(self: &Arc<Self>, system: &System, mode: Mode, seconds: f64) -> Phase {
        let first = self.next_number.load(Ordering::Relaxed);
        let before = system.cpu(self.sockudo).await;
        let started = Instant::now();
        let deadline = started + Duration::from_secs_f64(seconds);
        let tasks: Vec<tokio::task::JoinHandle<Vec<Result<f64, String>>>> = match mode {
            Mode::Closed(senders) => (0..senders)
                .map(|_| {
                    let (load, base) = (self.clone(), system.base.clone());
                    tokio::spawn(async move {
                        let mut results = Vec::new();
                        while Instant::now() < deadline {
                            results.push(load.send_one(&base).await.map_err(|e| e.to_string()));
                        }
                        results
                    })
                })
                .collect(),
            Mode::Open(rate) => {
                let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                let mut tasks = Vec::new();
                for _ in 0..(rate * seconds).round() as usize {
                    ticks.tick().await;
                    let (load, base) = (self.clone(), system.base.clone());
                    tasks
                        .push(tokio::spawn(async move { vec![load.send_one(&base).await.map_err(|e| e.to_string())] }));
                }
                tasks
            }
        };
        let mut phase = Phase::default();
        for task in tasks {
            for result in task.await.unwrap_or_default() {
                match result {
                    Ok(latency) => {
                        phase.ok += 1;
                        phase.latencies.push(latency);
                    }
                    Err(err) => {
                        if phase.errors == 0 {
                            eprintln!("bench: {err}");
                        }
                        phase.errors += 1;
                    }
                }
            }
        }
        phase.seconds = started.elapsed().as_secs_f64();
        // Deliveries (and publishes that run after the response) finish before CPU is read again.
        let last = self.next_number.load(Ordering::Relaxed);
        let waited = Instant::now();
        loop {
            let pending = self.deliveries.started.lock().unwrap().keys().filter(|n| (first..last).contains(n)).count();
            if pending == 0 || waited.elapsed() > Duration::from_secs(3) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let after = system.cpu(self.sockudo).await;
        let delivered = self.deliveries.delivered.lock().unwrap();
        phase.delivered = (first..last).filter_map(|n| delivered.get(&n).copied()).collect();
        let pg: f64 = after.1.iter().map(|(pid, cpu)| cpu - before.1.get(pid).copied().unwrap_or(0.0)).sum();
        let sends = phase.ok.max(1) as f64;
        phase.cpu = ((after.0 - before.0) / sends, pg / sends, (after.2 - before.2) / sends);
        self.deliveries.started.lock().unwrap().retain(|n, _| !(first..last).contains(n));
        phase
    }
}

/// `count` sequential requests; latencies in ms.
pub async fn sequential(count: usize, request: impl Fn() -> reqwest::RequestBuilder) -> Vec<f64> {
    let mut latencies = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let response = request().send().await.expect("request");
        assert!(response.status().is_success(), "{}", response.status());
        response.bytes().await.expect("body");
        latencies.push(ms(started.elapsed()));
    }
    latencies
}
