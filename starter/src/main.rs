//! Plays one scripted shopper against a running shop's gateway, over the same HTTP API a
//! storefront uses; the exit code is the verdict.
//!
//! `starter` — new cart, add two products, remove one, set an email, read the cart, check out,
//! wait for the outcome, print the receipt.
//! `starter abandon` — fill a cart, set an email, go quiet, and watch the reminder go out and
//! the cart expire, as soon as the shop's `SHOP_REMINDER_AFTER` and `SHOP_CART_TTL` say.
use anyhow::{Context, bail, ensure};
use app::cart::{CartStatus, CartView};
use app::catalogue::Catalogue;
use starter::shop_client::{Answer, ShopClient};
use std::time::{Duration, Instant};

/// One scripted shopper against a running shop; the exit code is the verdict.
#[derive(clap::Parser)]
#[command(name = "starter")]
struct Args {
    #[arg(value_enum, default_value_t = Journey::Checkout)]
    journey: Journey,
    /// The shop's gateway (what `scripts/dev.sh` serves).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    gateway: String,
    /// How long to wait for what the shop does on its own (a payment, a reminder, expiry).
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    wait: Duration,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Journey {
    /// Fill a cart and check out.
    Checkout,
    /// Fill a cart, give an email and walk away (the reminder and expiry follow).
    Abandon,
}

#[tokio::main]
async fn main() {
    // Every build of the workspace compiles rustls with both backends (workspace-hack): pick one.
    app::install_crypto_provider();
    let args = <Args as clap::Parser>::parse();
    let shop = ShopClient::new(&args.gateway);
    let result = match args.journey {
        Journey::Checkout => checkout_journey(&shop, args.wait).await,
        Journey::Abandon => abandon_journey(&shop, args.wait).await,
    };
    if let Err(e) = result {
        eprintln!("FAILED: {e:#}");
        std::process::exit(1);
    }
}

fn step(what: &str, cart: &CartView) {
    println!(
        "✓ {what:<28} {} item(s), total {}, status {}",
        cart.item_count,
        cart.total,
        cart.status.as_str()
    );
}

/// The cart a successful answer carries, printed as `what`'s outcome.
fn cart_of(answer: reqwest::Result<Answer>, what: &str) -> anyhow::Result<CartView> {
    let answer = answer.with_context(|| format!("{what}: the gateway did not answer"))?;
    ensure!(answer.status.is_success(), "{what}: {}", answer.error());
    let cart = answer
        .cart()
        .with_context(|| format!("{what}: no cart in {}", answer.body))?;
    step(what, &cart);
    Ok(cart)
}

/// The shop's products, with their prices in cents.
async fn catalogue(shop: &ShopClient) -> anyhow::Result<Catalogue> {
    let answer = shop.products().await.context("the gateway did not answer")?;
    ensure!(answer.status.is_success(), "products: {}", answer.error());
    answer.parse().context("GET /products")
}

/// A new cart's id.
async fn new_cart(shop: &ShopClient) -> anyhow::Result<String> {
    let made = shop.new_cart().await.context("the gateway did not answer")?;
    ensure!(made.status.is_success(), "new cart: {}", made.error());
    let id = made.cart_id().context("no cart id in the answer")?.to_owned();
    println!("cart {id}");
    Ok(id)
}

/// Reads the cart until `done` holds or `wait` runs out.
async fn until(
    shop: &ShopClient,
    id: &str,
    wait: Duration,
    what: &str,
    done: impl Fn(&CartView) -> bool,
) -> anyhow::Result<CartView> {
    let deadline = Instant::now() + wait;
    loop {
        let answer = shop.get(id).await.context("the gateway did not answer")?;
        ensure!(answer.status.is_success(), "read cart: {}", answer.error());
        let cart = answer.cart().context("no cart in the answer")?;
        if done(&cart) {
            step(what, &cart);
            return Ok(cart);
        }
        if Instant::now() >= deadline {
            bail!("not {what} within {}", humantime::format_duration(wait));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn checkout_journey(shop: &ShopClient, wait: Duration) -> anyhow::Result<()> {
    let catalogue = catalogue(shop).await?;
    let [first, second, ..] = &catalogue.products[..] else {
        bail!("the catalogue needs two products");
    };
    let id = new_cart(shop).await?;
    cart_of(shop.add(&id, first.id, 1).await, &format!("add 1 x {}", first.name))?;
    let cart = cart_of(shop.add(&id, second.id, 2).await, &format!("add 2 x {}", second.name))?;
    ensure!(cart.lines.len() == 2, "expected two lines, got {:?}", cart.lines);
    cart_of(shop.remove(&id, first.id, 1).await, &format!("remove {}", first.name))?;
    cart_of(shop.set_email(&id, "shopper@example.com").await, "set email")?;

    let cart = cart_of(shop.get(&id).await, "read cart")?;
    let expected = second.price_cents.times(2);
    ensure!(
        cart.lines.len() == 1 && cart.lines[0].product_id == second.id,
        "wrong lines: {:?}",
        cart.lines
    );
    ensure!(
        cart.total_cents == expected,
        "total {} but expected {}",
        cart.total_cents.0,
        expected.0
    );

    // The server confirms with a test card; a payment that outlasts the gateway's wait is 202
    // and is polled for.
    let paid = shop
        .checkout(&id, &serde_json::json!({ "PaymentMethod": "pm_card_visa" }))
        .await?;
    ensure!(
        paid.status.is_success(),
        "check out: {} (cart {})",
        paid.error(),
        paid.body["cart"]["status"]
    );
    let cart = match paid.cart() {
        // 200: the receipt. 202: the payment goes on; poll until it has an outcome.
        Some(cart) if cart.status != CartStatus::CheckingOut => {
            step("checked out", &cart);
            cart
        }
        _ => until(shop, &id, wait, "checked out", |c| c.status != CartStatus::CheckingOut).await?,
    };
    ensure!(
        cart.status == CartStatus::CheckedOut,
        "checkout ended {}: {:?}",
        cart.status.as_str(),
        cart.payment_error
    );

    println!("\nReceipt");
    for l in &cart.lines {
        println!("  {} x {:<20} {:>12}", l.quantity, l.name, l.line_total);
    }
    println!("  {:<24} {:>12}", "Total", cart.total);
    println!("  payment {}", cart.payment_ref.as_deref().unwrap_or("?"));
    if let Some(order) = cart.order_id {
        println!("  order {order}");
    }
    Ok(())
}

async fn abandon_journey(shop: &ShopClient, wait: Duration) -> anyhow::Result<()> {
    let catalogue = catalogue(shop).await?;
    let product = catalogue.products.first().context("the catalogue is empty")?;
    let id = new_cart(shop).await?;
    cart_of(shop.add(&id, product.id, 1).await, "add an item")?;
    cart_of(
        shop.set_email(&id, "forgetful@example.com").await,
        "set email, then go quiet",
    )?;
    println!("  (the reminder follows the shop's SHOP_REMINDER_AFTER, expiry its SHOP_CART_TTL)");

    until(shop, &id, wait, "reminder sent", |c| c.reminders_sent >= 1).await?;
    let cart = until(shop, &id, wait, "expired", |c| c.status != CartStatus::Active).await?;
    ensure!(
        cart.status == CartStatus::Expired,
        "cart ended as {}",
        cart.status.as_str()
    );
    println!("The reminder is in the worker's outbox (SHOP_OUTBOX_DIR, data/outbox by default).");
    Ok(())
}
