"""Highlighted snippets: the matched words in context, safe to show as HTML.

Text is escaped piece by piece and only our own ``<mark>`` tags are added between
the pieces, so a body holding ``<script>`` shows as text. Matching uses the shared
normalisation, so "Alzheimer’s" is highlighted for the query "alzheimer".
"""

import re
from html import escape  # what django.utils.html.escape calls, without its lazy-string wrapper

from django.utils.safestring import mark_safe

from ..text import normalize, normalize_with_offsets

WIDTH = 260  # characters of body text in a snippet
BEFORE = 70  # characters shown before the first match
MAX_TERMS = 60
MAX_ANCHORS = 4
MAX_WINDOWS = 2  # stretches of a body compared for a snippet


def _raw_pattern(term):
    """A regex finding a normalised term in raw text (case-insensitive, 's and punctuation tolerated)."""
    words = [re.escape(word) for word in term.split()]
    return re.compile(r"(?<!\w)" + r"(?:['’]s)?[\W_]+".join(words) + r"(?!\w)", re.IGNORECASE)


class Highlighter:
    """Finds and marks a set of terms (normalised texts) in any text.

    terms: what to highlight, anchors first — the words searching for a snippet's
    position starts with (what was typed, the names matched); the rest (other names
    of the entities) are only highlighted.
    """

    def __init__(self, texts, anchor_texts=()):
        seen = {}
        for text in [*anchor_texts, *texts]:
            term = normalize(text)
            if len(term) >= 2 and term not in seen:
                seen[term] = None
        self.terms = list(seen)[:MAX_TERMS]
        anchors = [normalize(t) for t in anchor_texts]
        self.anchor_patterns = [_raw_pattern(t) for t in dict.fromkeys(a for a in anchors if len(a) >= 2)][:MAX_ANCHORS]
        # A word every match contains, to skip plain-ASCII text holding none of them.
        self.first_words = {term.split()[0] for term in self.terms}
        by_length = sorted(self.terms, key=len, reverse=True)
        self.pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in by_length) + r")(?!\w)") if by_length else None
        )

    def spans(self, text):
        """Non-overlapping (start, end) of every term in `text`, in order."""
        if not text or self.pattern is None:
            return []
        if text.isascii():
            lowered = text.lower().replace("'", "").replace("`", "")
            if not any(word in lowered for word in self.first_words):
                return []
        normalized, offsets = normalize_with_offsets(text)
        return [(offsets[m.start()], offsets[m.end() - 1] + 1) for m in self.pattern.finditer(normalized)]

    def highlight(self, text):
        return render(text or "", self.spans(text or ""))

    def snippet(self, body, *, anchors=(), summary="", width=WIDTH):
        """The stretch of `body` showing the most terms, highlighted (SafeString).

        anchors: offsets known to hold a match (a link's first mention); without
        any, the first occurrence of each anchor term is tried. Falls back to the
        summary, then to the start of the body.
        """
        body = body or ""
        candidates = [a for a in anchors if a is not None and 0 <= a < len(body)]
        if not candidates:
            for pattern in self.anchor_patterns:
                match = pattern.search(body)
                if match:
                    candidates.append(match.start())
        best = None
        for anchor in list(dict.fromkeys(candidates))[:MAX_WINDOWS]:
            start, end = _window(body, anchor, width)
            text = body[start:end].replace("\n", " ")
            marks = self.spans(text)
            key = (len({normalize(text[s:e]) for s, e in marks}), len(marks), -anchor)
            if best is None or key > best[0]:
                best = (key, start, end, text, marks)
        if best is None or not best[4]:
            if summary and self.spans(summary):
                return self.highlight(summary)
            if best is None:
                start, end = _window(body, 0, width)
                text = body[start:end].replace("\n", " ")
                return render(text, [], suffix="…" if end < len(body) else "") if text else self.highlight(summary)
        _key, start, end, text, marks = best
        return render(text, marks, prefix="…" if start > 0 else "", suffix="…" if end < len(body) else "")


def render(text, marks, *, prefix="", suffix=""):
    """Escaped `text` with <mark> around `marks` (SafeString)."""
    pieces, position = [escape(prefix)], 0
    for start, end in marks:
        pieces.append(escape(text[position:start]))
        pieces.append("<mark>" + escape(text[start:end]) + "</mark>")
        position = end
    pieces.append(escape(text[position:]))
    pieces.append(escape(suffix))
    return mark_safe("".join(pieces))  # every piece is escaped above


def _window(body, anchor, width):
    start = max(0, anchor - BEFORE)
    if start > 0:
        space = body.find(" ", start, start + 25)
        start = space + 1 if space != -1 else start
    end = min(len(body), start + width)
    if end < len(body):
        space = body.rfind(" ", end - 30, end)
        end = space if space > start else end
    return start, end
