"""The content stamp: what cached search results and HTTP validators are keyed by.

``current()`` is (token, changed_at) of the one ContentStamp row (one query, or none inside
a request whose middleware read it already: ``newsbase.httpcache``). ``bump()`` gives it a new
random token in the caller's transaction: readers see the new token exactly when they see the
change, and a rolled-back change leaves the old one (a random token, not a counter, so that a
rolled-back token is never reused). Bumped by ``services.sync_link_dates`` (publish, status,
link visibility), ``services.merge_entities``, and on saving or deleting an article, an entity,
an alias or a tree number (signals, connected in ``apps``).
"""

import contextvars
import uuid

from django.db import connection
from django.utils import timezone

from .models import ContentStamp

_request_stamp = contextvars.ContextVar("content_stamp", default=None)
TABLE = ContentStamp._meta.db_table


def current():
    """(token, changed_at) — the request's if set, else read (one query)."""
    stamp = _request_stamp.get()
    if stamp is not None:
        return stamp
    row = ContentStamp.objects.filter(pk=1).values_list("token", "changed_at").first()
    return row or ("none", None)


def set_for_request(stamp):
    """Fix the stamp for the rest of a request (a context token for ``reset``)."""
    return _request_stamp.set(stamp)


def reset(token):
    _request_stamp.reset(token)


def bump(**_signal_kwargs):
    """A new token (one UPDATE; the row is created when missing). Usable as a signal receiver."""
    token, now = uuid.uuid4().hex, timezone.now()
    when = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET token = %s, changed_at = %s WHERE id = 1", [token, when])  # noqa: S608
        updated = cursor.rowcount
    if not updated:
        ContentStamp.objects.update_or_create(pk=1, defaults={"token": token, "changed_at": now})
    if _request_stamp.get() is not None:  # this request's later reads see its own change
        _request_stamp.set((token, now))
