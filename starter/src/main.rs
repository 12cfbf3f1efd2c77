//! Plays one scripted shopper against a running stack; the exit code is the verdict.
//!
//! `starter` — new cart, add two products, remove one, set an email, read the cart, check out,
//! wait for the outcome, print the receipt.
//! `starter abandon` — fill a cart, set an email, go quiet, and watch the reminder go out and
//! the cart expire (with timings of a few seconds).
use anyhow::{Context, ensure};
use app::cart::{CartStatus, CartView, EmailChange, ItemChange};
use app::cart_client::{CartChange, Carts};
use app::config::{Env, ShopConfig, TemporalConfig};
use app::domain::CartId;
use app::domain::CheckoutRequest;
use app::workflows::cart::CartTiming;
use std::time::{Duration, Instant};

/// One scripted shopper against a running shop; the exit code is the verdict.
#[derive(clap::Parser)]
#[command(name = "starter")]
struct Args {
    #[arg(value_enum, default_value_t = Journey::Checkout)]
    journey: Journey,
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
    app::install_crypto_provider();
    let args = <Args as clap::Parser>::parse();
    let result = async {
        let env = Env::from_process();
        let shop = ShopConfig::from_env(&env)?;
        let client = app::temporal::connect_from_env(&TemporalConfig::from_env(&env)?).await?;
        let carts = Carts::new(client, shop);
        match args.journey {
            Journey::Checkout => checkout_journey(&carts).await,
            Journey::Abandon => abandon_journey(&carts).await,
        }
    }
    .await;
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

/// Applies one change and prints the cart it leaves.
async fn apply(carts: &Carts, id: &CartId, change: CartChange, what: &str) -> anyhow::Result<CartView> {
    let cart = carts.change(id, change, None).await.with_context(|| what.to_owned())?;
    step(what, &cart);
    Ok(cart)
}

async fn checkout_journey(carts: &Carts) -> anyhow::Result<()> {
    let cart = carts.mint();
    let id = cart.id.clone();
    println!("cart {id}");
    let (first, second) = {
        let p = &carts.shop().catalogue.products;
        ensure!(p.len() >= 2, "the catalogue needs two products");
        (p[0].clone(), p[1].clone())
    };
    apply(
        carts,
        &id,
        CartChange::Add(ItemChange {
            product_id: first.id,
            quantity: 1,
        }),
        &format!("add 1 x {}", first.name),
    )
    .await?;
    let cart = apply(
        carts,
        &id,
        CartChange::Add(ItemChange {
            product_id: second.id,
            quantity: 2,
        }),
        &format!("add 2 x {}", second.name),
    )
    .await?;
    ensure!(cart.lines.len() == 2, "expected two lines, got {:?}", cart.lines);
    apply(
        carts,
        &id,
        CartChange::Remove(ItemChange {
            product_id: first.id,
            quantity: 1,
        }),
        &format!("remove {}", first.name),
    )
    .await?;
    apply(
        carts,
        &id,
        CartChange::Email(EmailChange {
            email: "shopper@example.com".into(),
        }),
        "set email",
    )
    .await?;

    let cart = carts.get(&id).await?;
    step("read cart", &cart);
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

    let cart = carts
        .checkout(&id, CheckoutRequest::default(), None, Duration::from_secs(60))
        .await?
        .context("the payment did not finish within 60 s")?;
    step("check out", &cart);
    ensure!(
        cart.status == CartStatus::CheckedOut,
        "checkout ended {}: {:?}",
        cart.status.as_str(),
        cart.payment_error
    );
    let outcome = carts.outcome(&id).await?;
    ensure!(
        outcome.cart.status == CartStatus::CheckedOut,
        "workflow ended as {}",
        outcome.cart.status.as_str()
    );

    println!("\nReceipt");
    for l in &outcome.cart.lines {
        println!("  {} x {:<20} {:>12}", l.quantity, l.name, l.line_total);
    }
    println!("  {:<24} {:>12}", "Total", outcome.cart.total);
    println!("  payment {}", outcome.cart.payment_ref.as_deref().unwrap_or("?"));
    Ok(())
}

async fn abandon_journey(carts: &Carts) -> anyhow::Result<()> {
    let mut input = carts.input(CartId::random());
    input.timing = CartTiming {
        reminder_after: vec![Duration::from_secs(3)],
        expire_after: Duration::from_secs(8),
        ..input.timing
    };
    let id = input.id.clone();
    carts.start(input).await?;
    println!("cart {id}: reminder after 3 s of quiet, expiry after 8 s");
    let product = carts.shop().catalogue.products[0].id;
    apply(
        carts,
        &id,
        CartChange::Add(ItemChange {
            product_id: product,
            quantity: 1,
        }),
        "add an item",
    )
    .await?;
    apply(
        carts,
        &id,
        CartChange::Email(EmailChange {
            email: "forgetful@example.com".into(),
        }),
        "set email, then go quiet",
    )
    .await?;

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let cart = carts.get(&id).await?;
        if cart.reminders_sent >= 1 {
            step("reminder sent", &cart);
            break;
        }
        ensure!(Instant::now() < deadline, "no reminder within 30 s");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let outcome = carts.outcome(&id).await?;
    ensure!(
        outcome.cart.status == CartStatus::Expired,
        "cart ended as {}",
        outcome.cart.status.as_str()
    );
    ensure!(
        outcome.cart.reminders_sent == 1,
        "{} reminders were sent",
        outcome.cart.reminders_sent
    );
    step("cart expired", &outcome.cart);
    println!("The reminder is in the worker's outbox (SHOP_OUTBOX_DIR, data/outbox by default).");
    Ok(())
}
