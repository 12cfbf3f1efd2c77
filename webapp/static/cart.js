// The storefront page, part 1: state, requests, the cart's life and rendering. Part 2 (checkout.js)
// holds the actions and the wiring; both are files, not inline, for the page's Content-Security-Policy.
'use strict';
const $ = (sel, root = document) => root.querySelector(sel);
// A reminder email links here with ?cart=<id>: adopt that cart, then tidy the address bar.
const linked = new URLSearchParams(location.search).get('cart');
if (linked && /^cart-[0-9a-f]{32}$/.test(linked)) {
  localStorage.setItem('cartId', linked);
  history.replaceState(null, '', location.pathname);
}
const state = { products: [], currency: 'usd', cart: null, cartId: localStorage.getItem('cartId'), decline: null, shownEmail: null };
// Stripe.js and its card field, once loaded; `complete` as the field last reported it.
const pay = { stripe: null, card: null, complete: false };
let lastFailed = null; // {sig, key} of the last mutation whose outcome is unknown (network error / 5xx)
let busy = 0;
class NetError extends Error {}

/** Tiny DOM builder; text always goes through text nodes, never innerHTML (server strings are untrusted). */
function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...kids.filter((k) => k != null).map((k) => (k instanceof Node ? k : String(k))));
  return el;
}
// crypto.randomUUID only exists in secure contexts; fall back to getRandomValues (a v4 UUID) on plain http.
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function setBusy(delta) {
  busy += delta;
  if (busy > 0) document.body.dataset.busy = '1'; else delete document.body.dataset.busy;
}
// Formats integer cents with string arithmetic only (no floats); used only where the server sent no formatted string.
function money(cents) {
  const s = String(Math.abs(cents)).padStart(3, '0');
  const sym = { usd: '$', eur: '€', gbp: '£' }[state.currency] ?? `${state.currency.toUpperCase()} `;
  return `${cents < 0 ? '-' : ''}${sym}${s.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${s.slice(-2)}`;
}
const priceOf = (p) => (typeof p.price === 'string' && /\D/.test(p.price) ? p.price : money(p.price_cents));
const msgOf = (r) => r.data?.error?.message || `Request failed (HTTP ${r.status}).`;

/**
 * One request. Mutations carry an Idempotency-Key: a fresh one per action, but the *same* one when the
 * exact request (method, path, body) is retried after its outcome was unknown, so the server applies it once.
 * Network failures and 5xx throw NetError (shown in the banner); other statuses are returned to the caller.
 */
async function send(method, path, body) {
  const headers = { Accept: 'application/json' };
  let sig = null, key = null;
  if (method !== 'GET') {
    sig = `${method} ${path} ${JSON.stringify(body ?? null)}`;
    key = lastFailed?.sig === sig ? lastFailed.key : uuid();
    headers['Idempotency-Key'] = key;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
  }
  setBusy(1);
  try {
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      if (key) lastFailed = { sig, key };
      throw new NetError('Could not reach the shop. Check your connection and try again.');
    }
    const data = await res.json().catch(() => null);
    if (key) lastFailed = res.status >= 500 ? { sig, key } : null;
    if (res.status >= 500) throw new NetError(`The shop is temporarily unavailable (${msgOf({ status: res.status, data })}). Please try again.`);
    return { status: res.status, ok: res.ok, data };
  } finally { setBusy(-1); }
}

function showBanner(text) { $('#error-text').textContent = text; $('#error').hidden = false; }
function clearMessages() {
  $('#error').hidden = true;
  document.querySelectorAll('.msg').forEach((m) => { m.textContent = ''; });
  $('#cart-status').textContent = '';
}
/** Shows an API error next to the control that caused it, using the error's `field` when it names one. */
function fail(r, ctx = {}) {
  const field = String(r.data?.error?.field ?? '').toLowerCase().replace(/_/g, '');
  const text = r.data?.error?.code === 'out_of_stock' ? stockMessage(r) : msgOf(r);
  let el = ctx.msg;
  if (field === 'email') el = $('#email-msg');
  else if ((field === 'productid' || field === 'quantity') && ctx.card) el = $('.msg', ctx.card);
  if (el) el.textContent = text; else showBanner(text);
}
/** Wraps a user action: busy state on its button and <body>, and one place that reports network errors. */
async function run(btn, fn) {
  if (btn) { btn.disabled = true; btn.setAttribute('aria-busy', 'true'); }
  setBusy(1);
  try { await fn(); } catch (e) {
    showBanner(e instanceof NetError ? e.message : `Something went wrong: ${e.message}`);
  } finally {
    if (btn) { btn.removeAttribute('aria-busy'); btn.disabled = false; }
    setBusy(-1);
    renderCart(); // re-applies the disabled rules (e.g. empty cart → no checkout)
  }
}

// ---- Cart lifecycle -------------------------------------------------------------------------
const cartPath = (id = state.cartId) => `/cart/${encodeURIComponent(id)}`;
const isClosed = (status) => status === 'checked_out' || status === 'expired';
// A checkout whose PaymentIntent waits for this shopper's card or 3-D Secure: checking out again resumes it.
const awaitsShopper = (c) => c?.status === 'checking_out' && ['requires_payment', 'requires_action'].includes(c.payment?.status);
function setCart(c) { state.cart = c; state.cartId = c.id; localStorage.setItem('cartId', c.id); }
function forgetCart() {
  state.cart = null; state.cartId = null; state.decline = null;
  localStorage.removeItem('cartId');
  $('#receipt').hidden = true;
  $('#receipt-lines').replaceChildren();
}
let creating = null; // one POST /cart even if several clicks need a cart at once
function ensureCart() {
  if (state.cartId) return Promise.resolve(state.cartId);
  creating ??= send('POST', '/cart').then((r) => {
    if (r.status !== 201) throw new NetError(msgOf(r));
    setCart({ ...r.data.cart, id: r.data.workflowID });
    return state.cartId;
  }).finally(() => { creating = null; });
  return creating;
}
/** After a 404/409, decides whether the stored cart is gone for good (unknown, checked out, expired). */
async function cartIsGone(r) {
  if (r.status === 404) return true;
  if (r.status !== 409) return false;
  const g = await send('GET', cartPath());
  if (g.ok) setCart(g.data);
  return g.status === 404 || (g.ok && isClosed(g.data.status)) || (!g.ok && r.data?.error?.code === 'cart_closed');
}
/**
 * PUTs a change to the stored cart (creating one if needed). If that cart is gone, start afresh; with `retry`,
 * replay the change once on the new cart. Returns the response, or {gone: lastKnownCart} when not replayed.
 */
async function cartCall(action, body, retry = false) {
  const id = await ensureCart();
  const r = await send('PUT', `${cartPath(id)}/${action}`, body);
  if (!(await cartIsGone(r))) return r;
  const old = state.cart;
  forgetCart();
  if (!retry) return { gone: old };
  return send('PUT', `${cartPath(await ensureCart())}/${action}`, body);
}
async function loadCart() {
  if (!state.cartId) return;
  const r = await send('GET', cartPath());
  // Unknown or finished carts are dropped silently; the next add starts a fresh one.
  if (r.status === 404 || (r.ok && isClosed(r.data.status))) return forgetCart();
  if (!r.ok) throw new NetError(msgOf(r));
  setCart(r.data);
  if (r.data.status === 'payment_failed') state.decline = r.data.payment_error;
  // Resume a slow payment; one that waits for the card is finished by checking out again.
  if (r.data.status === 'checking_out' && !awaitsShopper(r.data)) run($('#checkout'), () => awaitOutcome(r.data.id));
}

/** Loads Stripe.js from where the shop says and mounts its card field. Without it the page still works, minus paying. */
async function setUpPayments() {
  const unavailable = (text) => { const el = $('#card-element'); el.classList.add('unavailable'); el.textContent = text; };
  try {
    const r = await send('GET', '/storefront/config');
    if (!r.ok || !r.data?.publishable_key) return unavailable('Card payments are not available on this shop right now.');
    await new Promise((resolve, reject) => {
      const script = h('script', { src: r.data.stripe_js_url });
      script.addEventListener('load', resolve);
      script.addEventListener('error', () => reject(new Error('Stripe.js did not load')));
      document.head.append(script);
    });
    pay.stripe = Stripe(r.data.publishable_key);
    pay.card = pay.stripe.elements().create('card', {
      style: { base: { fontSize: '16px', color: '#1b1f24', fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' } },
    });
    pay.card.on('change', (e) => { pay.complete = e.complete; $('#card-msg').textContent = e.error?.message ?? ''; });
    pay.card.mount('#card-element');
  } catch {
    pay.stripe = pay.card = null;
    unavailable('Card payments could not be loaded. Reload the page to try again.');
  }
}

// ---- Rendering ------------------------------------------------------------------------------
// The colour goes through the style object: a style attribute is inline style, which the page's policy refuses.
function tile(p, initials, img) {
  const box = h('div', { class: 'ph' }, h('span', { 'aria-hidden': 'true' }, initials), img);
  box.style.background = `hsl(${(p.id * 67) % 360} 42% 52%)`;
  return box;
}
function renderProducts() {
  $('#products').replaceChildren(...state.products.map((p) => {
    const img = h('img', { src: p.image, alt: p.name, loading: 'lazy', decoding: 'async' });
    img.addEventListener('error', () => { img.hidden = true; }); // offline: keep the coloured box, no broken icon
    const initials = p.name.split(/\s+/).map((w) => w[0]).join('').slice(0, 3);
    return h('li', { class: 'product', 'data-product-id': p.id },
      tile(p, initials, img),
      h('div', { class: 'body' },
        h('h3', { id: `name-${p.id}` }, p.name),
        h('p', { class: 'desc' }, p.description),
        h('p', { class: 'price' }, priceOf(p)),
        stockNote(p),
        h('div', { class: 'row' },
          h('label', { for: `qty-${p.id}`, class: 'sr-only' }, `Quantity of ${p.name}`),
          h('input', { id: `qty-${p.id}`, class: 'qty', type: 'number', min: 1, max: 99, step: 1, value: 1, inputmode: 'numeric' }),
          addButton(p)),
        h('p', { class: 'msg', 'aria-live': 'polite' })));
  }));
}
// Few left, or none: the shop says so (`low_stock` is the number left when it is small).
function stockNote(p) {
  if (p.in_stock === false) return h('p', { class: 'stock out' }, 'Sold out');
  if (p.low_stock != null) return h('p', { class: 'stock' }, `Only ${p.low_stock} left`);
  return null;
}
function addButton(p) {
  const attrs = { type: 'button', class: 'add', 'aria-describedby': `name-${p.id}` };
  if (p.in_stock === false) attrs.disabled = '';
  return h('button', attrs, 'Add to cart');
}
/** The shop's answer when a product ran short: how many can be had, in plain words. */
function stockMessage(r) {
  const left = r.data?.error?.left;
  if (left === 0) return 'Sorry, this is sold out right now.';
  if (Number.isInteger(left)) return `Only ${left} left: your cart can hold at most ${left}.`;
  return msgOf(r);
}
// Receipt rows use a different class and attribute so `li.line[data-product-id]` only ever matches the live cart.
function lineItem(l, removable) {
  return h('li', removable ? { class: 'line', 'data-product-id': l.product_id } : { class: 'rline', 'data-receipt-product-id': l.product_id },
    h('strong', {}, l.name), h('span', {}, l.line_total),
    h('span', { class: 'meta' }, `${l.quantity} × ${l.unit_price}`, removable && l.reserved === false ? h('span', { class: 'unheld' }, ' · no longer held for you') : null),
    removable ? h('button', { type: 'button', class: 'remove link', 'aria-label': `Remove ${l.name} from cart` }, 'Remove') : h('span'));
}
function renderCart() {
  const c = state.cart, lines = c?.lines ?? [];
  const open = !c || c.status === 'active' || c.status === 'payment_failed';
  const co = $('#checkout');
  $('#cart-body').hidden = !$('#receipt').hidden;
  $('#cart-count').textContent = c && c.status !== 'checked_out' ? c.item_count : 0;
  $('#cart-lines').replaceChildren(...lines.map((l) => lineItem(l, true)));
  document.querySelectorAll('#cart-lines .remove').forEach((b) => { b.disabled = !open; });
  $('#cart-empty').hidden = lines.length > 0;
  $('#cart-total').textContent = c?.total ?? money(0);
  co.disabled = !lines.length || !(open || awaitsShopper(c)) || co.hasAttribute('aria-busy');
  // Only overwrite the email box when the server's email changed, so typing is never clobbered.
  if (c && (c.email ?? null) !== state.shownEmail) { $('#email').value = c.email ?? ''; state.shownEmail = c.email ?? null; }
  $('#decline').textContent = state.decline ?? '';
  $('#decline').hidden = $('#decline-hint').hidden = !state.decline;
  if (c?.status === 'checking_out') {
    $('#cart-status').textContent = awaitsShopper(c) && !co.hasAttribute('aria-busy')
      ? 'Your payment is not finished: enter your card and check out to complete it.' : 'Processing your payment…';
  }
}
function showReceipt(c) {
  state.cart = c; state.decline = null;
  $('#receipt-lines').replaceChildren(...c.lines.map((l) => lineItem(l, false)));
  $('#receipt-total').textContent = c.total;
  $('#payment-ref').textContent = c.payment_ref ?? '—';
  $('#receipt').hidden = false;
  pay.card?.clear();
  renderCart();
  $('#receipt').focus();
}

