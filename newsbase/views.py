"""Site-wide endpoints that are not pages: the health check (error answers: newsbase.errors).

/healthz answers within a second whatever the database does: the query runs in a probe
thread of its own, and the answer waits for it at most HEALTHZ_BUDGET seconds. A database
that is frozen (a connection that never completes, a query that never returns) leaves that
one probe waiting, and the checks meanwhile answer 503 at once rather than pile up threads.
"""

import threading

from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import errors, outage

HEALTHZ_BUDGET = 0.8  # seconds the answer waits for the database

_probe_running = threading.Lock()  # held while a probe thread runs: at most one per process


def select_one():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _probe(result):
    try:
        select_one()
        result["ok"] = True
    except DatabaseError as exc:
        result["error"] = exc
    finally:
        connections.close_all()  # this thread's own connections; the thread ends here
        _probe_running.release()


def wait_for_probe(timeout):
    """Wait until no probe runs (tests); True when none does."""
    if _probe_running.acquire(timeout=timeout):
        _probe_running.release()
        return True
    return False


def _unindexed_published():
    """How many published articles are missing from the search index (None if it cannot say)."""
    from articles.indexing import unindexed_published

    try:
        return unindexed_published().count()
    except DatabaseError:
        return None


@never_cache
@require_safe
def healthz(request):
    """200 {"status": "ok", "database": "ok"} when the database answers SELECT 1 in time (with
    ``?deep=1`` also "unindexed_published": published articles missing from search, which
    ``reindex --missing`` repairs), else 503 {"status": "error", "database": "unavailable"} with Retry-After."""
    result = {}
    if _probe_running.acquire(blocking=False):
        try:
            threading.Thread(target=_probe, args=(result,), name="healthz-probe", daemon=True).start()
        except RuntimeError:  # no thread could start: the probe will not release the lock
            _probe_running.release()
            raise
        # The thread writes `result` before it releases the lock; join() waits no longer than the budget.
        if _probe_running.acquire(timeout=HEALTHZ_BUDGET):
            _probe_running.release()
    if result.get("ok"):
        answer = {"status": "ok", "database": "ok"}
        if request.GET.get("deep") == "1":
            answer["unindexed_published"] = _unindexed_published()
        return JsonResponse(answer)
    outage.record(result.get("error") or TimeoutError(f"no answer to SELECT 1 within {HEALTHZ_BUDGET} s"))
    response = JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    response["Retry-After"] = str(errors.RETRY_AFTER)
    response._has_been_logged = True  # newsbase.outage logs the outage once (see newsbase.errors)
    return response
