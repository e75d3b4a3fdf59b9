"""Turn files, uploads and pasted text into records for the import pipeline.

Every reader yields ``Record`` objects, or ``ReadError`` for what cannot be read (with
where and why), so one bad file or line never stops the others. Supported:

- ``.txt``: the first non-empty line is the title, the rest the story;
- ``.html`` / ``.htm``: main text, title, date, author, canonical URL and site name
  extracted with trafilatura (no network: it only parses what it is given);
- ``.json``: a list of records (or one record); ``.jsonl``: one record per line. Record
  keys: ``title``, ``body`` or ``html``, ``url``, ``source``, ``published``, ``author``,
  ``summary``;
- directories: every supported file inside, recursively, in name order (hidden files and
  other extensions are skipped and counted).
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED = {".txt", ".html", ".htm", ".json", ".jsonl"}
RECORD_KEYS = ("title", "body", "html", "url", "source", "published", "author", "summary")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_LOOKS_LIKE_HTML = re.compile(r"<(?:p|div|br|html|body|article|span|h[1-6]|a\s|ul|li|script)\b", re.IGNORECASE)


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
    problems: list = field(default_factory=list)  # wrong types found while reading


@dataclass
class ReadError:
    where: str
    reason: str


@dataclass
class Skipped:
    where: str
    reason: str


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
    """Records from an uploaded file (bytes), named as the user named it."""
    yield from read_bytes(name, data)


def read_pasted(text, *, where="pasted text"):
    """One record from pasted plain text (first line the title) or HTML."""
    if _LOOKS_LIKE_HTML.search(text or ""):
        yield Record(where=where, html=text)
    else:
        yield Record(where=where, body=text or "", from_txt=True)


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
        data = path.read_bytes()
    except OSError as exc:
        yield ReadError(str(path), f"cannot read the file: {exc.strerror or exc}")
        return
    yield from read_bytes(path.name, data, where=str(path))


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
    if not record.html and _LOOKS_LIKE_HTML.search(record.body):
        record.html, record.body = record.body, ""
    return record


def _json_error(where, exc):
    return ReadError(f"{where} line {exc.lineno}", f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")


def _json_records(text, where):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield _json_error(where, exc)
        return
    if isinstance(data, dict):
        data = data.get("articles", [data]) if isinstance(data.get("articles"), list) else [data]
    if not isinstance(data, list):
        yield ReadError(where, f"expected a list of records, got {type(data).__name__}")
        return
    for n, obj in enumerate(data, start=1):
        yield record_from_mapping(obj, f"{where} record {n}")


def _jsonl_records(text, where):
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ReadError(f"{where} line {n}", f"malformed JSON: {exc.msg} (column {exc.colno})")
            continue
        yield record_from_mapping(obj, f"{where} line {n}")


def extract_html(html, *, url=""):
    """dict(title, text, published, author, url, source, summary) from an HTML page."""
    import trafilatura

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
    return {
        "title": get("title") or "",
        "text": get("text") or "",
        "published": get("date") or None,
        "author": get("author") or "",
        "url": get("url") or "",
        "source": get("sitename") or "",
        "summary": get("description") or "",
    }
