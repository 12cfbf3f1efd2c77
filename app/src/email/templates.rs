//! The two messages the shop sends. Plain text and a minimal HTML twin, both listing the cart.
use super::Message;
use crate::cart::CartView;

fn link(storefront: &str, cart: &CartView) -> String {
    format!("{}/?cart={}", storefront.trim_end_matches('/'), cart.id)
}

fn lines_text(cart: &CartView) -> String {
    cart.lines
        .iter()
        .map(|l| format!("  {} x {} @ {} = {}\n", l.quantity, l.name, l.unit_price, l.line_total))
        .collect()
}

fn lines_html(cart: &CartView) -> String {
    cart.lines
        .iter()
        .map(|l| {
            format!(
                "<li>{} &times; {} &mdash; {}</li>",
                l.quantity,
                escape(&l.name),
                l.line_total
            )
        })
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn reminder(to: &str, cart: &CartView, storefront: &str) -> Message {
    let url = link(storefront, cart);
    Message {
        to: to.to_owned(),
        subject: "You left something in your cart".into(),
        text: format!(
            "Your cart is still waiting for you:\n\n{}\nTotal: {}\n\nPick up where you left off: {url}\n",
            lines_text(cart),
            cart.total
        ),
        html: format!(
            "<p>Your cart is still waiting for you:</p><ul>{}</ul><p>Total: <b>{}</b></p><p><a href=\"{}\">Return to your cart</a></p>",
            lines_html(cart),
            cart.total,
            escape(&url)
        ),
        tag: "abandoned-cart",
    }
}

pub fn confirmation(to: &str, cart: &CartView, payment_ref: &str, storefront: &str) -> Message {
    Message {
        to: to.to_owned(),
        subject: format!("Your order is confirmed ({})", cart.total),
        text: format!(
            "Thank you for your order.\n\n{}\nTotal charged: {}\nPayment reference: {payment_ref}\n\n{}\n",
            lines_text(cart),
            cart.total,
            storefront
        ),
        html: format!(
            "<p>Thank you for your order.</p><ul>{}</ul><p>Total charged: <b>{}</b><br>Payment reference: {}</p>",
            lines_html(cart),
            cart.total,
            escape(payment_ref)
        ),
        tag: "order-confirmation",
    }
}
