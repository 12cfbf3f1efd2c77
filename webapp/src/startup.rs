use crate::routes::{self, State};
use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use app::carts::Carts;
use std::net::TcpListener;
use std::time::Duration;

pub struct Settings {
    pub checkout_wait: Duration,
    /// Largest JSON body accepted; cart requests are a few dozen bytes.
    pub body_limit: usize,
    pub workers: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            checkout_wait: Duration::from_secs(20),
            body_limit: 16 * 1024,
            workers: 2,
        }
    }
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub fn build(carts: Carts, settings: Settings, listener: TcpListener) -> std::io::Result<Self> {
        let port = listener.local_addr()?.port();
        let state = web::Data::new(State {
            carts,
            checkout_wait: settings.checkout_wait,
            body_limit: settings.body_limit,
        });
        // Twice the JSON limit reaches the handler, which then answers 413 in our JSON shape.
        let payload = web::PayloadConfig::new(settings.body_limit * 2);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(payload.clone())
                .configure(routes::configure)
        })
        .workers(settings.workers)
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the server is stopped; actix drains in-flight requests on SIGINT/SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
