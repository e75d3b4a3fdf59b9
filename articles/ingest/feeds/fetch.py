"""Fetching feeds and pages politely and safely: ``fetch(url, accept=...)`` returns a
``Response`` or raises ``FetchError`` saying what went wrong.

Bounds: connect and read timeouts plus a deadline for the whole body (a server that
drips bytes is cut off), a size cap (``FETCH_MAX_BYTES``), a redirect limit, and the
content types a caller accepts. Safety: every connection's peer address is checked after
the connect (so a name resolving to an internal address, even one that changes between
look-ups, is refused): private, loopback, link-local, multicast and reserved addresses are
never reached (``FETCH_ALLOW_PRIVATE=1`` allows loopback, for tests only). Politeness:
robots.txt is asked first, and again for every address a redirect leads to (fetched once
an hour per host, for all workers), and at most one request per host is in flight across
all workers, each leaving ``FETCH_HOST_DELAY`` seconds before the next
(``HostSlot`` rows in the database). Conditional GET: pass the stored ``ETag`` and
``Last-Modified``; an unchanged document is a ``Response`` with status 304 and no body.
"""

import ipaddress
import time
import urllib.robotparser
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ..extract import _META_CHARSET

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
    "text/plain",  # some servers say this of static .xml files; the parser decides
)
PAGE_TYPES = ("text/html", "application/xhtml+xml")
ROBOTS_TTL = 3600
CHUNK = 64 * 1024


class FetchError(Exception):
    """A fetch that failed; ``status`` is the HTTP status when there was one and
    ``retry_after`` the seconds a 429/503 asked us to wait (or None)."""

    def __init__(self, message, *, status=None, retry_after=None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass
class Response:
    url: str  # after redirects
    status: int
    body: bytes = b""
    content_type: str = ""
    charset: str = ""
    etag: str = ""
    last_modified: str = ""
    headers: dict = field(default_factory=dict)

    @property
    def not_modified(self):
        return self.status == 304


# --------------------------------------------------------------------------- addresses


def address_refused(address):
    """Why this IP address may not be fetched from, or "" when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "" if settings.FETCH_ALLOW_PRIVATE else "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "not a public address"
    return ""


class _CheckedPeer:
    """Refuses the connection when the address it reached is not allowed."""

    def _new_conn(self):
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        why = address_refused(peer)
        if why:
            sock.close()
            raise FetchError(f"refused: {self.host} is {why} ({peer})")
        return sock


class CheckedHTTPConnection(_CheckedPeer, HTTPConnection):
    pass


class CheckedHTTPSConnection(_CheckedPeer, HTTPSConnection):
    pass


class CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = CheckedHTTPConnection


class CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = CheckedHTTPSConnection


_manager = None


def manager():
    global _manager
    if _manager is None:
        _manager = urllib3.PoolManager(num_pools=50, maxsize=2, retries=False)
        _manager.pool_classes_by_scheme = {"http": CheckedHTTPPool, "https": CheckedHTTPSPool}
    return _manager


def check_url(url):
    """The URL's host, or FetchError when it is no http(s) address or names a refused IP."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"not an http(s) address: {url[:200]!r}")
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None:
        why = address_refused(str(literal))
        if why:
            raise FetchError(f"refused: {parts.hostname} is {why}")
    return parts.hostname.lower()


# --------------------------------------------------------------------------- one host at a time


def _host_key(url):
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or ''}".lower()[:255]


def take_host(url, *, wait=60.0):
    """Wait for the host's slot and take it for the length of one request (at most the
    timeouts); FetchError if it stays busy `wait` seconds."""
    from ...models import HostSlot

    host = _host_key(url)
    hold = timedelta(seconds=settings.FETCH_CONNECT_TIMEOUT + 2 * settings.FETCH_READ_TIMEOUT + 5)
    deadline = time.monotonic() + wait
    while True:
        now = timezone.now()
        with bookkeeping():
            taken = HostSlot.objects.filter(host=host, busy_until__lte=now).update(busy_until=now + hold)
        if not taken and not HostSlot.objects.filter(host=host).exists():
            try:
                with transaction.atomic():
                    HostSlot.objects.create(host=host, busy_until=now + hold)
                taken = 1
            except IntegrityError:
                taken = 0
        if taken:
            return host
        if time.monotonic() > deadline:
            raise FetchError(f"{host} stayed busy for {wait:.0f} s (another worker is fetching from it)")
        time.sleep(0.05)


def release_host(host):
    from ...models import HostSlot

    with bookkeeping():
        HostSlot.objects.filter(host=host).update(
            busy_until=timezone.now() + timedelta(seconds=settings.FETCH_HOST_DELAY)
        )


@contextmanager
def bookkeeping():
    """A transaction for the poller's own small writes (host slots, claims, marks): on
    PostgreSQL its commit does not wait for the disk (4–8× faster here). Other workers see
    it at once; only a crash of the database server could lose it, which costs a slot, a
    claim or a mark that the next poll redoes (an import is idempotent), never an article."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


# --------------------------------------------------------------------------- robots.txt

_robots = {}  # "host:port" -> (expires, parser or None when all is allowed)


def robots_allows(url):
    """Whether robots.txt lets us fetch `url`. A host's robots.txt is fetched once an hour
    for all workers (kept on its HostSlot row) and parsed once per process."""
    from ...models import HostSlot

    parts = urlsplit(url)
    host = _host_key(url)
    cached = _robots.get(host)
    if cached is None or cached[0] < time.monotonic():
        fresh_since = timezone.now() - timedelta(seconds=ROBOTS_TTL)
        stored = HostSlot.objects.filter(host=host, robots_fetched_at__gte=fresh_since).values_list("robots", flat=True)
        text = next(iter(stored), None)
        if text is None:
            text = _fetch_robots(f"{parts.scheme}://{parts.netloc}/robots.txt", parts.netloc)
            updated = HostSlot.objects.filter(host=host).update(robots=text, robots_fetched_at=timezone.now())
            if not updated:
                HostSlot.objects.get_or_create(
                    host=host, defaults={"robots": text, "robots_fetched_at": timezone.now()}
                )
        parser = None
        if text.strip():
            parser = urllib.robotparser.RobotFileParser()
            parser.parse(text.splitlines())
        cached = (time.monotonic() + ROBOTS_TTL, parser)
        _robots[host] = cached
    parser = cached[1]
    return parser is None or parser.can_fetch(settings.FETCH_USER_AGENT, url)


def _fetch_robots(url, netloc):
    """robots.txt's text; "" when there is none (404) or it is unreadable (all allowed)."""
    try:
        response = _get(url, accept=("text/plain", ""), conditional={}, robots=False)
    except FetchError as exc:
        if exc.status is not None and exc.status >= 500:
            raise FetchError(f"robots.txt of {netloc} answers {exc.status}; not fetching for now") from exc
        return ""
    return response.body.decode("utf-8", "replace") if response.status == 200 else ""


def forget_robots():
    _robots.clear()


# --------------------------------------------------------------------------- fetching


def fetch(url, *, accept, etag="", last_modified="", robots=True):
    """GET `url` (following redirects up to FETCH_MAX_REDIRECTS), asking robots.txt first,
    for the address and for every address a redirect leads to."""
    check_url(url)
    if robots:
        _ask_robots(url)
    conditional = {}
    if etag:
        conditional["If-None-Match"] = etag
    if last_modified:
        conditional["If-Modified-Since"] = last_modified
    return _get(url, accept=accept, conditional=conditional, robots=robots)


def _ask_robots(url):
    if not robots_allows(url):
        raise FetchError(f"robots.txt of {urlsplit(url).netloc} disallows {url[:200]}")


def _get(url, *, accept, conditional, robots):
    seen = [url]
    for _ in range(settings.FETCH_MAX_REDIRECTS + 1):
        response = _get_one(url, accept=accept, conditional=conditional)
        if not isinstance(response, str):
            return response
        url = response
        if url in seen:
            raise FetchError(f"redirect loop: {' → '.join(seen[-3:])} → {url}")
        seen.append(url)
        if robots:  # a redirect may lead to another host, or to a path this one disallows
            check_url(url)
            _ask_robots(url)
    raise FetchError(f"more than {settings.FETCH_MAX_REDIRECTS} redirects (last to {url[:200]})")


def _get_one(url, *, accept, conditional):
    """A Response, or the address a redirect points to."""
    check_url(url)
    headers = {"User-Agent": settings.FETCH_USER_AGENT, "Accept-Encoding": "gzip, deflate", **conditional}
    timeout = urllib3.Timeout(connect=settings.FETCH_CONNECT_TIMEOUT, read=settings.FETCH_READ_TIMEOUT)
    host = take_host(url)
    try:
        try:
            raw = manager().request(
                "GET", url, headers=headers, timeout=timeout, redirect=False, preload_content=False, retries=False
            )
        except FetchError:
            raise
        except urllib3.exceptions.ConnectTimeoutError as exc:
            raise FetchError(f"connect timeout after {settings.FETCH_CONNECT_TIMEOUT} s: {url[:200]}") from exc
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise FetchError(f"read timeout after {settings.FETCH_READ_TIMEOUT} s: {url[:200]}") from exc
        except urllib3.exceptions.HTTPError as exc:
            cause = exc.__context__ if isinstance(exc.__context__, FetchError) else None
            if cause is not None:
                raise cause from None
            raise FetchError(f"could not connect: {exc}") from exc
        try:
            return _response(url, raw, accept)
        finally:
            raw.release_conn()
    finally:
        release_host(host)


def _response(url, raw, accept):
    status = raw.status
    if status in (301, 302, 303, 307, 308):
        location = raw.headers.get("Location")
        raw.drain_conn()
        if not location:
            raise FetchError(f"{status} redirect without a Location from {url[:200]}", status=status)
        return urljoin(url, location)
    if status == 304:
        return Response(url=url, status=304, etag=raw.headers.get("ETag", ""))
    if status != 200:
        raw.drain_conn()
        retry_after = parse_retry_after(raw.headers.get("Retry-After")) if status in (429, 503) else None
        wait = f"; retry after {retry_after:.0f} s" if retry_after is not None else ""
        raise FetchError(f"HTTP {status} from {url[:200]}{wait}", status=status, retry_after=retry_after)
    content_type, charset = _content_type(raw.headers.get("Content-Type", ""))
    if accept and content_type not in accept and "" not in accept:
        raw.drain_conn()
        raise FetchError(f"wrong content type {content_type or '(none)'!r} from {url[:200]}; expected {accept[0]}")
    body = _read_capped(raw, url)
    return Response(
        url=url,
        status=200,
        body=body,
        content_type=content_type,
        charset=charset,
        etag=raw.headers.get("ETag", "")[:500],
        last_modified=raw.headers.get("Last-Modified", "")[:100],
        headers=dict(raw.headers),
    )


def _content_type(value):
    kind, _, params = value.partition(";")
    charset = ""
    for param in params.split(";"):
        name, _, val = param.strip().partition("=")
        if name.lower() == "charset":
            charset = val.strip().strip("\"'")
    return kind.strip().lower(), charset


def _read_capped(raw, url):
    cap = settings.FETCH_MAX_BYTES
    declared = raw.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cap:
        raise FetchError(
            f"too large: {int(declared):,} bytes declared by {url[:200]}; the cap is {cap:,} (FETCH_MAX_BYTES)"
        )
    deadline = time.monotonic() + settings.FETCH_CONNECT_TIMEOUT + 2 * settings.FETCH_READ_TIMEOUT
    parts, size = [], 0
    try:
        for chunk in raw.stream(CHUNK, decode_content=True):
            size += len(chunk)
            if size > cap:
                raise FetchError(f"too large: more than {cap:,} bytes from {url[:200]} (FETCH_MAX_BYTES)")
            if time.monotonic() > deadline:
                raise FetchError(f"too slow: the body of {url[:200]} took longer than the read deadline")
            parts.append(chunk)
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise FetchError(f"read timeout after {settings.FETCH_READ_TIMEOUT} s: {url[:200]}") from exc
    except urllib3.exceptions.HTTPError as exc:
        raise FetchError(f"the body of {url[:200]} could not be read: {exc}") from exc
    return b"".join(parts)


def parse_retry_after(value):
    """Seconds from a Retry-After header (a number, or an HTTP date), or None."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def page_text(response):
    """The HTML page as text: the charset the header names, a BOM, the page's own <meta>
    charset, UTF-8, else the encoding charset-normalizer finds most likely."""
    data = response.body
    candidates = []
    if response.charset:
        candidates.append(response.charset)
    if data.startswith(b"\xef\xbb\xbf"):
        candidates.insert(0, "utf-8-sig")
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        candidates.append(declared.group(1).decode("ascii", "replace"))
    candidates.append("utf-8")
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise FetchError(f"{response.url[:200]}: the page's encoding could not be found")
    return str(best)
