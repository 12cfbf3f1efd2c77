"""Stripe's PaymentIntent search (GET /v1/payment_intents/search), which localstripe lacks.

The cart workflow searches by metadata for an attempt whose create call got no clear answer
(a stored 5xx, a lost answer), so the emulator answers the one query form it sends:
``metadata['key']:'value'`` clauses joined by ``AND``.  Unlike Stripe's search, results are
immediately consistent; the workflow does not rely on that (it looks twice before it
concludes that nothing was made).
"""

import re

from aiohttp import web
from localstripe import resources, server

PATH = '/v1/payment_intents/search'
_CLAUSE = re.compile(r"^metadata\['([^']+)'\]:'([^']*)'$")


def _parse(query):
    wanted = {}
    for clause in query.split(' AND '):
        match = _CLAUSE.match(clause.strip())
        if not match:
            raise resources.UserError(400, 'unsupported search query: ' + clause)
        wanted[match.group(1)] = match.group(2)
    return wanted


@web.middleware
async def search_middleware(request, handler):
    # A middleware, not a route: localstripe's GET /v1/payment_intents/{id} was
    # registered first and would take "search" for an id.
    if request.path != PATH or request.method != 'GET':
        return await handler(request)
    if not server.get_api_key(request):
        raise resources.UserError(401, 'Unauthorized')
    wanted = _parse(request.query.get('query', ''))
    limit = int(request.query.get('limit', '10'))
    found = [pi for key, pi in resources.store.items()
             if key.startswith('payment_intent:') and
             all((pi.metadata or {}).get(k) == v for k, v in wanted.items())]
    found.sort(key=lambda pi: pi.created, reverse=True)
    return server.json_response({
        'object': 'search_result',
        'url': PATH,
        'has_more': len(found) > limit,
        'next_page': None,
        'total_count': len(found),
        'data': [pi._export() for pi in found[:limit]],
    })
