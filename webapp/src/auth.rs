//! Bearer tokens of the routes that need one. Taking [`Authorized<S>`] as a handler's first
//! argument is the check (401 without a token, 403 with another), made before the query or
//! the body are read. The comparison takes the same time however much of the token matches.
use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::{Ready, ready};
use std::marker::PhantomData;
use subtle::ConstantTimeEq;

/// The app state that holds a group of routes' token: the orders API's, the operators', the metrics', the codec's.
pub trait Guarded: 'static {
    fn token(&self) -> &str;
}

/// A request that carried the token of `S`.
pub struct Authorized<S>(PhantomData<S>);

impl<S: Guarded> FromRequest for Authorized<S> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // A route mounted without its state has no token to match: refuse.
        let checked = match req.app_data::<web::Data<S>>() {
            Some(state) => check(req, state.token()),
            None => Err(ApiError::Forbidden),
        };
        ready(checked.map(|()| Authorized(PhantomData)))
    }
}

fn check(req: &HttpRequest, token: &str) -> Result<(), ApiError> {
    let given = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized)?;
    if bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}
