#!/usr/bin/env python3
"""Local Stripe emulator for tests: localstripe + a thin compatibility layer.

Usage:
    .venv/bin/python tools/stripe_emulator.py --host 127.0.0.1 --port 8420 \
        [--state-dir DIR]

localstripe's JSON is looser than the real API; async-stripe 1.x deserialises
into strict structs and fails on any missing non-Option field.  This wrapper
runs localstripe's aiohttp app in-process and adds:
  * response patching so PaymentIntent / Charge / Refund / error bodies carry
    every field async-stripe-shared 1.0.0-rc.10 requires;
  * Stripe's Idempotency-Key semantics (localstripe ignores the header): a
    replay gets the stored answer, errors included, a reuse with other
    parameters gets idempotency_error, and the cache survives a restart;
  * a per-instance state file, so parallel emulators never share data;
  * binding to one host instead of all interfaces;
  * PaymentIntent search by metadata (tools/stripe_search.py), and the
    PaymentIntent list by creation time, newest first (tools/stripe_lists.py);
  * a declined PaymentIntent confirmed again with another card, as Stripe allows;
  * the browser's side of a card payment: a Stripe.js of our own at
    /js.stripe.com/v3/ (tools/stripe_js/v3.js), and the publishable key
    accepted where Stripe accepts it.
"""

import argparse
import asyncio
import atexit
import hashlib
import urllib.parse
import json
import logging
import os
import pickle
import re
import shutil
import tempfile
import time

from aiohttp import web
from localstripe import resources, server

import stripe_lists
import stripe_search

# --- per-instance state file ------------------------------------------------
# localstripe hard-codes '/tmp/localstripe.pickle' (TMPDIR is ignored), so
# two instances would clobber each other.  Re-point both Store methods.
STATE_FILE = None


def _load_store(self):
    try:
        with open(STATE_FILE, 'rb') as f:
            old = pickle.load(f)
    except FileNotFoundError:
        return
    self.clear()
    self.update(old)


def _dump_store(self):
    # Write-then-rename: a kill mid-dump must not leave a corrupt pickle.
    tmp = STATE_FILE + '.tmp'
    with open(tmp, 'wb') as f:
        pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, STATE_FILE)


resources.Store.try_load_from_disk = _load_store
resources.Store.dump_to_disk = _dump_store

# --- magic test cards ---------------------------------------------------------
# localstripe only declines 4000000000000341 (pm_card_chargeCustomerFail) at
# charge time; real Stripe also declines pm_card_visa_chargeDeclined (..0002).
_orig_charging_is_declined = resources.PaymentMethod._charging_is_declined


def _charging_is_declined(self):
    return (_orig_charging_is_declined(self) or
            (self.type == 'card' and self._card_number == '4000000000000002'))


resources.PaymentMethod._charging_is_declined = _charging_is_declined

# --- request params -----------------------------------------------------------
# localstripe's PaymentIntent rejects any create param it doesn't model with
# 400 "Unexpected ...".  Real Stripe accepts (and echoes back) these, and
# app/src/payments.rs sends all three, so accept and store them instead of
# silently dropping them.
_orig_pi_init = resources.PaymentIntent.__init__


def _pi_init(self, description=None, receipt_email=None,
             automatic_payment_methods=None, **kwargs):
    apm = automatic_payment_methods
    if apm is not None:
        enabled = resources.try_convert_to_bool(
            apm.get('enabled') if isinstance(apm, dict) else None)
        if type(enabled) is not bool:
            raise resources.UserError(400, 'Bad request')
        apm = {'enabled': enabled,
               'allow_redirects': apm.get('allow_redirects') or 'always'}
    _orig_pi_init(self, **kwargs)
    self.description = description
    self.receipt_email = receipt_email
    self.automatic_payment_methods = apm


resources.PaymentIntent.__init__ = _pi_init

# --- refunds --------------------------------------------------------------------
# Stripe refuses to refund a payment twice (400 charge_already_refunded);
# localstripe refunds without limit.
_orig_refund_init = resources.Refund.__init__


def _refund_init(self, charge=None, payment_intent=None, **kwargs):
    pi = payment_intent and resources.store.get('payment_intent:' + payment_intent)
    charge_id = charge or (pi and pi.latest_charge and pi.latest_charge.id)
    if charge_id:
        done = [r for key, r in resources.store.items()
                if key.startswith('refund:') and
                (r.charge == charge_id or
                 (payment_intent and r.payment_intent == payment_intent))]
        if done:
            raise resources.UserError(
                400, 'Charge %s has already been refunded.' % charge_id,
                {'code': 'charge_already_refunded'})
    _orig_refund_init(self, charge=charge, payment_intent=payment_intent,
                      **kwargs)


resources.Refund.__init__ = _refund_init

# --- confirming with a card ----------------------------------------------------
# Stripe.js confirms a PaymentIntent with the card the shopper gave it
# (`payment_method` on /confirm); localstripe answers 500 "Not implemented".
_orig_pi_confirm = resources.PaymentIntent._api_confirm


def _pi_confirm(id, payment_method=None, client_secret=None, key=None,
                **kwargs):
    if payment_method is not None:
        obj = resources.PaymentIntent._api_retrieve(id)
        resources.PaymentMethod._api_retrieve(payment_method)  # 404 if unknown
        if obj.status not in ('requires_payment_method',
                              'requires_confirmation'):
            raise resources.UserError(400, 'Bad request')
        # After a decline Stripe takes another card on the same PaymentIntent (its own
        # docs recommend that retry); localstripe keeps the failed charge and refuses.
        if obj.latest_charge is not None and \
                obj.latest_charge.status == 'failed':
            obj.latest_charge = None
        obj.payment_method = payment_method
        obj._authentication_failed = False
    return _orig_pi_confirm(id, **kwargs)


# A failed 3-D Secure challenge: Stripe reports payment_intent.payment_failed;
# localstripe reports nothing.
_orig_pi_authenticate = resources.PaymentIntent._api_authenticate


def _pi_authenticate(id, **kwargs):
    obj = _orig_pi_authenticate(id, **kwargs)
    if obj.status == 'requires_payment_method':
        resources.schedule_webhook(
            resources.Event('payment_intent.payment_failed', obj))
    return obj


def _reroute(original, replacement):
    # Routes captured the original methods when localstripe's server module was
    # imported; swap them inside those handlers' closures.
    for route in server.app.router.routes():
        for cell in getattr(route.handler, '__closure__', None) or ():
            if getattr(cell.cell_contents, '__func__', None) is \
                    original.__func__:
                cell.cell_contents = replacement


_reroute(_orig_pi_confirm, _pi_confirm)
_reroute(_orig_pi_authenticate, _pi_authenticate)

# --- the browser's calls ------------------------------------------------------
# Real Stripe.js creates the PaymentMethod and confirms the PaymentIntent with
# the publishable key (the confirm also needs the PaymentIntent's client
# secret); localstripe takes a pk_ key only for tokens, sources and 3-D Secure,
# so a browser could not pay.  Let those two calls through as Stripe does.
_BROWSER_CALLS = (re.compile(r'^/v1/payment_methods$'),
                  re.compile(r'^/v1/payment_intents/(pi_\w+)/confirm$'))


@web.middleware
async def publishable_key_middleware(request, handler):
    if request.method != 'POST' or server.get_api_key(request):
        return await server.auth_middleware(request, handler)
    for pattern in _BROWSER_CALLS:
        match = pattern.match(request.path)
        if not match:
            continue
        data = await server.get_post_data(request, remove_auth=False) or {}
        key = data.get('key')
        if not (isinstance(key, str) and key.startswith('pk_')):
            break
        if match.groups():
            pi = resources.store.get('payment_intent:' + match.group(1))
            if pi is None or data.get('client_secret') != pi.client_secret:
                # Stripe's answer to a publishable key without the secret.
                raise resources.UserError(401, 'Unauthorized')
        return await handler(request)
    return await server.auth_middleware(request, handler)


# --- Stripe.js ----------------------------------------------------------------
# localstripe's fake Stripe.js ignores the card in confirmCardPayment and always
# asks for 3-D Secure, so a page tested against it would pass with any card.
# Ours (tools/stripe_js/v3.js) confirms with the card typed into the element
# and asks only when the PaymentIntent needs it; it replaces localstripe's.
STRIPE_JS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         'stripe_js', 'v3.js')


@web.middleware
async def stripe_js_middleware(request, handler):
    if request.path == '/js.stripe.com/v3/' and request.method in ('GET',
                                                                   'HEAD'):
        with open(STRIPE_JS, encoding='utf-8') as f:
            resp = web.Response(text=f.read(),
                                content_type='application/javascript')
        # Read from disk per request, and never cached: an edit shows on reload.
        resp.headers['Cache-Control'] = 'no-store'
        return resp
    return await handler(request)

# --- response patching --------------------------------------------------------
# Required (non-Option) fields in async-stripe-shared 1.0.0-rc.10:
#   PaymentIntent: amount amount_capturable amount_received capture_method
#     confirmation_method created currency id livemode metadata
#     payment_method_types status
#   Charge: amount amount_captured amount_refunded billing_details captured
#     created currency disputed id livemode metadata paid refunded status
#   Refund: amount created currency id
#   ApiErrors (error bodies, last_payment_error): type


def _default(obj, key, value):
    # Also replaces explicit nulls: a null in a required field fails just
    # like a missing one.
    if obj.get(key) is None:
        obj[key] = value


def _common(obj):
    _default(obj, 'created', int(time.time()))
    _default(obj, 'metadata', {})


def _fix_payment_intent(pi, expand_charge):
    _common(pi)
    status, amount = pi.get('status'), pi.get('amount') or 0
    _default(pi, 'livemode', False)
    _default(pi, 'amount_capturable',
             amount if status == 'requires_capture' else 0)
    _default(pi, 'amount_received', amount if status == 'succeeded' else 0)
    _default(pi, 'capture_method', 'automatic')
    _default(pi, 'confirmation_method', 'automatic')
    # localstripe accepts payment_method_types but never stores it.
    _default(pi, 'payment_method_types', ['card'])
    # `charges` was removed from the API in 2022-11-15; real Stripe returns
    # latest_charge as an id unless expand[]=latest_charge was requested.
    pi.pop('charges', None)
    charge = pi.get('latest_charge')
    if isinstance(charge, dict) and not expand_charge:
        pi['latest_charge'] = charge['id']
    if isinstance(pi.get('last_payment_error'), dict):
        _fix_error(pi['last_payment_error'])


def _fix_charge(ch, _expand_charge):
    _common(ch)
    status, amount = ch.get('status'), ch.get('amount') or 0
    _default(ch, 'livemode', False)
    _default(ch, 'captured', False)
    _default(ch, 'amount_captured',
             amount if ch['captured'] and status == 'succeeded' else 0)
    _default(ch, 'amount_refunded', 0)
    _default(ch, 'billing_details',
             {'address': None, 'email': None, 'name': None, 'phone': None})
    _default(ch, 'disputed', False)
    _default(ch, 'paid', status == 'succeeded')
    _default(ch, 'refunded', False)


def _fix_refund(re_, _expand_charge):
    _common(re_)
    # Real Stripe links the refund to the PaymentIntent even when it was
    # created with charge=ch_...; localstripe leaves it null.
    if not re_.get('payment_intent') and re_.get('charge'):
        ch = resources.store.get('charge:' + str(re_['charge']))
        re_['payment_intent'] = getattr(ch, 'payment_intent', None)


def _fix_error(err):
    # localstripe labels every error invalid_request_error; Stripe uses
    # card_error for declines, which is what callers branch on.
    if err.get('code') == 'card_declined':
        err['type'] = 'card_error'
        err.setdefault('decline_code', 'generic_decline')
        err.setdefault('doc_url',
                       'https://stripe.com/docs/error-codes/card-declined')
    _default(err, 'type', 'invalid_request_error')


FIXERS = {'payment_intent': _fix_payment_intent, 'charge': _fix_charge,
          'refund': _fix_refund}


def _patch(obj, expand_charge):
    # Children first: covers list `data`, expanded latest_charge,
    # charge.refunds and the payment_intent embedded in decline errors.
    if isinstance(obj, list):
        for item in obj:
            _patch(item, expand_charge)
    elif isinstance(obj, dict):
        for value in obj.values():
            _patch(value, expand_charge)
        fixer = FIXERS.get(obj.get('object'))
        if fixer:
            fixer(obj, expand_charge)


def _decline_payment_intent(err):
    # Stripe embeds the PaymentIntent in decline errors so clients can learn
    # its id/status without a second call.
    ch = resources.store.get('charge:' + str(err.get('charge')))
    pi_id = getattr(ch, 'payment_intent', None)
    pi = resources.store.get('payment_intent:' + str(pi_id))
    return pi._export() if pi else None


async def _wants_expanded_charge(request):
    try:
        if request.method == 'POST':
            data = await server.get_post_data(request)
        else:
            data = server.unflatten_data(request.query)
        expand = (data.get('expand') or []) if isinstance(data, dict) else []
    except Exception:  # never let the compat layer turn a reply into a 500
        return False
    if isinstance(expand, str):
        expand = [expand]
    return any('latest_charge' in str(e) for e in expand)


@web.middleware
async def compat_middleware(request, handler):
    resp = await handler(request)
    if (resp.content_type != 'application/json' or
            not isinstance(resp.body, bytes)):
        return resp
    try:
        body = json.loads(resp.body)
    except ValueError:
        return resp
    expand_charge = await _wants_expanded_charge(request)
    err = body.get('error') if isinstance(body, dict) else None
    if isinstance(err, dict):
        _fix_error(err)
        if err.get('type') == 'card_error' and 'payment_intent' not in err:
            pi = _decline_payment_intent(err)
            if pi:
                err['payment_intent'] = pi
    _patch(body, expand_charge)
    return server.json_response(body, status=resp.status)


# --- idempotency --------------------------------------------------------------
IDEMPOTENCY_TTL = 24 * 3600
_idem_cache = {}   # (key, method, path) -> (time, body_hash, status, body, ct)
_idem_locks = {}   # same key -> asyncio.Lock, so concurrent twins run once
IDEM_FILE = None   # the cache on disk, next to the store, so it survives a restart


def _cacheable(status):
    # Stripe stores the result once the endpoint ran, errors included (a 402
    # decline, a 500): a retry gets the same answer.  Requests refused before
    # that (validation 400, auth 401, 404, a concurrent twin 409, rate limit
    # 429) store nothing, so a corrected retry with the same key still works.
    return status not in (400, 401, 404, 409, 429)


def _load_idempotency():
    try:
        with open(IDEM_FILE) as f:
            rows = json.load(f)
    except (FileNotFoundError, ValueError):
        return
    for key, method, path, at, body_hash, status, body, ct in rows:
        _idem_cache[(key, method, path)] = (at, body_hash, status,
                                            body.encode('utf-8'), ct)


def _dump_idempotency():
    now = time.time()
    rows = [[k[0], k[1], k[2], v[0], v[1], v[2], v[3].decode('utf-8'), v[4]]
            for k, v in _idem_cache.items() if now - v[0] <= IDEMPOTENCY_TTL]
    tmp = IDEM_FILE + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(rows, f)
    os.replace(tmp, IDEM_FILE)


@web.middleware
async def idempotency_middleware(request, handler):
    key = request.headers.get('Idempotency-Key')
    if request.method != 'POST' or not key:
        return await handler(request)
    cache_key = (key, request.method, request.path)
    # Compare parameters, not bytes: clients may send form fields (e.g. a metadata map) in any
    # order, and Stripe treats a reordered body as the same request.
    params = sorted(urllib.parse.parse_qsl((await request.read()).decode('utf-8', 'replace'),
                                           keep_blank_values=True))
    body_hash = hashlib.sha256(repr(params).encode()).hexdigest()
    async with _idem_locks.setdefault(cache_key, asyncio.Lock()):
        hit = _idem_cache.get(cache_key)
        if hit and time.time() - hit[0] > IDEMPOTENCY_TTL:
            hit = None
        if hit:
            if hit[1] != body_hash:
                return server.json_response({'error': {
                    'type': 'idempotency_error',
                    'message': 'Keys for idempotent requests can only be '
                               'used with the same parameters they were '
                               'first used with.'}}, status=400)
            resp = web.Response(status=hit[2], body=hit[3],
                                content_type=hit[4])
            resp.headers['Idempotent-Replayed'] = 'true'
        else:
            resp = await handler(request)
            if _cacheable(resp.status) and isinstance(resp.body, bytes):
                _idem_cache[cache_key] = (time.time(), body_hash, resp.status,
                                          resp.body, resp.content_type)
                _dump_idempotency()
        resp.headers['Idempotency-Key'] = key
        return resp


def main():
    global STATE_FILE, IDEM_FILE
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8420)
    parser.add_argument('--state-dir',
                        help='directory for the state pickle; default: a '
                             'fresh temp dir removed on exit')
    args = parser.parse_args()

    if args.state_dir:
        os.makedirs(args.state_dir, exist_ok=True)
        state_dir = args.state_dir
    else:
        state_dir = tempfile.mkdtemp(prefix='stripe-emulator-')
        atexit.register(shutil.rmtree, state_dir, ignore_errors=True)
    STATE_FILE = os.path.join(state_dir, 'localstripe.pickle')
    IDEM_FILE = os.path.join(state_dir, 'idempotency.json')
    # An explicit --state-dir survives restarts, like localstripe's default.
    resources.store.try_load_from_disk()
    _load_idempotency()

    # Outermost first: Stripe.js is a file, not an API answer; replays must
    # bypass everything, and idempotency must cache the already-patched body.
    # The publishable-key check takes localstripe's auth check's place.
    server.app.middlewares.insert(0, stripe_js_middleware)
    server.app.middlewares.insert(1, idempotency_middleware)
    server.app.middlewares.insert(2, compat_middleware)
    auth = server.app.middlewares.index(server.auth_middleware)
    server.app.middlewares[auth] = publishable_key_middleware
    # Innermost: past auth and error handling, before localstripe's routes.
    server.app.middlewares.append(stripe_search.search_middleware)
    server.app.middlewares.append(stripe_lists.list_middleware)

    logging.basicConfig(level=logging.INFO, format='%(message)s')
    web.run_app(server.app, host=args.host, port=args.port)


if __name__ == '__main__':
    main()
