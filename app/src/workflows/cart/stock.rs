//! The cart's stock and prices, held in the shop's database through local activities (one
//! marker event each): an add holds its units before the line changes, a remove gives them
//! back, the lines' reservations lapse on the inactivity timer `reservation_ttl` after the
//! last change, and a checkout prices every line again and holds every unit before anything
//! is charged. Carts of 0.1.0 (a catalogue in their input) do none of this.
use super::CartWorkflow;
use crate::activities::{ReserveStock, StockActivities};
use crate::cart::{CartError, CartView, ItemChange};
use crate::domain::CheckoutRequest;
use crate::orders::{Held, Hold};
use crate::workflows::failure::{Rejection, reject};
use crate::workflows::options::{release_options, stock_options};
use std::time::{Duration, SystemTime};
use temporalio_sdk::{WorkflowContext, WorkflowResult};

impl CartWorkflow {
    /// Whether this cart prices and holds its lines through the shop's database (every cart
    /// since 0.1.0).
    pub(super) fn holds_stock(&self) -> bool {
        self.input.catalogue.is_none()
    }

    /// One stock change at a time: each reads the line it sets and then sets it, so two adds
    /// of one product never start from the same quantity, and a lapse never releases what an
    /// add has just taken.
    pub(super) async fn in_stock_turn<T>(
        ctx: &mut WorkflowContext<Self>,
        work: impl AsyncFnOnce(&mut WorkflowContext<Self>) -> T,
    ) -> WorkflowResult<T> {
        ctx.wait_condition(|s| !s.stock_busy).await?;
        ctx.state_mut(|s| s.stock_busy = true);
        let out = work(ctx).await;
        ctx.state_mut(|s| s.stock_busy = false);
        Ok(out)
    }

    /// Sets the cart's reservations to `holds`, until `hold_for` from now.
    async fn reserve(
        ctx: &mut WorkflowContext<Self>,
        holds: Vec<Hold>,
        hold_for: Duration,
    ) -> Result<Vec<Held>, CartError> {
        let now = ctx.workflow_time().unwrap_or(SystemTime::UNIX_EPOCH);
        let req = ctx.state(|s| ReserveStock {
            cart_id: s.input.id.clone(),
            holds,
            until: now + hold_for,
        });
        match ctx
            .execute_local_activity(StockActivities::reserve_stock, req, stock_options())
            .await
        {
            Ok(held) => Ok(held),
            Err(e) => {
                if !ctx.is_replaying() {
                    tracing::warn!(error = %e, "stock could not be reserved");
                }
                Err(CartError::CatalogueUnavailable)
            }
        }
    }

    /// An add: the line's new quantity is held first, then the line is set to it, at the
    /// product's price now. A product not on sale, or short of stock, changes nothing.
    pub(super) async fn add_held(ctx: &mut WorkflowContext<Self>, change: &ItemChange) -> Result<CartView, Rejection> {
        Self::in_stock_turn(ctx, async |ctx| {
            let quantity = ctx
                .state(|s| s.cart.check_quantity(s.input.limits, change))
                .map_err(reject)?;
            let ttl = ctx.state(|s| s.input.timing.reservation_ttl);
            let hold = Hold {
                product_id: change.product_id,
                quantity: quantity.get(),
            };
            let held = Self::reserve(ctx, vec![hold], ttl).await.map_err(reject)?;
            let Some(held) = held.into_iter().next() else {
                return Err(reject(CartError::CatalogueUnavailable));
            };
            let product = match held.product {
                Some(p) if p.active => p,
                // Whatever the cart held of it was released with the refusal.
                _ => {
                    ctx.state_mut(|s| s.unreserve_line(change.product_id));
                    return Err(reject(CartError::UnknownProduct(change.product_id)));
                }
            };
            if !held.held {
                return Err(reject(CartError::OutOfStock {
                    product_id: change.product_id,
                    left: held.left.unwrap_or(0),
                }));
            }
            let now = ctx.workflow_time();
            Ok(ctx.state_mut(|s| {
                s.cart.put_line(&product, quantity, true);
                s.reservation_lapsed = false;
                s.mark_changed(now);
                s.view()
            }))
        })
        .await
        .map_err(|e| -> Rejection { e.to_string().into() })?
    }

    /// A remove: the line changes, then its reservation follows. The reservation failing is
    /// logged and left: holding too much is harmless until the lapse or the checkout sets it.
    pub(super) async fn remove_held(
        ctx: &mut WorkflowContext<Self>,
        change: &ItemChange,
    ) -> Result<CartView, Rejection> {
        Self::in_stock_turn(ctx, async |ctx| {
            let now = ctx.workflow_time();
            ctx.state_mut(|s| s.cart.remove(change).map(|()| s.mark_changed(now)))
                .map_err(reject)?;
            let left = ctx.state(|s| s.cart.line(change.product_id).map_or(0, |l| l.quantity.get()));
            let ttl = ctx.state(|s| s.input.timing.reservation_ttl);
            let hold = Hold {
                product_id: change.product_id,
                quantity: left,
            };
            if let Ok(held) = Self::reserve(ctx, vec![hold], ttl).await {
                let kept = held.first().is_some_and(|h| h.held);
                ctx.state_mut(|s| {
                    if !kept {
                        s.unreserve_line(change.product_id);
                    }
                });
            }
            Ok(ctx.state(|s| s.view()))
        })
        .await
        .map_err(|e| -> Rejection { e.to_string().into() })?
    }

    /// Before a checkout charges anything: every line priced again and every unit held,
    /// until the payment could be done. A lower price is taken; a higher one, or a product no
    /// longer sold, stops the checkout unless the shopper accepted exactly the new total; a
    /// line short of stock stops it too.
    pub(super) async fn price_and_hold(
        ctx: &mut WorkflowContext<Self>,
        req: &CheckoutRequest,
    ) -> Result<(), CartError> {
        ctx.state(|s| s.cart.check_checkout(req.email_change().as_ref()))?;
        let holds = ctx.state(|s| s.cart.holds());
        let hold_for = ctx.state(|s| s.input.timing.payment_wait + s.input.timing.reservation_ttl);
        let found = Self::reserve(ctx, holds, hold_for).await?;
        let on_sale = |id| {
            found
                .iter()
                .find(|h| h.product_id == id)
                .and_then(|h| h.product.as_ref())
                .filter(|p| p.active)
        };
        let check = ctx.state(|s| s.cart.price_check(|id| on_sale(id).map(|p| p.price_cents)));
        let accepted = req.accept_total_cents;
        if (check.needs_consent && accepted != Some(check.total.0)) || accepted.is_some_and(|n| n != check.total.0) {
            return Err(CartError::PriceChanged {
                changes: check.changes,
                total_cents: check.total,
            });
        }
        let short = found
            .iter()
            .find(|h| on_sale(h.product_id).is_some() && !h.held)
            .map(|h| CartError::OutOfStock {
                product_id: h.product_id,
                left: h.left.unwrap_or(0),
            });
        ctx.state_mut(|s| {
            s.cart.apply_prices(&check.changes);
            for h in &found {
                if !h.held {
                    s.unreserve_line(h.product_id);
                }
            }
            s.reservation_lapsed = false;
        });
        if let Some(short) = short {
            return Err(short);
        }
        ctx.state(|s| s.cart.check_checkout(req.email_change().as_ref()))
    }

    /// Gives back every unit the cart holds (a lapse, an expiry, a checkout given up).
    pub(super) async fn release_all(ctx: &mut WorkflowContext<Self>) {
        let cart_id = ctx.state(|s| s.input.id.clone());
        if let Err(e) = ctx
            .execute_local_activity(StockActivities::release_stock, cart_id, release_options())
            .await
            && !ctx.is_replaying()
        {
            tracing::warn!(error = %e, "stock not released; the reservations lapse in the database");
        }
        ctx.state_mut(|s| {
            s.cart.unreserve();
            s.reservation_lapsed = true;
        });
    }

    /// The lines' reservations lapse: released unless a change came since `changes` (it
    /// held them anew, and the timer counts from it).
    pub(super) async fn lapse(ctx: &mut WorkflowContext<Self>, changes: u64) -> WorkflowResult<()> {
        Self::in_stock_turn(ctx, async |ctx| {
            if ctx.state(|s| s.changes != changes) {
                return;
            }
            if ctx.state(|s| s.cart.lines.iter().any(|l| l.reserved)) {
                Self::release_all(ctx).await;
            } else {
                // Nothing held (every line removed, or released already): no call to make.
                ctx.state_mut(|s| s.reservation_lapsed = true);
            }
        })
        .await
    }
}
