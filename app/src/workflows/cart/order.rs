//! A paid checkout becomes an order, or, when the order cannot be recorded, its payment is
//! refunded and any order row made for it voided (saga compensation: never a charge without an
//! order).
use super::CartWorkflow;
use crate::activities::{PlaceOrder, REFUND_REFUSED, RefundRequest, ShopActivities, VoidOrder};
use crate::workflows::failure::{application_failure, root_message};
use crate::workflows::options::{order_options, refund_options, retry_forever};
use temporalio_sdk::{WorkflowContext, WorkflowResult};

impl CartWorkflow {
    /// Records the paid checkout as an order. If that cannot be done, refunds the payment
    /// (saga compensation: never a charge without an order) and reports `false`.
    pub(super) async fn place_order(ctx: &mut WorkflowContext<Self>, payment_ref: &str) -> WorkflowResult<bool> {
        let place = ctx.state(|s| PlaceOrder {
            cart: s.view(),
            payment_ref: payment_ref.to_owned(),
            currency: s.input.currency.clone(),
        });
        let opts = ctx.state(|s| order_options(&s.input.timing));
        match ctx.execute_activity(ShopActivities::place_order, place, opts).await {
            Ok(order_id) => {
                ctx.state_mut(|s| s.cart.order_id = Some(order_id));
                Ok(true)
            }
            Err(e) => {
                let reason = root_message(&e);
                if !ctx.is_replaying() {
                    tracing::error!(error = %reason, "order not recorded; refunding");
                }
                let refund = ctx.state(|s| RefundRequest {
                    payment_ref: payment_ref.to_owned(),
                    idempotency_key: format!("{}-checkout-{}-refund", s.input.id, s.cart.checkout_attempts),
                });
                let opts =
                    ctx.state(|s| refund_options(s.input.timing.activity_timeout, s.input.timing.refund_attempts));
                let refund_ref = match ctx.execute_activity(ShopActivities::refund, refund, opts).await {
                    Ok(refund_ref) => refund_ref,
                    // Stripe refused the refund, or was down past every attempt: the cart says
                    // so and an operator (and the reconciler's next pass) acts, rather than the
                    // workflow failing or retrying without end.
                    Err(e) => {
                        let outcome = match application_failure(&e, REFUND_REFUSED) {
                            Some(_) => "refund_refused",
                            None => "refund_failed",
                        };
                        if !ctx.is_replaying() {
                            tracing::error!(error = %root_message(&e), "refund not made; an operator must act");
                        }
                        Self::count(ctx, outcome);
                        ctx.state_mut(|s| {
                            s.cart.declined(
                                "your order could not be recorded, and the refund needs the shop's attention".into(),
                            )
                        });
                        return Ok(false);
                    }
                };
                // An order row made before the failure (its workflow would not start, say)
                // must not stand for a refunded payment.
                let void = VoidOrder {
                    payment_ref: payment_ref.to_owned(),
                    refund_ref,
                };
                let opts = ctx.state(|s| retry_forever(s.input.timing.activity_timeout));
                ctx.execute_activity(ShopActivities::void_order, void, opts).await?;
                if ctx.state(|s| s.holds_stock()) {
                    Self::release_all(ctx).await;
                }
                Self::count(ctx, "refunded");
                // The database's words stay in the log; the shopper gets a short sentence.
                ctx.state_mut(|s| {
                    s.cart
                        .declined("your order could not be recorded, so the payment was refunded".into())
                });
                Ok(false)
            }
        }
    }
}
