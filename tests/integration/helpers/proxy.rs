//! A small HTTP proxy in front of the Stripe emulator that injects the failures a real network
//! has: the request reaches Stripe and the charge happens, but the answer is lost; or the call
//! hangs long enough for a worker to be killed in the middle of it.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Default)]
pub struct Faults {
    /// Lose the answer of this many matching requests after forwarding them.
    pub lose_responses: usize,
    /// Wait this long before forwarding each matching request.
    pub delay: Duration,
    /// Requests whose path starts with this are affected.
    pub path_prefix: String,
}

pub struct FaultyProxy {
    pub url: String,
    hits: Arc<AtomicUsize>,
    /// While set, every connection is dropped at once, as if the upstream were down.
    down: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultyProxy {
    pub async fn start(upstream: &str, faults: Faults) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let (upstream, counter) = (upstream.to_owned(), hits.clone());
        let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let is_down = down.clone();
        let task = tokio::spawn(async move {
            let http = reqwest::Client::new();
            while let Ok((stream, _)) = listener.accept().await {
                if is_down.load(Ordering::SeqCst) {
                    drop(stream);
                    continue;
                }
                let (http, upstream, faults, counter) =
                    (http.clone(), upstream.clone(), faults.clone(), counter.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, &http, &upstream, &faults, &counter).await;
                });
            }
        });
        Self { url, hits, down, task }
    }

    /// Takes the upstream "down" (every connection dropped) or brings it back.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Matching requests seen so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    http: &reqwest::Client,
    upstream: &str,
    faults: &Faults,
    counter: &AtomicUsize,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let header_end = loop {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (method, path) = (
        request_line.next().unwrap_or("GET").to_owned(),
        request_line.next().unwrap_or("/").to_owned(),
    );
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap_or(0));
    while buf.len() < header_end + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[header_end..].to_vec();

    let matching = method == "POST" && path.starts_with(&faults.path_prefix);
    let seen = if matching {
        counter.fetch_add(1, Ordering::SeqCst) + 1
    } else {
        0
    };
    if matching && !faults.delay.is_zero() {
        tokio::time::sleep(faults.delay).await;
    }
    let mut request = http
        .request(method.parse().unwrap(), format!("{upstream}{path}"))
        .body(body);
    for (k, v) in &headers {
        if !["host", "content-length", "connection"].contains(&k.as_str()) {
            request = request.header(k, v);
        }
    }
    let response = request.send().await.map_err(std::io::Error::other)?;
    let status = response.status();
    let text = response.bytes().await.map_err(std::io::Error::other)?;
    if matching && seen <= faults.lose_responses {
        // The charge went through upstream; the caller only sees a gateway failure.
        let msg = b"{\"error\":{\"type\":\"api_error\",\"message\":\"proxy lost the response\"}}";
        let head = format!(
            "HTTP/1.1 502 Bad Gateway\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            msg.len()
        );
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(msg).await?;
        return stream.shutdown().await;
    }
    let head = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        text.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&text).await?;
    stream.shutdown().await
}
