"""Text normalisation shared by the alias table, the matcher and search.

One rule everywhere: an alias, a query and a span of article text are compared by
their *normalised* form, so "Alzheimer's", "ALZHEIMER’S" and "alzheimer" agree and
"COVID-19" matches "covid 19".
"""

import hashlib
import re
import unicodedata

# Greek letters that drug names use ("α-cycloserine" is "alpha-cycloserine").
_GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "κ": "kappa",
    "λ": "lambda",
    "ω": "omega",
}
_APOSTROPHES = {"'", "’", "‘", "ʼ", "`", "´"}


def _fold(char):
    """Lower-case ASCII-ish form of one character ('' for combining marks)."""
    lowered = char.lower()
    if lowered in _GREEK:
        return _GREEK[lowered]
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalize_with_offsets(text):
    """Return (normalised, offsets): offsets[i] is the index in `text` of normalised[i].

    Letters and digits are case-folded and stripped of accents; a possessive "'s"
    is dropped ("Crohn's" -> "crohn"); other apostrophes vanish ("O'Brien" ->
    "obrien"); every other run of punctuation or space becomes one space.
    """
    out = []
    offsets = []
    length = len(text)
    i = 0
    while i < length:
        char = text[i]
        if char in _APOSTROPHES:
            nxt = text[i + 1] if i + 1 < length else ""
            after = text[i + 2] if i + 2 < length else ""
            if nxt in "sS" and not after.isalnum() and out and out[-1] != " ":
                i += 2  # possessive 's
                continue
            i += 1
            continue
        if char.isalnum():
            for folded in _fold(char):
                if folded.isalnum():
                    out.append(folded)
                    offsets.append(i)
        elif out and out[-1] != " ":
            out.append(" ")
            offsets.append(i)
        i += 1
    if out and out[-1] == " ":
        out.pop()
        offsets.pop()
    return "".join(out), offsets


def normalize(text):
    """Normalised form of `text` (see normalize_with_offsets)."""
    return normalize_with_offsets(text or "")[0]


_SPACE_RE = re.compile(r"\s+")


def squash_spaces(text):
    """Collapse runs of whitespace into single spaces and strip the ends."""
    return _SPACE_RE.sub(" ", text or "").strip()


def content_hash(text):
    """Fingerprint of a story's words: equal for copies that differ only in case,
    punctuation or spacing."""
    return hashlib.sha256(normalize(text).encode()).hexdigest()


def find_mentions(text, normalized_names):
    """Occurrences of any of `normalized_names` in `text`, on word boundaries.

    Returns a list of (start, end) offsets into `text`, in order. A small helper for
    a handful of names (the demo loader, tests); the ingest matcher handles the
    whole vocabulary at once.
    """
    normalized, offsets = normalize_with_offsets(text)
    spans = []
    for name in {n for n in normalized_names if n}:
        pattern = re.compile(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])")
        for match in pattern.finditer(normalized):
            spans.append((offsets[match.start()], offsets[match.end() - 1] + 1))
    return sorted(spans)
