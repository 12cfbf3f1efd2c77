"""Stripe's PaymentIntent list as the reconciler reads it, which localstripe lacks.

``GET /v1/payment_intents`` with ``created[gt|gte|lt|lte]``, ``limit`` and ``starting_after``:
newest first, as Stripe lists, so a reader pages back in time from now to the start of its
window.  localstripe lists in insertion order and refuses the ``created`` filter.
"""

from aiohttp import web
from localstripe import resources, server

PATH = '/v1/payment_intents'
_BOUNDS = {'gt': lambda c, t: c > t, 'gte': lambda c, t: c >= t,
           'lt': lambda c, t: c < t, 'lte': lambda c, t: c <= t}


def _bounds(query):
    bounds = []
    for op, test in _BOUNDS.items():
        raw = query.get('created[%s]' % op)
        if raw is None:
            continue
        try:
            bounds.append((test, int(raw)))
        except ValueError:
            raise resources.UserError(400, 'created[%s] is not a time' % op)
    if 'created' in query:
        try:
            at = int(query['created'])
        except ValueError:
            raise resources.UserError(400, 'created is not a time')
        bounds.append((lambda c, t: c == t, at))
    return bounds


@web.middleware
async def list_middleware(request, handler):
    if request.path != PATH or request.method != 'GET':
        return await handler(request)
    if not server.get_api_key(request):
        raise resources.UserError(401, 'Unauthorized')
    bounds = _bounds(request.query)
    limit = int(request.query.get('limit', '10'))
    if not 1 <= limit <= 100:
        raise resources.UserError(400, 'limit must be between 1 and 100')
    # Insertion order breaks ties within one second, so a page boundary is stable.
    intents = [pi for key, pi in resources.store.items()
               if key.startswith('payment_intent:') and
               all(test(pi.created, t) for test, t in bounds)]
    intents = [pi for _, pi in sorted(enumerate(intents),
                                      key=lambda p: (p[1].created, p[0]),
                                      reverse=True)]
    after = request.query.get('starting_after')
    if after:
        ids = [pi.id for pi in intents]
        if after not in ids:
            raise resources.UserError(400, 'starting_after: no such PaymentIntent')
        intents = intents[ids.index(after) + 1:]
    return server.json_response({
        'object': 'list',
        'url': PATH,
        'has_more': len(intents) > limit,
        'data': [pi._export() for pi in intents[:limit]],
    })
