"""Cached search work: resolved queries and result counts with facets (Django's cache framework).

Keys carry the content stamp (``articles.stamp``): publishing, a status or link change, a merge,
an alias or tree edit replaces it, so every cached answer from before is simply never asked for
again (and ages out), in every process at once — the stamp lives in the database. The backend
is the ``search`` cache (settings.CACHES): local memory by default, Redis when REDIS_URL is set.
SEARCH_CACHE_SECONDS bounds an entry's life (facet snapshots refresh without a stamp change).
"""

import hashlib

from django.conf import settings
from django.core.cache import caches

from .. import stamp

ALIAS = "search"


def _cache():
    return caches[ALIAS]


def key(namespace, *parts):
    token, _ = stamp.current()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"nb:{namespace}:{token}:{digest}"


def cached(namespace, parts, compute):
    """compute() once per content stamp for these parts; later calls read the cache."""
    if not getattr(settings, "SEARCH_CACHE_SECONDS", 0):
        return compute()
    name = key(namespace, *parts)
    value = _cache().get(name)
    if value is None:
        value = compute()
        _cache().set(name, value, settings.SEARCH_CACHE_SECONDS)
    return value


def resolved(query, resolve):
    """resolve(query), cached per query text (an empty query resolves to nothing at no cost)."""
    if not query.tokens:
        return resolve(query)
    return cached("resolve", (query.raw, repr(query)), lambda: resolve(query))


def counts(plan, count, top=None):
    """count(plan, top=top) — retrieval.counts — cached per plan (its entities, words, filters
    and dates) and `top` (how many results, in which order)."""
    return cached("counts", (repr(plan), top), lambda: count(plan, top=top))
