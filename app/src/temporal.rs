//! Connecting to Temporal with its own environment variables (`TEMPORAL_ADDRESS`,
//! `TEMPORAL_NAMESPACE`, `TEMPORAL_TLS_*`, `TEMPORAL_API_KEY`, or a profile file), read by the
//! SDK's envconfig so they mean exactly what they mean for the `temporal` CLI.
use anyhow::Context;
use std::time::{Duration, Instant};
use temporalio_client::envconfig::LoadClientConfigProfileOptions;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions};

pub async fn connect_from_env() -> anyhow::Result<Client> {
    let (connection, options) = ClientOptions::load_from_config(LoadClientConfigProfileOptions::default())
        .map_err(|e| anyhow::anyhow!("TEMPORAL_ADDRESS / TEMPORAL_* settings are invalid: {e:?}"))?;
    let target = connection.target.to_string();
    let connection = connect_retrying(connection)
        .await
        .with_context(|| format!("cannot reach Temporal at {target} (set TEMPORAL_ADDRESS)"))?;
    Ok(Client::new(connection, options)?)
}

/// Connects to a server at `address` (`host:port`) in the `default` namespace; for tests and tools.
pub async fn connect(address: &str) -> anyhow::Result<Client> {
    let url = url::Url::parse(&format!("http://{address}"))?;
    let connection = connect_retrying(ConnectionOptions::new(url).build())
        .await
        .with_context(|| format!("cannot reach Temporal at {address}"))?;
    Ok(Client::new(connection, ClientOptions::new("default").build())?)
}

/// A server that was just started opens its port a moment before it answers, so processes
/// started alongside it retry for a while instead of failing at once.
async fn connect_retrying(options: ConnectionOptions) -> anyhow::Result<Connection> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match Connection::connect(options.clone()).await {
            Ok(connection) => return Ok(connection),
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(e) => return Err(e.into()),
        }
    }
}
