"""gunicorn settings for NewsBase: `gunicorn -c gunicorn.conf.py` (README, "Production").

Threads, so that a slow client holds one thread rather than a whole worker; a 30 s worker
timeout above the database's 20 s statement timeout (DB_STATEMENT_TIMEOUT), so that a slow
query is answered 503 before its worker is killed; tight limits on the request line and
headers. Put a buffering reverse proxy (nginx) in front: it holds slow clients and sends
gunicorn complete requests. Values can be overridden from the environment (WEB_CONCURRENCY,
GUNICORN_THREADS, GUNICORN_BIND) or on the command line.
"""

import multiprocessing
import os

wsgi_app = "newsbase.wsgi:application"
bind = os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"  # the proxy's upstream

# 2 processes a core (each loads the vocabulary caches once), 4 threads each.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count())
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)

timeout = 30  # a worker silent this long is killed and replaced
graceful_timeout = 30  # on restart, requests in flight get this long to finish
keepalive = 5  # seconds an idle keep-alive connection is kept (the proxy's upstream pool)

# Request limits (gunicorn answers 400 beyond them): a 4 KB request line (a search query
# is at most 300 characters), 50 headers of at most 8 KB each.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# Replace a worker after this many requests (with jitter, not all at once), bounding
# whatever memory a long-lived process accumulates.
max_requests = 2000
max_requests_jitter = 200

# X-Forwarded-* are believed only from these proxy addresses (gunicorn's own default).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"

accesslog = "-"
errorlog = "-"
