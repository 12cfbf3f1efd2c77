use crate::carts::{self, State};
use crate::error::ApiError;
use crate::fallback::{RouteTable, json_errors, no_route};
use crate::metrics::HttpMetrics;
use crate::metrics::MetricsToken;
use crate::operator::{CodecState, OperatorState};
use crate::orders::OrdersState;
use crate::rate_limit::ShopperLimit;
use crate::webhook::WebhookSecret;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::ErrorHandlers;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use app::cart_client::Carts;
use app::config::{RateLimitConfig, StorefrontConfig};
use app::orders::Orders;
use std::net::TcpListener;
use std::time::Duration;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder, TracingLogger};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

pub struct Settings {
    pub checkout_wait: Duration,
    /// Largest JSON body accepted; cart requests are a few dozen bytes.
    pub body_limit: usize,
    pub workers: usize,
    /// Origins other sites may call the API from (the storefront itself is same-origin).
    pub cors_origins: Vec<String>,
    /// The order API and the bearer token it requires; `None` leaves `/orders` unmounted.
    pub orders: Option<(Orders, String)>,
    /// Stripe's webhook signing secret (`whsec_…`); `None` leaves `/stripe/webhook` unmounted.
    pub webhook_secret: Option<String>,
    /// Stripe.js and the publishable key the storefront page pays with.
    pub storefront: StorefrontConfig,
    /// The per-client limit on shopper routes; `None` (the default here; the binary turns it
    /// on) leaves them unlimited.
    pub rate_limit: Option<RateLimitConfig>,
    /// Operator routes and their token; `None` leaves them unmounted.
    pub operator: Option<OperatorState>,
    /// The payload codec and its own token; `None` leaves `/codec` unmounted.
    pub codec: Option<CodecState>,
    /// `/metrics`' own token; `None` leaves it unmounted.
    pub metrics_token: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            checkout_wait: Duration::from_secs(20),
            body_limit: 16 * 1024,
            workers: 2,
            cors_origins: vec![],
            orders: None,
            webhook_secret: None,
            storefront: StorefrontConfig::default(),
            rate_limit: None,
            operator: None,
            codec: None,
            metrics_token: None,
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Shop carts and orders",
        description = "Every cart and every order is a Temporal workflow. The cart routes are compatible with the original Temporal e-commerce shop's API."
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub fn build(carts: Carts, settings: Settings, listener: TcpListener) -> std::io::Result<Self> {
        let port = listener.local_addr()?.port();
        let catalogue = carts.catalogue().cloned().ok_or_else(|| {
            std::io::Error::other("the gateway lists products from a catalogue: build Carts with_catalogue")
        })?;
        let state = web::Data::new(State {
            catalogue,
            carts,
            checkout_wait: settings.checkout_wait,
            body_limit: settings.body_limit,
        });
        // Twice the JSON limit reaches the handler, which then answers 413 in our JSON shape.
        let payload = web::PayloadConfig::new(settings.body_limit * 2);
        let origins = settings.cors_origins;
        let orders = settings.orders.map(|(orders, token)| {
            web::Data::new(OrdersState {
                orders,
                token,
                body_limit: settings.body_limit,
            })
        });
        let webhook = settings.webhook_secret.map(|s| web::Data::new(WebhookSecret(s)));
        let policy = web::Data::new(crate::storefront::PagePolicy(
            crate::storefront::content_security_policy(&settings.storefront),
        ));
        let storefront = web::Data::new(settings.storefront);
        // One limiter for all of the server's worker threads.
        let limit = settings
            .rate_limit
            .as_ref()
            .map(|c| web::Data::new(ShopperLimit::new(c)));
        let http_metrics = web::Data::new(HttpMetrics::default());
        let operator = settings.operator.map(web::Data::new);
        let codec = settings.codec.map(web::Data::new);
        let metrics_token = settings.metrics_token.map(|t| web::Data::new(MetricsToken(t)));
        let server = HttpServer::new(move || {
            let cors = crate::cors::cors(&origins);
            let app = App::new()
                .into_utoipa_app()
                .openapi(ApiDoc::openapi())
                .app_data(state.clone())
                .app_data(payload.clone())
                .app_data(web::QueryConfig::default().error_handler(|err, _| {
                    ApiError::BadRequest {
                        field: None,
                        message: format!("query string: {err}"),
                    }
                    .into()
                }))
                .app_data(storefront.clone())
                .configure(carts::configure)
                .configure(crate::storefront::configure);
            let app = match &orders {
                Some(orders) => app.app_data(orders.clone()).configure(crate::orders::configure),
                None => app,
            };
            let app = match &operator {
                Some(operator) => app
                    .app_data(operator.clone())
                    .configure(crate::operator::configure_documented),
                None => app,
            };
            let (app, openapi) = match &webhook {
                Some(secret) => app.app_data(secret.clone()).configure(crate::webhook::configure),
                None => app,
            }
            .split_for_parts();
            let mut table = RouteTable::from_openapi(&openapi);
            crate::storefront::routes(&mut table);
            table.add("/docs", vec!["GET"]);
            if metrics_token.is_some() {
                table.add("/metrics", vec!["GET"]);
            }
            if codec.is_some() {
                crate::operator::codec::routes(&mut table);
            }
            let table = std::sync::Arc::new(table);
            let app = match &limit {
                Some(limit) => app.app_data(limit.clone()),
                None => app,
            };
            let app = match &metrics_token {
                Some(token) => app.app_data(token.clone()).configure(crate::metrics::configure),
                None => app,
            };
            let app = match &codec {
                Some(codec) => app.app_data(codec.clone()).configure(crate::operator::codec::configure),
                None => app,
            };
            app.app_data(http_metrics.clone())
                .wrap(actix_web::middleware::from_fn(crate::rate_limit::limit))
                .wrap(actix_web::middleware::from_fn(crate::metrics::record))
                .wrap(cors)
                // Outside CORS, so its refusals get the JSON shape too.
                .wrap(ErrorHandlers::new().default_handler(json_errors))
                .wrap(TracingLogger::<CartSpan>::new())
                // Outermost: every line logged for the request, the access line last, carries
                // its trace and request ids.
                .wrap(actix_web::middleware::from_fn(crate::request_trace::trace))
                .default_service(web::to(move |req: HttpRequest| no_route(req, table.clone())))
                .app_data(policy.clone())
                .configure(crate::storefront::configure_page)
                .route(
                    "/docs",
                    web::get().to(|| async {
                        HttpResponse::PermanentRedirect()
                            .insert_header(("Location", "/docs/"))
                            .finish()
                    }),
                )
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi))
        })
        .workers(settings.workers)
        .shutdown_timeout(10)
        // The binary stops it through `run_until`, on the one shutdown signal every binary uses.
        .disable_signals()
        .listen(listener)?
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process ends (tests).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }

    /// Serves until `shutdown` resolves, then stops taking connections and drains the requests
    /// in flight (up to 10 s) before returning.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let handle = self.server.handle();
        let mut server = std::pin::pin!(self.server);
        // The server future must keep being polled while it stops: it runs the stop.
        let stop = async {
            shutdown.await;
            tracing::info!("shutting down: draining requests in flight");
            handle.stop(true).await;
        };
        tokio::select! {
            served = &mut server => served,
            () = stop => server.await,
        }
    }
}

/// Request spans carry the cart's tag (a hash of the id in the path: the id itself works as a
/// bearer credential) and the route, never bodies or the caller's address, so emails stay out
/// of the logs. The request and trace ids come from [`crate::request_trace`], not from this span.
struct CartSpan;

impl RootSpanBuilder for CartSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        let cart = request
            .path()
            .strip_prefix("/cart/")
            .and_then(|rest| rest.split('/').next())
            .filter(|id| !id.is_empty())
            .map(|id| app::domain::CartTag::of(id).to_string());
        let route = request.match_pattern().unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %crate::metrics::method_label(request.method()),
            http.route = %route,
            http.status_code = tracing::field::Empty,
            cart = cart.as_deref().unwrap_or(""),
        )
    }

    fn on_request_end<B: MessageBody>(span: tracing::Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
