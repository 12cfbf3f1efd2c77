// The storefront page, part 2: what the shopper's actions do, and the wiring. Loaded after cart.js.
'use strict';
// ---- Actions --------------------------------------------------------------------------------
function addToCart(card, btn) {
  const pid = Number(card.dataset.productId), input = $('input.qty', card), qty = Number(input.value);
  clearMessages();
  if (!Number.isInteger(qty) || qty < 1 || qty > 99) { $('.msg', card).textContent = 'Enter a quantity from 1 to 99.'; input.focus(); return; }
  return run(btn, async () => {
    const r = await cartCall('add', { ProductId: pid, Quantity: qty }, true);
    if (!r.ok) return fail(r, { card, msg: $('.msg', card) });
    setCart(r.data);
    $('#cart-status').textContent = `Added ${qty} × ${state.products.find((p) => p.id === pid)?.name ?? 'item'} to your cart.`;
  });
}
function removeLine(pid, btn) {
  const line = state.cart?.lines.find((l) => l.product_id === pid);
  if (!line) return;
  clearMessages();
  return run(btn, async () => {
    const r = await cartCall('remove', { ProductId: pid, Quantity: line.quantity }); // the whole line
    if (r.gone) return;
    if (r.ok) setCart(r.data); else fail(r, { msg: $('#cart-msg') });
  });
}
function saveEmail(btn) {
  const email = $('#email').value.trim();
  clearMessages();
  return run(btn, async () => {
    const r = await cartCall('email', { Email: email }, true);
    if (!r.ok) return fail(r, { msg: $('#email-msg') });
    setCart(r.data);
    $('#cart-status').textContent = 'Email saved.';
  });
}
/**
 * Checks out: the server makes the PaymentIntent and answers 202 with its client secret, Stripe.js confirms it
 * with the card (running 3-D Secure if the bank asks), and the outcome is the server's, read by polling the cart.
 */
function checkout(btn, acceptTotal) {
  clearMessages();
  hidePrices();
  if (!pay.card) { $('#checkout-msg').textContent = 'Card payments are not available right now.'; return; }
  if (!pay.complete) { $('#card-msg').textContent = 'Enter your card number, expiry date and security code.'; pay.card.focus(); return; }
  const body = { confirm: 'client' };
  const email = $('#email').value.trim();
  if (email) body.Email = email;
  if (acceptTotal != null) body.accept_total_cents = acceptTotal;
  state.decline = null;
  return run(btn, async () => {
    const r = await cartCall('checkout', body);
    if (r.gone) {
      // A retried checkout whose first attempt actually succeeded: show that receipt, not an error.
      if (r.gone.status === 'checked_out') return showReceipt(r.gone);
      $('#cart-msg').textContent = 'That cart was closed, so a new one has been started.';
      return;
    }
    if (r.status === 200) return showReceipt(r.data.receipt);
    if (r.status === 402) {
      if (r.data?.cart) setCart(r.data.cart);
      state.decline = msgOf(r);
      return;
    }
    if (r.status === 202 && r.data?.client_secret) return payInBrowser(r.data.client_secret);
    if (r.status === 202 || (r.status === 409 && state.cart?.status === 'checking_out')) return awaitOutcome(state.cartId);
    if (r.data?.error?.code === 'price_changed') return showPrices(r.data.error);
    fail(r, { msg: $('#checkout-msg') });
  });
}
/**
 * Prices changed since the lines were added: nothing was charged. Show each change and both totals; the shopper
 * pays the new total only by saying so (the server charges it only if it is still the total).
 */
function showPrices(err) {
  const nameOf = (id) => state.cart?.lines.find((l) => l.product_id === id)?.name ?? `Product ${id}`;
  $('#price-list').replaceChildren(...(err.changes ?? []).map((c) => h('li', {},
    h('strong', {}, nameOf(c.product_id)), ' ',
    c.new_price_cents == null ? 'is no longer sold' : `${money(c.old_price_cents)} → ${money(c.new_price_cents)}`)));
  $('#price-old-total').textContent = state.cart?.total ?? '';
  $('#price-new-total').textContent = money(err.total_cents);
  $('#accept-prices').dataset.total = err.total_cents;
  $('#prices').hidden = false;
  $('#prices').focus();
}
function hidePrices() { $('#prices').hidden = true; }
async function payInBrowser(secret) {
  if (state.cart) state.cart = { ...state.cart, status: 'checking_out' }; // locked on the server now
  renderCart();
  $('#cart-status').textContent = 'Confirming your card…';
  const { error } = await pay.stripe.confirmCardPayment(secret, { payment_method: { card: pay.card } });
  if (error && !error.payment_intent) {
    // Nothing reached the bank (an incomplete card, Stripe unreachable): the payment waits for another try.
    $('#cart-status').textContent = '';
    (error.type === 'validation_error' ? $('#card-msg') : $('#checkout-msg')).textContent = error.message;
    const g = await send('GET', cartPath());
    if (g.ok) setCart(g.data);
    return;
  }
  // Declined or not authenticated: say so now; the cart's own outcome follows by webhook.
  if (error) { state.decline = error.message; renderCart(); }
  return awaitOutcome(state.cartId);
}
/** A slow payment: poll the cart every second (max 60 s) until it leaves "checking_out". */
async function awaitOutcome(id) {
  $('#cart-status').textContent = 'Processing your payment…';
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    await sleep(1000);
    let g;
    try { g = await send('GET', cartPath(id)); } catch { continue; } // transient outage: keep polling
    if (g.status === 404) { forgetCart(); return showBanner('Your cart could not be found any more; a new one will be started.'); }
    if (!g.ok) continue;
    if (g.data.status === 'checked_out') return showReceipt(g.data);
    setCart(g.data);
    if (g.data.status === 'checking_out') continue;
    $('#cart-status').textContent = '';
    if (g.data.payment_error) state.decline = g.data.payment_error;
    return;
  }
  showBanner('The payment is taking longer than expected. Your cart is saved; reload the page in a moment to see the outcome.');
}

// ---- Wiring ---------------------------------------------------------------------------------
$('#products').addEventListener('click', (e) => {
  const btn = e.target.closest('button.add');
  if (btn) addToCart(btn.closest('[data-product-id]'), btn);
});
$('#products').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && e.target.matches('input.qty')) $('button.add', e.target.closest('[data-product-id]')).click();
});
$('#cart-lines').addEventListener('click', (e) => {
  const btn = e.target.closest('button.remove');
  if (btn) removeLine(Number(btn.closest('li.line').dataset.productId), btn);
});
$('#email-form').addEventListener('submit', (e) => { e.preventDefault(); saveEmail($('#save-email')); });
$('#checkout').addEventListener('click', (e) => checkout(e.currentTarget));
$('#accept-prices').addEventListener('click', (e) => checkout(e.currentTarget, Number(e.currentTarget.dataset.total)));
$('#keep-prices').addEventListener('click', () => { hidePrices(); $('#checkout').focus(); });
$('#card-label').addEventListener('click', () => pay.card?.focus());
$('#new-cart').addEventListener('click', () => { forgetCart(); clearMessages(); renderCart(); $('#products button.add')?.focus(); });
$('#error-close').addEventListener('click', () => { $('#error').hidden = true; });

async function init() {
  setBusy(1);
  try {
    const [p] = await Promise.all([send('GET', '/products'), loadCart(), setUpPayments()]);
    if (!p.ok) throw new NetError(msgOf(p));
    state.currency = p.data.currency ?? 'usd';
    state.products = p.data.products;
    renderProducts();
    renderCart();
    document.body.dataset.ready = '1';
  } catch (e) {
    showBanner(`${e.message} Reload the page to try again.`);
  } finally { setBusy(-1); }
}
init();
