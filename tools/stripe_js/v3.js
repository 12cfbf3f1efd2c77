/*
 * A small Stripe.js for the local Stripe emulator (served at /js.stripe.com/v3/ by
 * tools/stripe_emulator.py in place of localstripe's own).
 *
 * Why not localstripe's: its confirmCardPayment never sends the card and always asks for
 * 3-D Secure, so a storefront tested against it pays with any card, a declined one included.
 * This one keeps the shape of the real library where the storefront touches it:
 *   Stripe(pk).elements().create('card') -> mount / on('change') / focus / clear / destroy
 *   stripe.createPaymentMethod({type: 'card', card})       -> {paymentMethod} | {error}
 *   stripe.confirmCardPayment(clientSecret, {payment_method: {card}} | {payment_method: 'pm_…'})
 *                                                          -> {paymentIntent} | {error}
 * and, like the real one, it resolves with {error} instead of throwing, checks the card
 * fields before any request (error.type 'validation_error'), and shows the bank's 3-D Secure
 * challenge only when the confirmed PaymentIntent is `requires_action`.
 *
 * Differences that do not matter for tests: the card fields live in the page, not in an
 * iframe (so a WebDriver can type into them: inputs named cardnumber, exp-date, cvc as in
 * Stripe's iframe), and the calls go to the emulator that served this file.
 */
(function () {
  'use strict';
  // The emulator this script came from (its base URL may have a path).
  const API = document.currentScript.src.replace(/\/js\.stripe\.com\/v3\/?([?#].*)?$/, '');

  // Stripe's own wording, so a page shows what it would show in production.
  const MESSAGES = {
    incomplete_number: 'Your card number is incomplete.',
    invalid_number: 'Your card number is invalid.',
    incomplete_expiry: "Your card's expiration date is incomplete.",
    invalid_expiry_month: "Your card's expiration date is invalid.",
    invalid_expiry_year_past: "Your card's expiration year is in the past.",
    invalid_expiry_month_past: "Your card's expiration date is in the past.",
    incomplete_cvc: "Your card's security code is incomplete.",
    authentication_failure: 'We are unable to authenticate your payment method. ' +
      'Please choose a different payment method and try again.',
  };

  const digits = (s) => String(s).replace(/\D/g, '');
  function luhn(number) {
    let sum = 0;
    for (let i = 0; i < number.length; i++) {
      let d = Number(number[number.length - 1 - i]);
      if (i % 2) { d *= 2; if (d > 9) d -= 9; }
      sum += d;
    }
    return sum % 10 === 0;
  }
  const validation = (code) => ({ type: 'validation_error', code, message: MESSAGES[code] });

  // Nested objects as Stripe's form encoding (card[number]=…), the only body localstripe
  // reads without a preflight (a JSON content type would need CORS approval it does not give).
  function form(data, prefix, out = new URLSearchParams()) {
    for (const [k, v] of Object.entries(data)) {
      if (v === undefined || v === null) continue;
      const key = prefix ? `${prefix}[${k}]` : k;
      if (typeof v === 'object') form(v, key, out); else out.append(key, String(v));
    }
    return out;
  }

  async function post(path, data) {
    let response;
    try {
      response = await fetch(API + path, { method: 'POST', body: form(data) });
    } catch (e) {
      return { error: { type: 'api_connection_error', message: 'Could not reach Stripe.' } };
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok || body.error) {
      return { error: body.error || { type: 'api_error', message: `HTTP ${response.status}` } };
    }
    return { body };
  }

  class CardElement {
    constructor(group) {
      this._group = group;
      this._listeners = {};
      this._root = null;
      this._error = null;
    }

    mount(target) {
      const el = typeof target === 'string' ? document.querySelector(target) : target;
      if (!(el instanceof window.Element)) {
        throw new Error('Invalid DOM element. Make sure to call mount() with a valid DOM element or selector.');
      }
      if (this._root) throw new Error('This Element is already mounted.');
      this._mountedOn = el;
      el.classList.add('StripeElement', 'StripeElement--empty');
      const row = document.createElement('div');
      // One line where it fits; on a phone the number gets a line of its own rather than
      // pushing the page sideways or hiding digits.
      Object.assign(row.style, { display: 'flex', flexWrap: 'wrap', gap: '.25rem .5rem', alignItems: 'center' });
      const field = (name, placeholder, label, autocomplete, grow, width) => {
        const input = document.createElement('input');
        Object.assign(input, { name, placeholder, autocomplete, type: 'text', inputMode: 'numeric' });
        input.setAttribute('aria-label', label);
        Object.assign(input.style, {
          flex: `${grow} 1 ${width}`, minWidth: '0', width: width, border: '0', outline: '0',
          padding: '0', font: 'inherit', color: 'inherit', background: 'transparent',
        });
        input.addEventListener('input', () => this._changed(input));
        // Also `change`: a WebDriver's clear() fires only that.
        input.addEventListener('change', () => this._changed(null));
        input.addEventListener('focus', () => { el.classList.add('StripeElement--focus'); this._emit('focus', {}); });
        input.addEventListener('blur', () => { el.classList.remove('StripeElement--focus'); this._emit('blur', {}); });
        row.append(input);
        return input;
      };
      this._number = field('cardnumber', 'Card number', 'Card number', 'cc-number', 1, '11em');
      this._expiry = field('exp-date', 'MM / YY', 'Expiration date MM / YY', 'cc-exp', 0, '4em');
      this._cvc = field('cvc', 'CVC', 'Security code', 'cc-csc', 0, '2.5em');
      el.append(row);
      this._root = row;
      setTimeout(() => this._emit('ready', {}), 0);
    }

    unmount() {
      if (!this._root) return;
      this._root.remove();
      this._mountedOn.classList.remove('StripeElement', 'StripeElement--empty', 'StripeElement--complete',
        'StripeElement--invalid', 'StripeElement--focus');
      this._root = null;
    }

    destroy() {
      this.unmount();
      this._group._card = null;
    }

    on(event, handler) { (this._listeners[event] ??= []).push(handler); return this; }
    off(event, handler) {
      this._listeners[event] = (this._listeners[event] || []).filter((h) => h !== handler);
      return this;
    }
    focus() { this._number?.focus(); }
    blur() { document.activeElement?.blur(); }
    update() {}
    clear() {
      if (!this._root) return;
      for (const input of [this._number, this._expiry, this._cvc]) input.value = '';
      this._changed(null);
    }

    _emit(event, payload) {
      for (const handler of this._listeners[event] || []) handler({ elementType: 'card', ...payload });
    }

    // Formats as the real field does (groups of four, "MM / YY") and moves on when a part is full.
    _changed(input) {
      const number = digits(this._number.value).slice(0, 16);
      this._number.value = number.replace(/(\d{4})(?=\d)/g, '$1 ');
      const exp = digits(this._expiry.value).slice(0, 4);
      this._expiry.value = exp.length > 2 ? `${exp.slice(0, 2)} / ${exp.slice(2)}` : exp;
      // Three digits: the emulator's cards are all Visa-like, and it refuses any other length.
      this._cvc.value = digits(this._cvc.value).slice(0, 3);
      const check = this._check();
      this._error = check.invalid;
      if (input === this._number && number.length === 16 && !check.invalid) this._expiry.focus();
      else if (input === this._expiry && exp.length === 4 && !check.invalid) this._cvc.focus();
      const empty = !number && !exp && !this._cvc.value;
      const cls = this._mountedOn.classList;
      cls.toggle('StripeElement--empty', empty);
      cls.toggle('StripeElement--complete', check.complete);
      cls.toggle('StripeElement--invalid', !!check.invalid);
      this._emit('change', {
        empty, complete: check.complete, brand: number ? 'visa' : 'unknown',
        error: check.invalid ? validation(check.invalid) : undefined, value: {},
      });
    }

    // `invalid`: a code for what is wrong already (shown while typing, as Stripe does);
    // `incomplete`: the first part still missing (reported when paying).
    _check() {
      const number = digits(this._number.value), exp = digits(this._expiry.value), cvc = this._cvc.value;
      let invalid = null, incomplete = null;
      if (number.length === 16 && !luhn(number)) invalid = 'invalid_number';
      else if (number.length < 16) incomplete = 'incomplete_number';
      const month = Number(exp.slice(0, 2)), year = 2000 + Number(exp.slice(2));
      if (!invalid && exp.length >= 2 && (month < 1 || month > 12)) invalid = 'invalid_expiry_month';
      else if (!invalid && exp.length === 4) {
        const now = new Date(), thisYear = now.getFullYear();
        if (year < thisYear) invalid = 'invalid_expiry_year_past';
        else if (year === thisYear && month < now.getMonth() + 1) invalid = 'invalid_expiry_month_past';
      }
      if (!incomplete && exp.length < 4) incomplete = 'incomplete_expiry';
      if (!incomplete && cvc.length < 3) incomplete = 'incomplete_cvc';
      return { invalid, incomplete, complete: !invalid && !incomplete, number, month, year, cvc };
    }

    // What POST /v1/payment_methods takes, or a validation error.
    _card() {
      if (!this._root) return { error: { type: 'validation_error', code: 'element_not_mounted', message: 'The card Element is not mounted.' } };
      const c = this._check();
      if (c.invalid || c.incomplete) return { error: validation(c.invalid || c.incomplete) };
      return { card: { number: c.number, exp_month: c.month, exp_year: c.year, cvc: c.cvc } };
    }
  }

  // The bank's challenge, as Stripe's test-mode page offers it: complete or fail.
  function challenge() {
    return new Promise((resolve) => {
      const overlay = document.createElement('div');
      Object.assign(overlay.style, {
        position: 'fixed', inset: '0', zIndex: '2147483647', display: 'grid', placeItems: 'center',
        padding: '1rem', background: 'rgba(15, 23, 42, .55)',
      });
      const box = document.createElement('div');
      box.setAttribute('role', 'dialog');
      box.setAttribute('aria-modal', 'true');
      box.setAttribute('aria-labelledby', 'stripe-3ds-title');
      box.className = 'stripe-3ds';
      Object.assign(box.style, {
        width: '100%', maxWidth: '22rem', boxSizing: 'border-box', padding: '1.25rem', borderRadius: '12px',
        background: '#fff', color: '#1b1f24', font: '15px/1.45 system-ui, sans-serif', textAlign: 'center',
      });
      const title = document.createElement('h2');
      title.id = 'stripe-3ds-title';
      title.textContent = '3D Secure test authentication';
      Object.assign(title.style, { margin: '0 0 .5rem', fontSize: '1.1rem' });
      const text = document.createElement('p');
      text.textContent = 'Your bank asks you to confirm this payment. In test mode, choose the outcome.';
      text.style.margin = '0 0 1rem';
      const buttons = document.createElement('div');
      Object.assign(buttons.style, { display: 'flex', flexWrap: 'wrap', gap: '.5rem', justifyContent: 'center' });
      const button = (label, ok, bg) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = label;
        Object.assign(b.style, {
          flex: '1 1 9rem', padding: '.6rem .8rem', border: '0', borderRadius: '8px', font: 'inherit',
          fontWeight: '600', cursor: 'pointer', background: bg, color: ok ? '#fff' : '#1b1f24',
        });
        b.addEventListener('click', () => { overlay.remove(); resolve(ok); });
        buttons.append(b);
        return b;
      };
      const complete = button('Complete authentication', true, '#2f5bea');
      button('Fail authentication', false, '#eaeef4');
      box.append(title, text, buttons);
      overlay.append(box);
      document.body.append(overlay);
      complete.focus();
    });
  }

  window.Stripe = function Stripe(key) {
    if (typeof key !== 'string' || !key.startsWith('pk_')) {
      throw new Error('Invalid API Key provided: Stripe() wants a publishable key (pk_…).');
    }

    async function createPaymentMethod(data) {
      const { type = 'card', card, billing_details } = data || {};
      if (type !== 'card' || !(card instanceof CardElement)) {
        return { error: { type: 'invalid_request_error', message: 'Only {type: "card", card: <card Element>} is emulated.' } };
      }
      const fields = card._card();
      if (fields.error) return fields;
      const r = await post('/v1/payment_methods', { key, type: 'card', card: fields.card, billing_details });
      return r.error ? r : { paymentMethod: r.body };
    }

    async function confirmCardPayment(clientSecret, data) {
      const match = /^(pi_[A-Za-z0-9]+)_secret_/.exec(String(clientSecret));
      if (!match) return { error: { type: 'invalid_request_error', message: 'Invalid value for confirmCardPayment intent secret.' } };
      const intent = match[1];
      let paymentMethod = data?.payment_method;
      if (paymentMethod && typeof paymentMethod === 'object') {
        const created = await createPaymentMethod({ type: 'card', ...paymentMethod });
        if (created.error) return created;
        paymentMethod = created.paymentMethod.id;
      }
      const confirmed = await post(`/v1/payment_intents/${intent}/confirm`,
        { key, client_secret: clientSecret, payment_method: paymentMethod });
      if (confirmed.error) return confirmed;
      let pi = confirmed.body;
      if (pi.status === 'requires_action') {
        const success = await challenge();
        const done = await post(`/v1/payment_intents/${intent}/_authenticate?success=${success}`,
          { key, client_secret: clientSecret });
        if (done.error) return done;
        pi = done.body;
      }
      if (pi.status === 'requires_payment_method') {
        const last = pi.last_payment_error || {};
        const failedAuth = !last.code || last.code === 'payment_intent_authentication_failure';
        return {
          error: {
            type: failedAuth ? 'invalid_request_error' : 'card_error',
            code: last.code || 'payment_intent_authentication_failure',
            message: failedAuth ? MESSAGES.authentication_failure : last.message,
            payment_intent: pi,
          },
        };
      }
      return { paymentIntent: pi };
    }

    return {
      elements() {
        return {
          _card: null,
          create(type) {
            if (type !== 'card') throw new Error(`Only the card Element is emulated, not ${type}.`);
            if (this._card) throw new Error('Can only create one Element of type card.');
            this._card = new CardElement(this);
            return this._card;
          },
          getElement(type) { return type === 'card' ? this._card : null; },
        };
      },
      createPaymentMethod,
      confirmCardPayment,
    };
  };
})();
