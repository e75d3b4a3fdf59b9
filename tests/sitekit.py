"""Helpers for the public-site tests: fetch a page, read its <head>, cut out a part, read a feed."""

import datetime
import re
from html import unescape
from types import SimpleNamespace
from xml.etree import ElementTree

from .searchkit import NOW, story

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def get(client, url, **params):
    """(response, decoded body) of a GET."""
    response = client.get(url, params)
    return response, response.content.decode()


def head(html):
    """The <head> a crawler or feed reader reads: title, description, canonical, alternates {type: href}."""
    part = html.split("</head>", 1)[0]
    return SimpleNamespace(
        title=unescape(re.search(r"<title>(.*?)</title>", part, re.S).group(1)),
        description=unescape(re.search(r'<meta name="description" content="([^"]*)"', part).group(1)),
        canonical=unescape(re.search(r'<link rel="canonical" href="([^"]*)"', part).group(1)),
        alternates=dict(re.findall(r'<link rel="alternate" type="([^"]+)" title="[^"]*" href="([^"]*)"', part)),
    )


def between(html, start, end):
    """The part of `html` from the first `start` to the next `end` (ValueError when absent)."""
    begin = html.index(start)
    return html[begin : html.index(end, begin + len(start))]


def listed(html):
    """Paths of the articles listed (list items), in page order."""
    return re.findall(r'<article class="item">\s*<h3><a href="([^"]+)"', html)


def paths(articles):
    return [article.get_absolute_url() for article in articles]


def dated(title, day, links=(), **fields):
    """A published story (searchkit.story) on `day` (a date), at noon UTC."""
    when = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    return story(title, f"{title}.\n\nA second paragraph.", days_ago=(NOW - when).days, links=links, **fields)


def xml(response):
    """The root element of an XML response (our own output, so the standard parser will do)."""
    return ElementTree.fromstring(response.content)  # noqa: S314


def feed(response):
    """(feed title, [(item title, item path)]) of an RSS 2.0 or Atom response, parsed as XML."""
    root = xml(response)
    if root.tag == "rss":
        channel = root.find("channel")
        items = [(i.findtext("title"), i.findtext("link")) for i in channel.findall("item")]
        title = channel.findtext("title")
    else:
        items = [(e.findtext(f"{ATOM}title"), e.find(f"{ATOM}link").get("href")) for e in root.findall(f"{ATOM}entry")]
        title = root.findtext(f"{ATOM}title")
    return title, [(text, link.removeprefix("http://testserver")) for text, link in items]
