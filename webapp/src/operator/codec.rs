//! The remote codec protocol of Temporal's Web UI and CLI: the body is a `Payloads` message in
//! protobuf JSON (`{"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}`) and
//! the answer has the same shape. Point the UI at `https://<gateway>/codec`; the UI sends the
//! namespace in `X-Namespace`, which one shop with one key set does not need.
use super::OperatorState;
use crate::auth::Authorized;
use crate::error::ApiError;
use actix_web::{HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use temporalio_common::protos::temporal::api::common::v1::Payload;

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
    _auth: Authorized<OperatorState>,
    state: web::Data<OperatorState>,
    body: web::Json<PayloadsJson>,
    decode: bool,
) -> Result<HttpResponse, ApiError> {
    let keys = state.payload_keys.as_ref().expect("mounted only with keys");
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
