//! Connecting to Temporal with its own environment variables (`TEMPORAL_ADDRESS`,
//! `TEMPORAL_NAMESPACE`, `TEMPORAL_TLS_*`, `TEMPORAL_API_KEY`, or a profile file), read by the
//! SDK's envconfig so they mean exactly what they mean for the `temporal` CLI, plus the shop's
//! own [`TemporalConfig`] (compression, payload encryption), and the tracing plugin
//! ([`crate::traces`]).
use crate::codec::EncryptionCodec;
use crate::config::{Compression, TemporalConfig};
use anyhow::Context;
use std::time::{Duration, Instant};
use temporalio_client::envconfig::LoadClientConfigProfileOptions;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, GrpcCompression};
use temporalio_common::data_converters::{DataConverter, DefaultFailureConverter, PayloadConverter};

pub async fn connect_from_env(config: &TemporalConfig) -> anyhow::Result<Client> {
    let (mut connection, mut options) = ClientOptions::load_from_config(LoadClientConfigProfileOptions::default())
        .map_err(|e| anyhow::anyhow!("TEMPORAL_ADDRESS / TEMPORAL_* settings are invalid: {e:?}"))?;
    let loopback = connection.target.host().is_some_and(|host| match host {
        url::Host::Domain(name) => name == "localhost",
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    });
    if matches!(
        (config.compression, loopback),
        (Compression::Off, _) | (Compression::Auto, true)
    ) {
        connection.grpc_compression = GrpcCompression::None;
    }
    if let Some(keys) = &config.payload_keys {
        options.data_converter = encrypting_converter(keys.clone());
    }
    // The plugin list is only settable on the builder, so the loaded options are rebuilt.
    let options = ClientOptions::new(options.namespace)
        .data_converter(options.data_converter)
        .client_interceptors(options.client_interceptors)
        .plugin(crate::traces::plugin())
        .build();
    let target = connection.target.to_string();
    let connection = connect_retrying(connection)
        .await
        .with_context(|| format!("cannot reach Temporal at {target} (set TEMPORAL_ADDRESS)"))?;
    Ok(Client::new(connection, options)?)
}

/// The SDK's JSON payloads, sealed by the codec. Failure messages and stack traces move into an
/// encoded attribute too: a refusal's message can quote what the shopper sent.
fn encrypting_converter(keys: crate::codec::PayloadKeys) -> DataConverter {
    DataConverter::new(
        PayloadConverter::default(),
        DefaultFailureConverter::new(true),
        EncryptionCodec(keys),
    )
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

/// Makes sure the namespace knows the cart's search attributes before any cart upserts them:
/// an upsert of an unknown attribute fails the workflow task, and the cart would be stuck
/// until someone registers it. Adds what is missing where the server allows it (a dev server,
/// a self-hosted cluster); otherwise says which command an operator must run.
pub async fn ensure_search_attributes(client: &Client) -> anyhow::Result<()> {
    use crate::workflows::search::ATTRIBUTES;
    use temporalio_common::protos::temporal::api::operatorservice::v1::{
        AddSearchAttributesRequest, ListSearchAttributesRequest,
    };
    let namespace = client.options().namespace.clone();
    let mut operator = client.connection().operator_service();
    let known = operator
        .list_search_attributes(tonic::Request::new(ListSearchAttributesRequest {
            namespace: namespace.clone(),
        }))
        .await
        .context("listing the namespace's search attributes")?
        .into_inner()
        .custom_attributes;
    let missing: std::collections::HashMap<String, i32> = ATTRIBUTES
        .iter()
        .filter(|(name, _)| !known.contains_key(*name))
        .map(|(name, t)| ((*name).to_owned(), *t as i32))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&String> = missing.keys().collect();
    tracing::info!(?names, %namespace, "registering the cart's search attributes");
    operator
        .add_search_attributes(tonic::Request::new(AddSearchAttributesRequest {
            search_attributes: missing.clone(),
            namespace: namespace.clone(),
        }))
        .await
        .with_context(|| {
            let commands: Vec<String> = ATTRIBUTES
                .iter()
                .filter(|(name, _)| missing.contains_key(*name))
                .map(|(name, t)| {
                    format!(
                        "temporal operator search-attribute create --namespace {namespace} --name {name} --type {}",
                        t.as_str_name().trim_start_matches("INDEXED_VALUE_TYPE_").to_lowercase()
                    )
                })
                .collect();
            format!(
                "the namespace lacks the cart's search attributes; register them: {}",
                commands.join("; ")
            )
        })?;
    Ok(())
}
