//! Which browser origins may call the API. Production names them (`SHOP_CORS_ORIGINS`, an
//! allow-list); the dev stack says `loopback`, so a storefront served on any local port (the
//! original tutorial's Vue frontend, a dev server of your own) works without configuration.
use actix_cors::Cors;

/// The `SHOP_CORS_ORIGINS` entry that allows every origin on this machine.
pub const LOOPBACK: &str = "loopback";

pub fn cors(origins: &[String]) -> Cors {
    let cors = origins
        .iter()
        .filter(|o| *o != LOOPBACK)
        .fold(Cors::default(), |c, o| c.allowed_origin(o));
    let cors = if origins.iter().any(|o| o == LOOPBACK) {
        cors.allowed_origin_fn(|origin, _| origin.to_str().is_ok_and(is_loopback_origin))
    } else {
        cors
    };
    cors.allow_any_method()
        .allow_any_header()
        .expose_headers([crate::request_trace::REQUEST_ID_HEADER])
        .max_age(600)
}

/// `http(s)://localhost`, `127.x.x.x` or `[::1]`, on any port, and nothing else (not
/// `localhost.example.com`, not a userinfo trick).
pub fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let host = match rest.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, port)) if port.is_empty() || valid_port(port) => return host == "::1",
            _ => return false,
        },
        None => match rest.split_once(':') {
            Some((host, port)) if valid_port(&format!(":{port}")) => host,
            Some(_) => return false,
            None => rest,
        },
    };
    host == "localhost" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

fn valid_port(port: &str) -> bool {
    port.strip_prefix(':').is_some_and(|p| p.parse::<u16>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::is_loopback_origin;

    #[test]
    fn only_this_machine_s_origins_are_loopback() {
        for yes in [
            "http://localhost:3000",
            "http://127.0.0.1:8000",
            "https://localhost",
            "http://[::1]:5173",
            "http://127.0.0.2:1",
        ] {
            assert!(is_loopback_origin(yes), "{yes}");
        }
        for no in [
            "http://localhost.example.com",
            "http://example.com:3000",
            "http://localhost:3000@evil.com",
            "http://localhost:http",
            "file://localhost",
            "http://10.0.0.1:3000",
            "null",
        ] {
            assert!(!is_loopback_origin(no), "{no}");
        }
    }
}
