"""Which outlet published a record: a Source name from a host name or a story's URL.

Feeds and scraped data sets often name the outlet by its host ("Reuters.com",
"consumer.healthday.com", "www.nytimes.com"), and the same outlet then arrives under
several spellings. ``outlet_name`` turns any host-like source (or, when a record names
none, its URL) into one name per outlet: the registrable domain in lower case
("reuters.com", "healthday.com"). A page read through a web archive
(``web.archive.org/web/<time>/<address>``) belongs to the outlet of the archived
address, not to the archive. A source that is a name ("BBC News") is kept as given; a link shortener
("tinyurl.com") names no outlet.
"""

import re
from urllib.parse import urlsplit

from django.utils.text import slugify

_HOST_RE = re.compile(r"^(?:https?://)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}(?::\d+)?/?$", re.IGNORECASE)
# Second-level labels under which a country's domains are registered ("bbc.co.uk", "abc.net.au").
_SECOND_LEVEL = {"ac", "co", "com", "edu", "gov", "govt", "net", "org", "nhs", "or", "ne", "go", "gv", "nic"}
# Hosts whose subdomains are separate outlets ("abcnews.go.com" is ABC News, not go.com).
_SHARED_HOSTS = {"go.com", "blogspot.com", "wordpress.com", "tumblr.com", "medium.com", "substack.com", "github.io"}
# Link shorteners say nothing about who published the story.
_SHORTENERS = {"tinyurl.com", "bit.ly", "t.co", "goo.gl", "ow.ly", "buff.ly", "trib.al", "wp.me", "lnkd.in"}
_ARCHIVES = {"web.archive.org", "wayback.archive.org", "archive.org", "webcache.googleusercontent.com"}
_ARCHIVED_URL = re.compile(r"/(?:web/)?\d{4,14}[a-z_]*/(.+)$", re.IGNORECASE)


def looks_like_host(text):
    """A bare host name such as "Reuters.com" or "https://www.bmj.com/" (not "BBC News")."""
    return bool(_HOST_RE.match((text or "").strip()))


def registrable_domain(host):
    """ "consumer.healthday.com" -> "healthday.com"; "news.bbc.co.uk" -> "bbc.co.uk"."""
    labels = [label for label in host.lower().strip(".").split(".") if label]
    if len(labels) <= 2:
        return ".".join(labels)
    keep = 3 if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    if ".".join(labels[-keep:]) in _SHARED_HOSTS:
        keep += 1
    return ".".join(labels[-keep:])


def host_of(url):
    """The lower-case host a URL was published at ("" if none); for an archived copy,
    the host of the archived address."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = (parts.hostname or "").lower()
    if host in _ARCHIVES:
        archived = _ARCHIVED_URL.search(parts.path + (f"?{parts.query}" if parts.query else ""))
        if archived:
            inner = archived.group(1)
            inner = re.sub(r"^(https?):/(?!/)", r"\1://", inner)  # archives sometimes squash "//"
            inner_host = host_of(inner)
            return "" if inner_host in _ARCHIVES else inner_host
    return host


def outlet_name(source, url=""):
    """The Source name for a record's `source` (a name or a host) and `url`.

    A host-like source, an archive's host, or no source at all gives the registrable
    domain of where the story was published; any other source name is kept."""
    source = " ".join((source or "").split())
    if source and not looks_like_host(source):
        return source
    host = ""
    if source:
        host = host_of(source)
        if host in _ARCHIVES:
            host = host_of(url)
    else:
        host = host_of(url)
    domain = registrable_domain(host) if host else ""
    return "" if domain in _SHORTENERS else domain


def source_slug(name):
    """The Source slug for a name: "reuters.com" -> "reuters-com" (a host keeps its dots
    as dashes), "BBC News" -> "bbc-news"; "" for no name."""
    if not name:
        return ""
    text = name.replace(".", "-") if looks_like_host(name) else name
    return slugify(text)[:200] or "source"
