"""A database outage, as this process sees it: counted, and logged once rather than per request.

While the database does not answer, every request that needs it fails at once (1,670 in
14 s were measured, each logged with its traceback). Here the first failure logs one line,
a reminder follows once a minute while failures go on (with the number answered 503 since
the last line), and the first connection made again logs that the database is back. The
answer itself (503 with Retry-After) is written by newsbase.errors.
"""

import dataclasses
import logging
import threading
import time

from django.db import InterfaceError, OperationalError
from django.db.backends.signals import connection_created

logger = logging.getLogger(__name__)

# Errors that mean "the database is unreachable, frozen or refusing work" rather than a bug:
# a refused or dropped connection, a statement or connect timeout, "database is locked".
OUTAGE_ERRORS = (OperationalError, InterfaceError)
REMIND_EVERY = 60.0  # seconds between two lines while an outage lasts


@dataclasses.dataclass
class State:
    started: float | None = None  # monotonic time of the first failure, None when all is well
    last_logged: float = 0.0
    failures: int = 0  # requests answered 503 in this outage
    since_logged: int = 0


_state = State()
_lock = threading.Lock()


def _reason(exc):
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line[:200]}"


def record(exc, *, now=None):
    """Count one request that failed for want of the database; log only as this module's docstring says."""
    now = time.monotonic() if now is None else now
    with _lock:
        _state.failures += 1
        if _state.started is None:
            _state.started = _state.last_logged = now
            _state.since_logged = 0
            logger.error("Database unavailable (%s); answering 503 until it is back.", _reason(exc))
            return
        _state.since_logged += 1
        if now - _state.last_logged >= REMIND_EVERY:
            logger.error(
                "Database still unavailable after %d s (%s); %d requests answered 503 in the last %d s.",
                now - _state.started,
                _reason(exc),
                _state.since_logged,
                now - _state.last_logged,
            )
            _state.last_logged, _state.since_logged = now, 0


def back(*, now=None):
    """The database answered again (a connection was made): log the end of the outage, if there was one."""
    now = time.monotonic() if now is None else now
    with _lock:
        if _state.started is None:
            return
        logger.info(
            "Database available again after %d s; %d requests answered 503.", now - _state.started, _state.failures
        )
        _reset()


def state():
    """A copy of the current state (for tests and the health check)."""
    with _lock:
        return dataclasses.replace(_state)


def reset():
    with _lock:
        _reset()


def _reset():
    _state.started, _state.last_logged, _state.failures, _state.since_logged = None, 0.0, 0, 0


def _connection_created(sender, connection, **kwargs):
    if _state.started is not None:  # unlocked read: the common case costs nothing
        back()


connection_created.connect(_connection_created, dispatch_uid="newsbase.outage.back")
