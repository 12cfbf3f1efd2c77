//! The two messages the shop sends: plain text and an HTML twin, both listing the cart, from
//! the templates in `app/templates/email/` (askama, checked at compile time). The HTML ones
//! escape what they insert, so a product name or a link cannot add markup.
use super::Message;
use super::reminder::ShopReminder;
use crate::cart::CartView;
use askama::Template;

#[derive(Template)]
#[template(path = "email/reminder.txt")]
struct ReminderText<'a> {
    cart: &'a ShopReminder,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "email/reminder.html")]
struct ReminderHtml<'a> {
    cart: &'a ShopReminder,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "email/confirmation.txt")]
struct ConfirmationText<'a> {
    cart: &'a CartView,
    payment_ref: &'a str,
    storefront: &'a str,
}

#[derive(Template)]
#[template(path = "email/confirmation.html")]
struct ConfirmationHtml<'a> {
    cart: &'a CartView,
    payment_ref: &'a str,
}

/// The templates only print strings and numbers, which cannot fail to render.
fn render(template: &impl Template) -> String {
    template.render().expect("an email template renders any cart")
}

fn link(storefront: &str, cart: &CartView) -> String {
    format!("{}/?cart={}", storefront.trim_end_matches('/'), cart.id)
}

/// A reminder of `cart`, shown as [`super::reminder_of`] made it of the shop now.
pub fn reminder(to: &str, cart: &CartView, shown: &ShopReminder, storefront: &str) -> Message {
    let url = link(storefront, cart);
    let subject = if shown.price_dropped {
        "A price in your cart dropped"
    } else {
        "You left something in your cart"
    };
    Message {
        to: to.to_owned(),
        subject: subject.into(),
        text: render(&ReminderText { cart: shown, url: &url }),
        html: render(&ReminderHtml { cart: shown, url: &url }),
        tag: "abandoned-cart",
    }
}

pub fn confirmation(to: &str, cart: &CartView, payment_ref: &str, storefront: &str) -> Message {
    Message {
        to: to.to_owned(),
        subject: format!("Your order is confirmed ({})", cart.total),
        text: render(&ConfirmationText {
            cart,
            payment_ref,
            storefront,
        }),
        html: render(&ConfirmationHtml { cart, payment_ref }),
        tag: "order-confirmation",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::{Cart, ItemChange, Limits};
    use crate::catalogue::Catalogue;
    use crate::domain::CartId;

    fn cart_of(name: &str) -> CartView {
        let catalogue = Catalogue::embedded();
        let id = catalogue.products[0].id;
        let mut cart = Cart::default();
        let change = ItemChange {
            product_id: id,
            quantity: 2,
        };
        cart.add(&catalogue, Limits::default(), &change).unwrap();
        cart.lines[0].name = name.into();
        cart.view(&CartId::random())
    }

    #[test]
    fn text_lists_the_lines_and_html_escapes_what_it_inserts() {
        let cart = cart_of("<b>Phone</b> & co");
        let shown = crate::email::reminder_of(&cart, &Catalogue::embedded().products).unwrap();
        let mail = reminder("a@example.com", &cart, &shown, "http://shop.test/");
        assert!(mail.text.contains("  2 x <b>Phone</b> & co @ "), "{}", mail.text);
        assert!(mail.text.contains(&format!("http://shop.test/?cart={}", cart.id)));
        assert!(
            mail.html.contains("&#60;b&#62;Phone&#60;/b&#62; &#38; co"),
            "{}",
            mail.html
        );
        assert!(!mail.html.contains("<b>Phone"));
        let mail = confirmation("a@example.com", &cart, "pi_\"><x>", "http://shop.test");
        assert!(mail.text.contains("Payment reference: pi_\"><x>"));
        assert!(mail.html.contains("pi_&#34;&#62;&#60;x&#62;"), "{}", mail.html);
        assert!(mail.subject.contains(&cart.total));
    }
}
