//! The HTTP gateway (actix-web) will live here; see the storefront gateway issue. Until then
//! carts are driven with the `starter` binary or the typed client in `app::carts`.
fn main() {
    eprintln!("the webapp is not built yet: use `cargo run -p starter` to drive carts");
    std::process::exit(2);
}
