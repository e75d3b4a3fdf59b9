"""Reading a fetched feed: RSS 2.0 (and RSS 1.0), Atom, JSON Feed and Google News
sitemaps → ``ParsedFeed(kind, title, items)``, or ``FeedError`` saying what is wrong.

XML is parsed with defusedxml: a document that declares entities (billion laughs) or
refers to external ones (XXE) is refused before anything is expanded or fetched.
Elements are matched by local name, so any namespace prefix works.
"""

import hashlib
import json
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from ...models import FeedKind

MAX_ITEMS = 1000  # items read from one document


class FeedError(Exception):
    """The document is not a feed we can read; the message says why."""


@dataclass
class Item:
    key: str  # GUID / id, else the URL
    url: str
    title: str = ""
    content: str = ""  # HTML or text the feed carries for the item
    summary: str = ""
    published: str = ""
    updated: str = ""
    author: str = ""

    @property
    def version(self):
        """Changes when the feed changes what it says of the item."""
        text = "\x1f".join((self.updated, self.title, self.summary, self.content))
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def data(self):
        return {
            "content": self.content[:200_000],
            "summary": self.summary[:20_000],
            "published": self.published,
            "updated": self.updated,
            "author": self.author[:300],
        }


@dataclass
class ParsedFeed:
    kind: str
    title: str = ""
    items: list = field(default_factory=list)


def parse_feed(body, *, base_url, kind=FeedKind.DETECT):
    """Items of a feed document (bytes) fetched from `base_url`."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if not start:
        raise FeedError("the document is empty")
    if start in (b"{", b"["):
        if kind not in (FeedKind.DETECT, FeedKind.JSON):
            raise FeedError(f"expected {FeedKind(kind).label} but the document is JSON")
        return _json_feed(body, base_url)
    root = _xml_root(body)
    name = _local(root.tag)
    found = {"rss": FeedKind.RSS, "RDF": FeedKind.RSS, "feed": FeedKind.ATOM, "urlset": FeedKind.NEWS_SITEMAP}.get(name)
    if name == "sitemapindex":
        raise FeedError("this is a sitemap index: add the news sitemaps it lists as feeds of their own")
    if found is None:
        raise FeedError(f"not a feed: the document's root element is <{name}>")
    if kind not in (FeedKind.DETECT, found):
        raise FeedError(f"expected {FeedKind(kind).label} but the document is {FeedKind(found).label}")
    reader = {FeedKind.RSS: _rss, FeedKind.ATOM: _atom, FeedKind.NEWS_SITEMAP: _sitemap}[found]
    title, items = reader(root, base_url)
    return ParsedFeed(kind=found, title=title[:300], items=_unique(items)[:MAX_ITEMS])


def _xml_root(body):
    try:
        return SafeET.fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except EntitiesForbidden as exc:
        raise FeedError(
            f"refused: the document declares the XML entity {exc.name!r} (entity expansion is not allowed)"
        ) from None
    except ExternalReferenceForbidden as exc:
        raise FeedError(f"refused: the document refers to an external resource ({exc.sysid or exc.pubid})") from None
    except (DTDForbidden, DefusedXmlException) as exc:
        raise FeedError(f"refused: {exc}") from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise FeedError(f"malformed XML at line {line}, column {column}: {exc}") from None


def _local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name):
    return [child for child in element if _local(child.tag) == name]


def _text(element, *names):
    """The stripped text of the first child with one of these local names."""
    for name in names:
        for child in _children(element, name):
            text = "".join(child.itertext()).strip()
            if text:
                return text
    return ""


def _absolute(base_url, url):
    url = (url or "").strip()
    if not url:
        return ""
    url = urljoin(base_url, url)
    return url if urlsplit(url).scheme in ("http", "https") else ""


def _unique(items):
    seen, kept = set(), []
    for item in items:
        if item.key and item.url and item.key not in seen:
            seen.add(item.key)
            kept.append(item)
    return kept


def _rss(root, base_url):
    channel = next(iter(_children(root, "channel")), root)
    title = _text(channel, "title")
    entries = _children(channel, "item") or _children(root, "item")  # RSS 1.0 puts items beside the channel
    items = []
    for entry in entries:
        url = _absolute(base_url, _text(entry, "link"))
        guid = _text(entry, "guid") or entry.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about", "")
        items.append(
            Item(
                key=(guid or url)[:1000],
                url=url,
                title=_text(entry, "title"),
                content=_text(entry, "encoded"),
                summary=_text(entry, "description"),
                published=_text(entry, "pubDate", "date"),
                updated=_text(entry, "updated", "modified"),
                author=_text(entry, "creator", "author"),
            )
        )
    return title, items


def _atom_link(entry):
    links = _children(entry, "link")
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href")
    return links[0].get("href", "") if links else ""


def _atom(root, base_url):
    items = []
    for entry in _children(root, "entry"):
        url = _absolute(base_url, _atom_link(entry))
        author = next((_text(a, "name") for a in _children(entry, "author")), "")
        items.append(
            Item(
                key=(_text(entry, "id") or url)[:1000],
                url=url,
                title=_text(entry, "title"),
                content=_text(entry, "content"),
                summary=_text(entry, "summary"),
                published=_text(entry, "published", "issued"),
                updated=_text(entry, "updated", "modified"),
                author=author,
            )
        )
    return _text(root, "title"), items


def _sitemap(root, base_url):
    items = []
    for entry in _children(root, "url"):
        url = _absolute(base_url, _text(entry, "loc"))
        news = next(iter(_children(entry, "news")), None)
        title = _text(news, "title") if news is not None else ""
        published = _text(news, "publication_date") if news is not None else ""
        items.append(Item(key=url[:1000], url=url, title=title, published=published, updated=_text(entry, "lastmod")))
    return "", items


def _json_feed(body, base_url):
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedError(f"malformed JSON Feed: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise FeedError("not a JSON Feed: it has no list of items")
    items = []
    for entry in document["items"]:
        if not isinstance(entry, dict):
            continue
        url = _absolute(base_url, _string(entry.get("url")) or _string(entry.get("external_url")))
        authors = entry.get("authors") or ([entry["author"]] if isinstance(entry.get("author"), dict) else [])
        author = next((_string(a.get("name")) for a in authors if isinstance(a, dict)), "")
        items.append(
            Item(
                key=(_string(entry.get("id")) or url)[:1000],
                url=url,
                title=_string(entry.get("title")),
                content=_string(entry.get("content_html")) or _string(entry.get("content_text")),
                summary=_string(entry.get("summary")),
                published=_string(entry.get("date_published")),
                updated=_string(entry.get("date_modified")),
                author=author,
            )
        )
    return ParsedFeed(kind=FeedKind.JSON, title=_string(document.get("title"))[:300], items=_unique(items)[:MAX_ITEMS])


def _string(value):
    return value.strip() if isinstance(value, str) else (str(value) if isinstance(value, int) else "")
