//! The load generator: keep-alive HTTP/1 clients on hyper's bare connection
//! (no pool, no retries), lean enough that a small machine measures the
//! server rather than the client.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::{
    Method, Request,
    body::Bytes,
    client::conn::http1::{self, SendRequest},
    header::{CONTENT_TYPE, HOST, HeaderName, HeaderValue},
};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A request body, always in memory.
pub type Body = Full<Bytes>;

/// The request that client `client` sends as its `n`th.
pub type MakeRequest = Arc<dyn Fn(usize, u64) -> Request<Body> + Send + Sync>;

/// Latencies are recorded in microseconds, up to a minute.
const LONGEST_MICROS: u64 = 60_000_000;

/// How one measurement runs.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub addr: SocketAddr,
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// The status every answer must have; any other counts as an error.
    pub expect: u16,
}

/// Answers counted in the measured window: one client's, or all merged.
#[derive(Debug, Clone)]
pub struct Tally {
    pub ok: u64,
    pub errors: u64,
    /// Latency of the expected answers, in microseconds.
    pub latency: Histogram<u64>,
    /// What the first error was, for the report.
    pub first_error: Option<String>,
}

impl Default for Tally {
    fn default() -> Self {
        Self {
            ok: 0,
            errors: 0,
            latency: Histogram::new_with_bounds(1, LONGEST_MICROS, 3)
                .expect("valid histogram bounds"),
            first_error: None,
        }
    }
}

impl Tally {
    pub fn record(&mut self, latency: Duration) {
        self.ok += 1;
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency.saturating_record(micros.max(1));
    }

    pub fn error(&mut self, what: impl FnOnce() -> String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(what());
        }
    }

    pub fn merge(&mut self, other: &Tally) {
        self.ok += other.ok;
        self.errors += other.errors;
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
        if self.first_error.is_none() {
            self.first_error.clone_from(&other.first_error);
        }
    }

    /// The figures of a window of `duration`.
    pub fn summary(&self, duration: Duration) -> Measured {
        let ms = |q: f64| self.latency.value_at_quantile(q) as f64 / 1000.0;
        let (p50_ms, p99_ms) = if self.ok == 0 {
            (0.0, 0.0)
        } else {
            (ms(0.5), ms(0.99))
        };
        Measured {
            ok: self.ok,
            errors: self.errors,
            rps: self.ok as f64 / duration.as_secs_f64().max(f64::EPSILON),
            p50_ms,
            p99_ms,
            first_error: self.first_error.clone(),
        }
    }
}

/// One measurement's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub ok: u64,
    pub errors: u64,
    /// Expected answers per second.
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub first_error: Option<String>,
}

/// `load.connections` clients, each on a connection of its own, sending
/// back to back through the warm-up and then the measured window. An answer
/// counts if it arrives within the window.
pub async fn run(load: Load, make: MakeRequest) -> anyhow::Result<Measured> {
    let started = Instant::now();
    let counted_from = started + load.warmup;
    let until = counted_from + load.duration;
    let clients: Vec<_> = (0..load.connections)
        .map(|client| {
            let make = make.clone();
            tokio::spawn(async move { client_loop(load, client, &make, counted_from, until).await })
        })
        .collect();
    let mut total = Tally::default();
    for client in clients {
        total.merge(&client.await.context("a load client panicked")?);
    }
    Ok(total.summary(load.duration))
}

async fn client_loop(
    load: Load,
    client: usize,
    make: &MakeRequest,
    counted_from: Instant,
    until: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut n = 0;
    'connect: while Instant::now() < until {
        let mut connection = match Connection::open(load.addr).await {
            Ok(connection) => connection,
            Err(err) => {
                if Instant::now() >= counted_from {
                    tally.error(|| format!("cannot connect: {err:#}"));
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        loop {
            let request = make(client, n);
            n += 1;
            let sent = Instant::now();
            if sent >= until {
                break 'connect;
            }
            let answer = connection.send(request).await;
            let done = Instant::now();
            let counted = done >= counted_from && done <= until;
            match answer {
                Ok((status, _)) if status == load.expect => {
                    if counted {
                        tally.record(done - sent);
                    }
                }
                Ok((status, body)) => {
                    if counted {
                        tally.error(|| format!("status {status}: {}", brief(&body)));
                    }
                }
                Err(err) => {
                    if counted {
                        tally.error(|| format!("no answer: {err:#}"));
                    }
                    continue 'connect;
                }
            }
        }
    }
    tally
}

/// One keep-alive HTTP/1 connection.
pub struct Connection {
    sender: SendRequest<Body>,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self { sender })
    }

    /// Sends one request; its status and whole body.
    pub async fn send(&mut self, request: Request<Body>) -> anyhow::Result<(u16, Bytes)> {
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

/// The headers every request of one target carries: `Host` and `X-User-Id`.
#[derive(Debug, Clone)]
pub struct Headers {
    pub host: HeaderValue,
    pub user: HeaderValue,
}

impl Headers {
    pub fn new(addr: SocketAddr, user: uuid::Uuid) -> anyhow::Result<Self> {
        Ok(Self {
            host: HeaderValue::from_str(&addr.to_string())?,
            user: HeaderValue::from_str(&user.to_string())?,
        })
    }

    pub fn get(&self, path: &str) -> Request<Body> {
        self.request(Method::GET, path, Body::default())
    }

    pub fn post_json(&self, path: &str, json: String) -> Request<Body> {
        let mut request = self.request(Method::POST, path, Body::new(Bytes::from(json)));
        request
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        request
    }

    fn request(&self, method: Method, path: &str, body: Body) -> Request<Body> {
        let mut request = Request::new(body);
        *request.method_mut() = method;
        // A path that does not parse becomes `/`, and its 404 counts as an error.
        *request.uri_mut() = path.parse().unwrap_or_default();
        let headers = request.headers_mut();
        headers.insert(HOST, self.host.clone());
        headers.insert(HeaderName::from_static("x-user-id"), self.user.clone());
        request
    }
}

/// The start of a body, for messages.
pub fn brief(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.chars().count() > 200 {
        format!("{}…", text.chars().take(200).collect::<String>())
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(latencies_ms: impl IntoIterator<Item = u64>) -> Tally {
        let mut tally = Tally::default();
        for ms in latencies_ms {
            tally.record(Duration::from_millis(ms));
        }
        tally
    }

    #[test]
    fn percentiles_of_a_window() {
        let measured = tally(1..=100).summary(Duration::from_secs(2));
        assert_eq!(measured.ok, 100);
        assert_eq!(measured.rps, 50.0);
        // Three significant figures: within 0.1 %.
        assert!((measured.p50_ms - 50.0).abs() < 0.1, "{}", measured.p50_ms);
        assert!((measured.p99_ms - 99.0).abs() < 0.1, "{}", measured.p99_ms);
    }

    #[test]
    fn merging_adds_counts_and_latencies() {
        let mut fast = tally([1; 98]);
        let mut slow = tally([100, 100]);
        slow.error(|| "status 404: first".to_owned());
        slow.error(|| "status 404: second".to_owned());
        fast.merge(&slow);
        let measured = fast.summary(Duration::from_secs(1));
        assert_eq!((measured.ok, measured.errors), (100, 2));
        assert_eq!(measured.first_error.as_deref(), Some("status 404: first"));
        assert!((measured.p50_ms - 1.0).abs() < 0.01);
        // The 99th of 100 samples is one of the two slow ones.
        assert!((measured.p99_ms - 100.0).abs() < 0.1, "{}", measured.p99_ms);
    }

    #[test]
    fn an_empty_window_has_no_latency() {
        let measured = Tally::default().summary(Duration::from_secs(5));
        assert_eq!((measured.rps, measured.p99_ms), (0.0, 0.0));
    }

    #[test]
    fn requests_carry_host_and_caller() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let user = uuid::Uuid::nil();
        let headers = Headers::new(addr, user).unwrap();
        let request = headers.post_json("/api/v1/tasks?x=1", r#"{"title":"t"}"#.to_owned());
        assert_eq!(request.uri().path_and_query().unwrap(), "/api/v1/tasks?x=1");
        assert_eq!(request.headers()[HOST], "127.0.0.1:8080");
        assert_eq!(request.headers()["x-user-id"], user.to_string().as_str());
        assert_eq!(request.headers()[CONTENT_TYPE], "application/json");
    }
}
