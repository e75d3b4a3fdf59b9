"""Search-index upkeep for articles (modelsearch): right after each save, or batched.

Article sets ``search_auto_update = False`` so that modelsearch does not connect its
own per-save handler; the handlers here do the same job, except inside
``bulk_indexing()``, where saved articles are collected and indexed together when
the block ends. Each single add makes modelsearch refresh its title norms with an
aggregate over the whole index, so an import indexes per batch, not per article.

The import writes a batch's index rows in the transaction that writes its articles, so a
crash leaves both or neither. Articles that are nevertheless published without index rows
(written before that, or by hand) are found by ``unindexed_published`` (reported on the
admin workbench and by ``/healthz?deep=1``) and repaired by ``manage.py reindex --missing``
or by importing them again (``repair``).
"""

import threading
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast
from modelsearch import index as modelsearch_index
from modelsearch.backends import get_search_backends

BATCH = 500
_state = threading.local()


@contextmanager
def bulk_indexing(*, before_commit=None):
    """Index the articles saved inside this block together, when it ends, in one transaction
    (`before_commit`, if given, is called first inside it)."""
    if getattr(_state, "pending", None) is not None:  # nested: the outer block indexes
        yield
        return
    _state.pending = set()
    try:
        yield
    finally:
        pending, _state.pending = _state.pending, None
        if pending:
            with transaction.atomic():
                if before_commit:
                    before_commit()
                index_articles(pending)


def queue(article_ids):
    """Index these articles now, or at the end of the enclosing bulk_indexing block."""
    pending = getattr(_state, "pending", None)
    if pending is not None:
        pending.update(article_ids)
    else:
        index_articles(article_ids)


@contextmanager
def title_norms_deferred():
    """Refresh modelsearch's title norms once, when this block ends, not after every add.

    After each add the database backends recompute the average title length over the
    whole index (a scan that grows with the corpus) to set the new entries' norms.
    An import adds a batch at a time; inside this block the new entries keep the
    default norm until the block ends. Should the process die first, the next add
    or ``rebuild_modelsearch_index`` sets them.
    """
    if getattr(_state, "deferred_norms", None) is not None:  # nested: the outer block refreshes
        yield
        return
    _state.deferred_norms = {}  # index class -> a backend that uses it
    try:
        yield
    finally:
        backends, _state.deferred_norms = _state.deferred_norms, None
        for backend in backends.values():
            index = backend.get_index_for_model(_article_model())
            if hasattr(index, "_refresh_title_norms"):
                index._refresh_title_norms()


def _article_model():
    from .models import Article

    return Article


def index_articles(article_ids):
    """(Re)index these articles; ids that no longer exist are skipped."""
    Article = _article_model()
    deferred = getattr(_state, "deferred_norms", None)
    ids = sorted(article_ids)
    for start in range(0, len(ids), BATCH):
        articles = list(Article.get_indexed_objects().filter(pk__in=ids[start : start + BATCH]))
        if not articles:
            continue
        for backend in get_search_backends(with_auto_update=True):
            index = backend.get_index_for_model(Article)  # a new object per call: patching it is local
            if deferred is not None and hasattr(index, "_refresh_title_norms"):
                index._refresh_title_norms = _skip_refresh
                deferred.setdefault(type(index), backend)
                index.add_items(Article, articles)
            else:
                backend.add_bulk(Article, articles)


def _skip_refresh(full=False):
    return None


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


def _entries():
    from modelsearch.models import IndexEntry

    return IndexEntry.objects.filter(content_type=ContentType.objects.get_for_model(_article_model()))


def unindexed_published():
    """Published articles without a row in the search index (they would not be found)."""
    from .models import ArticleStatus

    has_entry = _entries().filter(object_id=Cast(OuterRef("pk"), CharField()))
    return _article_model().objects.filter(status=ArticleStatus.PUBLISHED).filter(~Exists(has_entry)).order_by("pk")


def repair(article_ids):
    """Index those of these articles that have no index row; returns how many were."""
    ids = {int(pk) for pk in article_ids}
    if not ids:
        return 0
    present = {
        int(pk) for pk in _entries().filter(object_id__in=[str(pk) for pk in ids]).values_list("object_id", flat=True)
    }
    missing = ids - present
    if missing:
        index_articles(missing)
    return len(missing)


def remove_from_index(articles):
    """Drop these articles' index rows (what a crash could leave; used by tests and tools)."""
    for article in articles:
        modelsearch_index.remove_object(article)
