//! What answers when no handler does, so that every error leaves in the one JSON shape: a path
//! no route has is 404 `not_found`, a known path with the wrong method is 405 with `Allow`, and
//! actix-web's own error responses (an oversized body, say) are rewritten into the shape.
use crate::api::{ErrorBody, ErrorDetail};
use crate::error::{ApiError, code_for_status};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use std::sync::Arc;

/// Every route's path template and the methods it takes, read off the OpenAPI document so it
/// cannot drift from the handlers.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<&'static str>)>,
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

impl RouteTable {
    pub fn from_openapi(openapi: &utoipa::openapi::OpenApi) -> Self {
        let mut table = Self::default();
        for (path, item) in &openapi.paths.paths {
            let item = serde_json::to_value(item).unwrap_or_default();
            let methods = METHODS
                .into_iter()
                .filter(|m| item.get(m.to_lowercase()).is_some())
                .collect();
            table.add(path, methods);
        }
        table
    }

    pub fn add(&mut self, template: &str, methods: Vec<&'static str>) {
        self.routes
            .push((segments(template).map(str::to_owned).collect(), methods));
    }

    /// The methods `path` takes, if some route has that path.
    pub fn allowed(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = segments(path).collect();
        let mut allowed: Vec<&str> = vec![];
        for (template, methods) in &self.routes {
            let matches = template.len() == parts.len()
                && template
                    .iter()
                    .zip(&parts)
                    .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')));
            if matches {
                for m in methods {
                    if !allowed.contains(m) {
                        allowed.push(m);
                    }
                }
            }
        }
        (!allowed.is_empty()).then(|| allowed.join(", "))
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// The app's default service: no handler took the request.
pub async fn no_route(req: HttpRequest, table: Arc<RouteTable>) -> HttpResponse {
    match table.allowed(req.path()) {
        Some(allow) => ApiError::MethodNotAllowed(allow),
        None => ApiError::NoRoute,
    }
    .error_response()
}

/// For `ErrorHandlers`: an error response that is not JSON yet (actix-web's own, plain text)
/// gets the JSON shape, keeping its status and headers.
pub fn json_errors<B: MessageBody + 'static>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let message = match res.response().error() {
        Some(e) => e.to_string(),
        None => status.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    let body = ErrorBody {
        error: ErrorDetail {
            code: code_for_status(status).as_str().into(),
            message,
            field: None,
            detail: Default::default(),
        },
    };
    let (req, mut res) = res.into_parts();
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let res = res
        .set_body(serde_json::to_string(&body).unwrap_or_default())
        .map_into_boxed_body();
    let res: ServiceResponse<EitherBody<B>> = ServiceResponse::new(req, res).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_path_names_its_methods_and_an_unknown_one_none() {
        let mut table = RouteTable::default();
        table.add("/cart/{id}/add", vec!["PUT"]);
        table.add("/cart/{id}", vec!["GET"]);
        table.add("/cart", vec!["POST"]);
        assert_eq!(table.allowed("/cart/cart-1/add").as_deref(), Some("PUT"));
        assert_eq!(table.allowed("/cart/x").as_deref(), Some("GET"));
        assert_eq!(table.allowed("/cart/").as_deref(), Some("POST"));
        assert_eq!(table.allowed("/cart/x/nope"), None);
        assert_eq!(table.allowed("/nope"), None);
    }
}
