//! The remote codec protocol of Temporal's Web UI and CLI: the body is a `Payloads` message in
//! protobuf JSON (`{"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}`) and
//! the answer has the same shape. Point the UI at `https://<gateway>/codec`; the UI sends the
//! namespace in `X-Namespace`, which one shop with one key set does not need.
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::fallback::RouteTable;
use actix_web::{HttpResponse, web};
use app::codec::PayloadKeys;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use temporalio_common::protos::temporal::api::common::v1::Payload;

/// The shop's payload keys and the token that may use them.
pub struct CodecState {
    pub token: String,
    pub keys: PayloadKeys,
}

impl crate::auth::Guarded for CodecState {
    fn token(&self) -> &str {
        &self.token
    }
}

#[derive(Serialize, Deserialize)]
pub struct PayloadsJson {
    #[serde(default)]
    pub payloads: Vec<PayloadJson>,
}

#[derive(Serialize, Deserialize)]
pub struct PayloadJson {
    #[serde(default)]
    pub metadata: HashMap<String, String>,
    #[serde(default)]
    pub data: String,
}

fn bad(index: usize, what: &str) -> ApiError {
    ApiError::BadRequest {
        field: Some(format!("payloads[{index}].{what}")),
        message: "not base64".into(),
    }
}

impl PayloadJson {
    fn to_payload(&self, index: usize) -> Result<Payload, ApiError> {
        let metadata = self
            .metadata
            .iter()
            .map(|(k, v)| Ok((k.clone(), STANDARD.decode(v).map_err(|_| bad(index, "metadata"))?)))
            .collect::<Result<_, ApiError>>()?;
        Ok(Payload {
            metadata,
            data: STANDARD.decode(&self.data).map_err(|_| bad(index, "data"))?,
            ..Default::default()
        })
    }

    fn from_payload(p: &Payload) -> Self {
        Self {
            metadata: p
                .metadata
                .iter()
                .map(|(k, v)| (k.clone(), STANDARD.encode(v)))
                .collect(),
            data: STANDARD.encode(&p.data),
        }
    }
}

async fn transcode(
    _auth: Authorized<CodecState>,
    state: web::Data<CodecState>,
    body: web::Json<PayloadsJson>,
    decode: bool,
) -> Result<HttpResponse, ApiError> {
    let keys = &state.keys;
    let mut out = Vec::with_capacity(body.payloads.len());
    for (index, json) in body.payloads.iter().enumerate() {
        let payload = json.to_payload(index)?;
        let payload = if decode {
            keys.decrypt(payload).map_err(|e| ApiError::Unprocessable {
                field: format!("payloads[{index}]"),
                message: e.to_string(),
            })?
        } else {
            keys.encrypt(&payload)
        };
        out.push(PayloadJson::from_payload(&payload));
    }
    Ok(HttpResponse::Ok().json(PayloadsJson { payloads: out }))
}

/// The protocol's routes, outside the OpenAPI document (their shape is Temporal's).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/codec/decode",
        web::post().to(|auth, state, body| transcode(auth, state, body, true)),
    )
    .route(
        "/codec/encode",
        web::post().to(|auth, state, body| transcode(auth, state, body, false)),
    );
}

/// What `configure` mounts, for the 404/405 answers of unknown routes.
pub fn routes(table: &mut RouteTable) {
    table.add("/codec/decode", vec!["POST"]);
    table.add("/codec/encode", vec!["POST"]);
}
