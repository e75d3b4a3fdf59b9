"""A real HTTP server on 127.0.0.1 for the feed tests, and feeds and pages written for them.

``Server.routes`` maps a path to a function of the request handler returning
``(status, headers, body)``; ``Server.hits`` lists the paths asked for. The stories are
made up here, sentence by sentence from a seeded generator, so no two are alike.
"""

import html
import random
import time

from articles.bench.feedserver import Server

__all__ = ["Server", "atom", "news_sitemap", "page", "rss", "slow", "static", "story_text", "with_etag"]

# Plain words of health-news prose that name no drug, condition or institution (bulk stories).
FILLER_WORDS = (
    "clinic",
    "nurses",
    "found",
    "patients",
    "ward",
    "morning",
    "weekly",
    "results",
    "doses",
    "council",
    "budget",
    "winter",
    "rural",
    "families",
    "scan",
    "blood",
    "test",
    "early",
    "signs",
    "study",
    "group",
    "volunteers",
    "injection",
    "tablet",
    "months",
    "researchers",
    "university",
    "reported",
    "journal",
    "funding",
    "charity",
    "screening",
    "programme",
    "waiting",
    "list",
    "surgeons",
)

SUBJECTS = [
    "A county clinic",
    "Nurses at a rural ward",
    "A small group of volunteers",
    "The regional health board",
    "Researchers at a teaching hospital",
    "A charity for carers",
    "Pharmacists in three towns",
    "A school nurse team",
    "The city's ambulance crews",
    "A family doctors' network",
]
VERBS = [
    "reported",
    "tested",
    "tracked",
    "described",
    "compared",
    "reviewed",
    "counted",
    "measured",
    "recorded",
    "followed",
]
OBJECTS = [
    "waiting times for knee scans",
    "how often patients missed a second dose",
    "the number of winter admissions for falls",
    "blood pressure readings taken at home",
    "sleep diaries kept by shift workers",
    "the cost of travel to weekly appointments",
    "hand-washing rates before meals",
    "how long a walking programme kept people active",
    "the share of adults who booked an eye check",
    "changes in lunch menus at two schools",
]
ENDINGS = [
    "over eighteen months",
    "during a wet autumn",
    "after a new booking system began",
    "in a trial that ended last spring",
    "with help from local libraries",
    "before the budget was cut",
    "using paper forms and a phone line",
    "across twelve villages",
    "in a pilot funded by the council",
    "while a new wing was being built",
]


def story_text(seed, paragraphs=3):
    """Paragraphs of invented, plain news prose (about 25 words a sentence)."""
    rng = random.Random(seed)
    out = []
    for _ in range(paragraphs):
        sentences = [
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(ENDINGS)}, "
            f"and {rng.choice(SUBJECTS).lower()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(ENDINGS)}."
            for _ in range(3)
        ]
        out.append(" ".join(sentences))
    return out


def page(title, paragraphs, *, canonical="", author="Robin Example", published="2026-11-20T09:30:00Z"):
    """An outlet's story page (str)."""
    head = [f"<title>{html.escape(title)}</title>", '<meta charset="utf-8">']
    if canonical:
        head.append(f'<link rel="canonical" href="{html.escape(canonical)}">')
    if author:
        head.append(f'<meta name="author" content="{html.escape(author)}">')
    if published:
        head.append(f'<meta property="article:published_time" content="{published}">')
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html lang='en'><head>{''.join(head)}</head><body>"
        "<nav><a href='/'>Home</a> <a href='/health'>Health</a></nav>"
        f"<main><article><h1>{html.escape(title)}</h1>{body}</article></main>"
        "<footer>Made-up Outlet, for tests</footer></body></html>"
    )


def rss(items, *, title="Made-up Health Desk"):
    """RSS 2.0; items are dicts with guid, link, title, description, pubDate (optional)."""
    parts = []
    for item in items:
        fields = "".join(
            f"<{name}>{html.escape(str(item[name]))}</{name}>"
            for name in ("title", "link", "guid", "description", "pubDate")
            if item.get(name)
        )
        parts.append(f"<item>{fields}</item>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>http://example.invalid/</link>"
        f"<description>Tests</description>{''.join(parts)}</channel></rss>"
    ).encode()


def atom(entries, *, title="Made-up Science Desk"):
    parts = []
    for e in entries:
        parts.append(
            f"<entry><id>{html.escape(e['id'])}</id><title>{html.escape(e['title'])}</title>"
            f'<link rel="alternate" href="{html.escape(e["link"])}"/>'
            f"<updated>{e.get('updated', '2026-11-20T10:00:00Z')}</updated>"
            f"<author><name>{html.escape(e.get('author', 'Sam Example'))}</name></author>"
            f"<summary>{html.escape(e.get('summary', ''))}</summary></entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{html.escape(title)}</title><id>urn:test:atom</id><updated>2026-11-20T10:00:00Z</updated>"
        f"{''.join(parts)}</feed>"
    ).encode()


def news_sitemap(urls):
    """A Google News sitemap; urls are (loc, title, publication date)."""
    parts = "".join(
        f"<url><loc>{html.escape(loc)}</loc><news:news><news:publication><news:name>Made-up Times</news:name>"
        f"<news:language>en</news:language></news:publication><news:publication_date>{date}"
        f"</news:publication_date><news:title>{html.escape(title)}</news:title></news:news></url>"
        for loc, title, date in urls
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{parts}</urlset>"
    ).encode()


def static(body, content_type="text/html; charset=utf-8", status=200, headers=None):
    return lambda handler: (status, {"Content-Type": content_type, **(headers or {})}, body)


def with_etag(body, etag, content_type="application/rss+xml"):
    """A document that answers 304 when asked with its ETag."""

    def route(handler):
        if handler.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"Content-Type": content_type, "ETag": etag}, body

    return route


def slow(seconds, body=b"<rss/>"):
    def route(handler):
        time.sleep(seconds)
        return 200, {"Content-Type": "application/rss+xml"}, body

    return route
