//! Connecting to Temporal with its own environment variables (`TEMPORAL_ADDRESS`,
//! `TEMPORAL_NAMESPACE`, `TEMPORAL_TLS_*`, `TEMPORAL_API_KEY`, or a profile file), read by the
//! SDK's envconfig so they mean exactly what they mean for the `temporal` CLI.
use anyhow::Context;
use temporalio_client::envconfig::LoadClientConfigProfileOptions;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions};

pub async fn connect_from_env() -> anyhow::Result<Client> {
    let (connection, options) = ClientOptions::load_from_config(LoadClientConfigProfileOptions::default())
        .map_err(|e| anyhow::anyhow!("TEMPORAL_ADDRESS / TEMPORAL_* settings are invalid: {e:?}"))?;
    let target = connection.target.to_string();
    let connection = Connection::connect(connection)
        .await
        .with_context(|| format!("cannot reach Temporal at {target} (set TEMPORAL_ADDRESS)"))?;
    Ok(Client::new(connection, options)?)
}

/// Connects to a server at `address` (`host:port`) in the `default` namespace; for tests and tools.
pub async fn connect(address: &str) -> anyhow::Result<Client> {
    let url = url::Url::parse(&format!("http://{address}"))?;
    let connection = Connection::connect(ConnectionOptions::new(url).build())
        .await
        .with_context(|| format!("cannot reach Temporal at {address}"))?;
    Ok(Client::new(connection, ClientOptions::new("default").build())?)
}
