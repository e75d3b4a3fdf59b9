"""`manage.py loadtest` (``make loadtest``): requests per second under concurrent load, on loopback.

Starts gunicorn with the repository's gunicorn.conf.py on 127.0.0.1 (a free port), waits for
/healthz, then for each URL runs a closed-loop client — `connections` threads, each with its
own keep-alive HTTP/1.1 connection, sending the next request when the last answer is read —
for `seconds`, and prints requests per second, p50 and p99 latency and errors (a status other
than 200/304, or a failed connection). The server is stopped afterwards, whatever happens.
Bounded: at most MAX_TOTAL seconds of load per run, loopback only (the client refuses any
other host). Requests are anonymous; with `conditional`, each connection sends back the ETag
it was given (a reader's browser or a proxy revalidating), so the answers are 304s.

The client is Python (threads, http.client): it shares the machine's cores with the server,
so the figures are a floor for the server alone; run it on the machine the site runs on.
"""

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.db.models import Count

from ..browse import BranchArticleIds
from ..models import ArticleCondition, Condition, ConditionTreeNumber

MAX_TOTAL = 30  # seconds of load per run, all URLs together
STARTUP_TIMEOUT = 60  # seconds gunicorn may take to answer /healthz (workers load the vocabulary)


@dataclass
class Outcome:
    latencies: list = field(default_factory=list)
    errors: int = 0
    reasons: dict = field(default_factory=dict)  # {exception name: count} of failed requests
    statuses: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def requests(self):
        return len(self.latencies)

    def percentile(self, share):
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port, env):
    base = Path(settings.BASE_DIR)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(base / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "/dev/null",
    ]
    return subprocess.Popen(command, cwd=base, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603


def wait_until_up(port, server):
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ValueError(f"gunicorn stopped at start: {server.stderr.read().decode()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise ValueError(f"gunicorn did not answer /healthz within {STARTUP_TIMEOUT}s.")


def _worker(port, path, until, outcome, lock, conditional):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    etag = None
    latencies, errors, statuses, reasons = [], 0, {}, {}
    while time.monotonic() < until:
        headers = {"Host": "127.0.0.1"}
        if conditional and etag:
            headers["If-None-Match"] = etag
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors += 1
            reasons[type(exc).__name__] = reasons.get(type(exc).__name__, 0) + 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        latencies.append(time.perf_counter() - started)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.status not in (200, 304):
            errors += 1
        etag = response.getheader("ETag") or etag
    connection.close()
    with lock:
        outcome.latencies.extend(latencies)
        outcome.errors += errors
        for status, n in statuses.items():
            outcome.statuses[status] = outcome.statuses.get(status, 0) + n
        for reason, n in reasons.items():
            outcome.reasons[reason] = outcome.reasons.get(reason, 0) + n


def load(port, path, *, seconds, connections, conditional=False):
    outcome, lock = Outcome(), threading.Lock()
    started = time.monotonic()
    until = started + seconds
    threads = [
        threading.Thread(target=_worker, args=(port, path, until, outcome, lock, conditional))
        for _ in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.seconds = time.monotonic() - started
    return outcome


def default_condition_path():
    """The page of the condition, among the most linked ones with narrower conditions, whose
    branch holds the most articles (the heaviest narrower page a reader commonly opens)."""
    top = list(ArticleCondition.objects.public().values_list("condition").annotate(n=Count("pk")).order_by("-n")[:50])
    branches = ConditionTreeNumber.branches([pk for pk, _ in top])
    wide = [pk for pk, _ in top if branches[pk]]
    if not wide:
        raise ValueError("No condition with narrower conditions has articles: pass --path.")
    best = max(wide, key=lambda pk: BranchArticleIds([pk, *(c for c, _, _ in branches[pk])]).count())
    return Condition.objects.get(pk=best).get_absolute_url()


def run(command, *, paths=None, seconds=10, connections=16, conditional=False, **options):
    write = command.stdout.write
    paths = paths or ["/api/search/?q=ruxolitinib", default_condition_path()]
    for path in paths:
        if not path.startswith("/") or urlsplit(path).netloc:
            raise ValueError(f"{path!r}: give a path on this site (loopback only), such as /api/search/?q=x.")
    if seconds * len(paths) > MAX_TOTAL:
        raise ValueError(f"{len(paths)} URLs × {seconds}s is more than {MAX_TOTAL}s of load: use --seconds.")
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: pages need the manifest
    port = free_port()
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1,localhost", "GUNICORN_BIND": f"127.0.0.1:{port}"}
    server = start_server(port, env)
    try:
        wait_until_up(port, server)
        for path in paths:  # warm every worker once (the first request in a process loads vocabulary caches)
            load(port, path, seconds=1, connections=connections, conditional=conditional)
        workers = os.environ.get("WEB_CONCURRENCY") or "2 × CPUs"
        write(
            f"gunicorn -c gunicorn.conf.py (workers {workers}, threads {os.environ.get('GUNICORN_THREADS') or 4}) · "
            f"{connections} connections · {seconds}s per URL · {os.cpu_count()} CPUs · "
            f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
            + (" · conditional GETs (If-None-Match)" if conditional else "")
        )
        header = f"{'URL':<48}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}  statuses"
        write(header)
        write("-" * len(header))
        for path in paths:
            outcome = load(port, path, seconds=seconds, connections=connections, conditional=conditional)
            rate = outcome.requests / outcome.seconds if outcome.seconds else 0.0
            statuses = ", ".join(
                [f"{status}×{n}" for status, n in sorted(outcome.statuses.items())]
                + [f"{reason}×{n}" for reason, n in sorted(outcome.reasons.items())]
            )
            write(
                f"{path[:47]:<48}{rate:>8.0f}{outcome.percentile(0.5):>9.1f}{outcome.percentile(0.99):>9.1f}"
                f"{outcome.errors:>8}  {statuses}"
            )
            if outcome.latencies:
                write(f"  mean {statistics.fmean(outcome.latencies) * 1000:.1f} ms over {outcome.requests:,} requests")
    finally:
        server.terminate()
        try:
            server.wait(timeout=35)
        except subprocess.TimeoutExpired:
            server.kill()
