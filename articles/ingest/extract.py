"""Turn files, uploads and pasted text into records for the import pipeline.

Every reader yields ``Record`` objects, or ``ReadError`` for what cannot be read (with
where and why), so one bad file or line never stops the others. Supported:

- ``.txt``: the first non-empty line is the title, the rest the story;
- ``.html`` / ``.htm``: main text, title, date, author, canonical URL and site name
  extracted with trafilatura (no network: it only parses what it is given);
- ``.json``: a list of records (or one record); ``.jsonl``: one record per line. Record
  keys: ``title``, ``body`` (plain text) or ``html`` (a page or fragment), ``url``,
  ``source``, ``published``, ``author``, ``summary``;
- pasted text: plain text (first line the title) unless it is plainly HTML, see
  ``looks_like_html``; the admin also lets the editor say which it is.

Plain text is never parsed as markup: "P<.001", "a<b" and "<VGPR" are text, and only
``.html`` files, the ``html`` key and pasted HTML go through trafilatura.
- directories: every supported file inside, recursively, in name order (hidden files and
  other extensions are skipped and counted).

Files are read as streams, so memory does not grow with the input: a ``.jsonl`` file
(or upload) line by line, a line longer than ``max_line_bytes()`` refused without being
held whole; a ``.txt``, ``.html`` or ``.json`` file is refused above its cap
(``IMPORT_MAX_BODY_BYTES``, default 1 MB, for text; ten times that for a page of HTML;
fifty times for a ``.json`` list, which is parsed whole: use ``.jsonl`` for more) before
more than the cap is read. A JSON value nested too deeply to parse is that line's failure.
"""

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

SUPPORTED = {".txt", ".html", ".htm", ".json", ".jsonl"}
RECORD_KEYS = ("title", "body", "html", "url", "source", "published", "author", "summary")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# Elements that a news page or a copied fragment of one is made of.
_HTML_ELEMENTS = (
    "html|head|body|article|main|section|header|footer|nav|aside|div|span|p|br|hr|h[1-6]|a|b|i|em|strong|"
    "ul|ol|li|dl|dt|dd|table|thead|tbody|tr|td|th|blockquote|figure|figcaption|img|meta|title|script|style|"
    "time|small|sup|sub|pre|code|font|center|iframe|noscript|link|form"
)
_STARTS_WITH_DOCUMENT = re.compile(r"\A\s*(?:<!doctype\s+html|<html(?=[\s>]))", re.IGNORECASE)
_STARTS_WITH_MARKUP = re.compile(rf"\A\s*(?:<!--|<(?:{_HTML_ELEMENTS})(?=[\s>/]))", re.IGNORECASE)
_END_TAG = re.compile(rf"</(?:{_HTML_ELEMENTS})\s*>", re.IGNORECASE)
PLAIN, HTML, DETECT = "text", "html", "detect"


@dataclass
class Record:
    """One story as read, before validation and cleaning."""

    where: str  # "file.jsonl line 3", "upload.json record 2", "pasted text"
    title: str = ""
    body: str = ""
    html: str = ""
    url: str = ""
    source: str = ""
    published: object = None
    author: str = ""
    summary: str = ""
    from_txt: bool = False  # body still holds the title line (see clean.split_title)
    default_published: object = None  # the importer's date, used when the story states none
    page_url: str = ""  # where `html` was fetched from: its canonical address (same site) wins, else this
    problems: list = field(default_factory=list)  # wrong types found while reading


@dataclass
class ReadError:
    where: str
    reason: str


@dataclass
class Skipped:
    where: str
    reason: str


DEFAULT_MAX_BODY_BYTES = 1_000_000
HTML_FACTOR = 10  # a page's markup is several times its text
JSON_FACTOR = 50  # a .json list of stories, parsed whole
LIMIT_NAME = "IMPORT_MAX_BODY_BYTES"


def max_body_bytes():
    """The largest story text a record may carry (settings.IMPORT_MAX_BODY_BYTES)."""
    return int(getattr(settings, LIMIT_NAME, DEFAULT_MAX_BODY_BYTES))


def max_html_bytes():
    return HTML_FACTOR * max_body_bytes()


def max_line_bytes():
    """The longest .jsonl line read: a record with a page of HTML and its other fields."""
    return max_html_bytes() + 65_536


def _file_cap(suffix):
    """(bytes, how the limit is named) for a whole-file read of this type."""
    if suffix == ".txt":
        return max_body_bytes() + 4096, f"{LIMIT_NAME} ({max_body_bytes():,} bytes of story text)"
    if suffix in {".html", ".htm"}:
        return max_html_bytes(), f"{HTML_FACTOR} × {LIMIT_NAME} for a page of HTML"
    return JSON_FACTOR * max_body_bytes(), f"{JSON_FACTOR} × {LIMIT_NAME} for a .json file; use .jsonl for more"


def _size(n):
    return f"{n / 1e6:,.1f} MB" if n >= 1e6 else f"{n:,} bytes"


def decode(data, where, *, html=False):
    """UTF-8 text (a BOM is fine); HTML may declare another charset. Else a ReadError."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if html:
            declared = _META_CHARSET.search(data[:4096])
            if declared:
                try:
                    return data.decode(declared.group(1).decode("ascii"))
                except (LookupError, UnicodeDecodeError):
                    pass
        return ReadError(
            where,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start}); save the file as UTF-8",
        )


def read_bytes(name, data, *, where=None):
    """Records from the contents of one file called `name` (an upload, or a file read from disk)."""
    where = where or name
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        yield ReadError(where, f"unsupported file type {suffix or '(none)'!r}; use .txt, .html, .htm, .json or .jsonl")
        return
    if not data.strip():
        yield ReadError(where, "the file is empty")
        return
    text = decode(data, where, html=suffix in {".html", ".htm"})
    if isinstance(text, ReadError):
        yield text
        return
    if suffix == ".txt":
        yield Record(where=where, body=text, from_txt=True)
    elif suffix in {".html", ".htm"}:
        yield Record(where=where, html=text)
    elif suffix == ".json":
        yield from _json_records(text, where)
    else:
        yield from _jsonl_records(text, where)


def read_upload(name, data):
    """Records from an uploaded file (bytes, or a binary file object), named as the user named it."""
    yield from read_stream(name, io.BytesIO(data) if isinstance(data, bytes | bytearray) else data)


def read_stream(name, handle, *, where=None):
    """Records from a binary file object, read as a stream (see the module docstring)."""
    where = where or name
    suffix = Path(name).suffix.lower()
    if suffix == ".jsonl":
        yield from _jsonl_stream(handle, where)
        return
    if suffix not in SUPPORTED:
        yield from read_bytes(name, b"", where=where)  # the unsupported-type message
        return
    cap, limit = _file_cap(suffix)
    data = handle.read(cap + 1)
    if len(data) > cap:
        yield ReadError(where, f"the file is larger than {_size(cap)}, the limit ({limit})")
        return
    yield from read_bytes(name, data, where=where)


def looks_like_html(text):
    """Whether pasted text is HTML: it opens as an HTML document (a doctype or <html>), or
    opens with a comment or a tag of an HTML element and closes at least one element. A
    story that merely contains "<" ("P<.001", "a<b", "<VGPR", even "<b>" quoted in a
    sentence) opens with its title, so it stays text."""
    text = (text or "").lstrip("\ufeff")
    if _STARTS_WITH_DOCUMENT.match(text):
        return True
    return bool(_STARTS_WITH_MARKUP.match(text) and _END_TAG.search(text))


def read_pasted(text, *, where="pasted text", kind=DETECT):
    """One record from pasted plain text (first line the title) or HTML; `kind` is
    PLAIN, HTML or DETECT (``looks_like_html`` decides)."""
    text = text or ""
    if kind == HTML or (kind == DETECT and looks_like_html(text)):
        yield Record(where=where, html=text)
    else:
        yield Record(where=where, body=text, from_txt=True)


def read_path(path):
    """Records from a file or, recursively, a directory."""
    path = Path(path)
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_dir():
                continue
            relative = child.relative_to(path)
            if any(part.startswith(".") for part in relative.parts):
                continue
            if child.suffix.lower() not in SUPPORTED:
                yield Skipped(str(child), f"not an importable file type ({child.suffix or 'no extension'})")
                continue
            yield from _read_file(child)
    elif path.exists():
        yield from _read_file(path)
    else:
        yield ReadError(str(path), "no such file or directory")


def _read_file(path):
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield ReadError(str(path), f"cannot read the file: {exc.strerror or exc}")
        return
    with handle:
        try:
            yield from read_stream(path.name, handle, where=str(path))
        except OSError as exc:
            yield ReadError(str(path), f"cannot read the file: {exc.strerror or exc}")


def record_from_mapping(obj, where):
    """A Record from a JSON object; values of the wrong type are noted as problems."""
    if not isinstance(obj, dict):
        return ReadError(where, f"expected an object with title and body, got {type(obj).__name__}")
    record = Record(where=where)
    for key in RECORD_KEYS:
        value = obj.get(key)
        if value is None:
            continue
        if key == "published" and isinstance(value, int | float) and not isinstance(value, bool):
            record.published = value
            continue
        if not isinstance(value, str):
            record.problems.append(f"{key} must be a string, not {type(value).__name__}")
            continue
        setattr(record, key, value)
    return record


def _json_error(where, exc):
    return ReadError(f"{where} line {exc.lineno}", f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")


TOO_DEEP = "the JSON is nested too deeply to read (a record is an object of strings)"


def _json_records(text, where):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield _json_error(where, exc)
        return
    except RecursionError:
        yield ReadError(where, TOO_DEEP)
        return
    if isinstance(data, dict):
        data = data.get("articles", [data]) if isinstance(data.get("articles"), list) else [data]
    if not isinstance(data, list):
        yield ReadError(where, f"expected a list of records, got {type(data).__name__}")
        return
    for n, obj in enumerate(data, start=1):
        yield record_from_mapping(obj, f"{where} record {n}")


def _jsonl_records(text, where):
    yield from _jsonl_stream(io.BytesIO(text.encode("utf-8", "surrogatepass")), where)


def _jsonl_line(line, where):
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return ReadError(where, f"malformed JSON: {exc.msg} (column {exc.colno})")
    except RecursionError:
        return ReadError(where, TOO_DEEP)
    return record_from_mapping(obj, where)


def _jsonl_stream(handle, where):
    """One record per line, reading one line at a time (never more than max_line_bytes)."""
    limit = max_line_bytes()
    n, any_text = 0, False
    while raw := handle.readline(limit + 1):
        n += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while (rest := handle.readline(65_536)) and not rest.endswith(b"\n"):
                pass  # skip the rest of the line without holding it
            yield ReadError(
                f"{where} line {n}",
                f"the line is longer than {_size(limit)}, the limit ({HTML_FACTOR} × {LIMIT_NAME} for a record)",
            )
            any_text = True
            continue
        if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        any_text = True
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield ReadError(
                f"{where} line {n}",
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start}); save the file as UTF-8",
            )
            continue
        yield _jsonl_line(line, f"{where} line {n}")
    if not any_text:
        yield ReadError(where, "the file is empty")


def extract_html(html, *, url=""):
    """dict(title, text, published, author, url, source, summary) from an HTML page.

    Each page is read on its own: trafilatura's duplicate filter remembers paragraphs across
    calls (process-wide) and drops one met more than twice, so a page read again (an updated
    feed item, a resumed poll, a re-import) would lose its text. Its memory is emptied first;
    repeats within the page are still removed."""
    import trafilatura
    from trafilatura.deduplication import LRU_TEST

    LRU_TEST.clear()
    document = trafilatura.bare_extraction(
        html,
        url=url or None,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        deduplicate=True,
    )
    if document is None:
        return {}
    get = document.get if isinstance(document, dict) else lambda key: getattr(document, key, None)
    meta = _head_meta(html)
    return {
        "title": _as_written(get("title"), meta, "og:title", "twitter:title", "title", "dc.title"),
        "text": get("text") or "",
        "published": get("date") or None,
        "author": _as_written(get("author"), meta, "author", "article:author", "dc.creator"),
        "url": get("url") or "",
        "source": get("sitename") or "",
        "summary": _as_written(get("description"), meta, "og:description", "description", "twitter:description"),
    }


_TAG_LIKE = re.compile(r"<[^>]*>")


def _head_meta(html):
    """{name or property (lower case): content} of the page's <meta> tags, as text."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return {}
    meta = {}
    for element in tree.iter("meta"):
        key = (element.get("property") or element.get("name") or "").strip().lower()
        content = element.get("content")
        if key and content and key not in meta:
            meta[key] = " ".join(content.split())
    return meta


def _as_written(value, meta, *keys):
    """trafilatura's metadata value, unless it is a meta tag's text with everything that
    looked like a tag cut out ("a<b and c>d" becomes "ad"): then the text as written."""
    value = value or ""
    for key in keys:
        written = meta.get(key, "")
        if written and written != value and " ".join(_TAG_LIKE.sub("", written).split()) == " ".join(value.split()):
            return written
    return value
