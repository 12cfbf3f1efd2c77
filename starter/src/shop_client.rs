//! A typed client for the gateway's cart API, as a storefront uses it: one place that knows the
//! routes and their JSON, instead of each script building requests by hand.
use reqwest::{Client, Method, RequestBuilder, StatusCode};
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
