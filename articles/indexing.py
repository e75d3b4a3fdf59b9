"""Search-index upkeep for articles (modelsearch): right after each save, or batched.

Article sets ``search_auto_update = False`` so that modelsearch does not connect its
own per-save handler; the handlers here do the same job, except inside
``bulk_indexing()``, where saved articles are collected and indexed together when
the block ends. Each single add makes modelsearch refresh its title norms with an
aggregate over the whole index, so an import indexes per batch, not per article.
Should a process die inside a batch, ``rebuild_modelsearch_index`` restores the index.
"""

import threading
from contextlib import contextmanager

from modelsearch import index as modelsearch_index
from modelsearch.backends import get_search_backends

BATCH = 500
_state = threading.local()


@contextmanager
def bulk_indexing():
    """Index the articles saved inside this block together, when it ends."""
    if getattr(_state, "pending", None) is not None:  # nested: the outer block indexes
        yield
        return
    _state.pending = set()
    try:
        yield
    finally:
        pending, _state.pending = _state.pending, None
        index_articles(pending)


def queue(article_ids):
    """Index these articles now, or at the end of the enclosing bulk_indexing block."""
    pending = getattr(_state, "pending", None)
    if pending is not None:
        pending.update(article_ids)
    else:
        index_articles(article_ids)


def index_articles(article_ids):
    """(Re)index these articles; ids that no longer exist are skipped."""
    from .models import Article

    ids = sorted(article_ids)
    for start in range(0, len(ids), BATCH):
        articles = list(Article.get_indexed_objects().filter(pk__in=ids[start : start + BATCH]))
        if not articles:
            continue
        for backend in get_search_backends(with_auto_update=True):
            backend.add_bulk(Article, articles)


def article_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    pending = getattr(_state, "pending", None)
    if pending is not None:
        pending.add(instance.pk)
    else:
        modelsearch_index.insert_or_update_object(instance)


def article_deleted(sender, instance, **kwargs):
    pending = getattr(_state, "pending", None)
    if pending is not None:
        pending.discard(instance.pk)
    modelsearch_index.remove_object(instance)
