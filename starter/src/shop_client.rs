//! A typed client for the gateway's cart API, as a storefront uses it: one place that knows the
//! routes and their JSON, instead of each script building requests by hand.
use app::cart::CartView;
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

#[derive(Clone)]
pub struct ShopClient {
    base: String,
    http: Client,
}

/// What the gateway answered: its status and JSON body (`null` when it sent none).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    /// The id of the cart `POST /cart` made.
    pub fn cart_id(&self) -> Option<&str> {
        self.body["workflowID"].as_str()
    }

    /// The cart the answer carries: the body itself (`GET`, a change), a checkout's `receipt`,
    /// or a decline's `cart`.
    pub fn cart(&self) -> Option<CartView> {
        ["receipt", "cart"]
            .iter()
            .find_map(|k| self.body.get(k).and_then(|v| CartView::deserialize(v).ok()))
            .or_else(|| self.parse().ok())
    }

    /// The body as a `T` (`app::catalogue::Catalogue` for `GET /products`, say).
    pub fn parse<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        T::deserialize(&self.body)
    }

    /// The error's `code` and `message` for an answer that is not a success.
    pub fn error(&self) -> String {
        let e = &self.body["error"];
        match (e["code"].as_str(), e["message"].as_str()) {
            (Some(code), Some(message)) => format!("{} {code}: {message}", self.status),
            _ => format!("{} {}", self.status, self.body),
        }
    }
}

impl ShopClient {
    /// A client of the gateway at `base` (`http://127.0.0.1:8080`).
    pub fn new(base: impl Into<String>) -> Self {
        Self::with_http(base, Client::new())
    }

    pub fn with_http(base: impl Into<String>, http: Client) -> Self {
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
            http,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// A request to `path` for what the typed calls do not cover (headers, raw bodies).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// `GET /products`: the catalogue, its prices in cents.
    pub async fn products(&self) -> reqwest::Result<Answer> {
        answer(self.request(Method::GET, "/products")).await
    }

    pub async fn new_cart(&self) -> reqwest::Result<Answer> {
        answer(self.request(Method::POST, "/cart")).await
    }

    pub async fn get(&self, id: &str) -> reqwest::Result<Answer> {
        answer(self.request(Method::GET, &format!("/cart/{id}"))).await
    }

    pub async fn add(&self, id: &str, product: u32, quantity: u32) -> reqwest::Result<Answer> {
        self.change(id, "add", json!({"ProductId": product, "Quantity": quantity}))
            .await
    }

    pub async fn remove(&self, id: &str, product: u32, quantity: u32) -> reqwest::Result<Answer> {
        self.change(id, "remove", json!({"ProductId": product, "Quantity": quantity}))
            .await
    }

    pub async fn set_email(&self, id: &str, email: &str) -> reqwest::Result<Answer> {
        self.change(id, "email", json!({ "Email": email })).await
    }

    /// `PUT /cart/{id}/checkout` with `body` (`{"Email", "PaymentMethod", "confirm"}`, each
    /// optional).
    pub async fn checkout(&self, id: &str, body: &Value) -> reqwest::Result<Answer> {
        self.change(id, "checkout", body.clone()).await
    }

    async fn change(&self, id: &str, what: &str, body: Value) -> reqwest::Result<Answer> {
        answer(self.request(Method::PUT, &format!("/cart/{id}/{what}")).json(&body)).await
    }
}

/// Sends `req` and reads the answer's JSON.
pub async fn answer(req: RequestBuilder) -> reqwest::Result<Answer> {
    let response = req.send().await?;
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    Ok(Answer { status, body })
}
