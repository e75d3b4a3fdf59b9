"""Text normalisation shared by the alias table, the matcher and search.

One rule everywhere: an alias, a query and a span of article text are compared by
their *normalised* form, so "Alzheimer's", "ALZHEIMER’S" and "alzheimer" agree and
"COVID-19" matches "covid 19".
"""

import bisect
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Sequence

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


def _normalize_chars(text):
    """normalize_with_offsets, one character at a time (the reference definition)."""
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


# ASCII punctuation and spaces (not apostrophes) separate words whatever surrounds them,
# so text can be cut there and each piece normalised on its own.
_ASCII_SEPARATORS = "".join(chr(c) for c in range(128) if not chr(c).isalnum() and chr(c) not in _APOSTROPHES)
_SPLIT_RE = re.compile(f"([{re.escape(_ASCII_SEPARATORS)}]+)")


class Offsets(Sequence):
    """offsets[i]: the index in the original text of normalised[i], worked out when asked.

    The normalised text is pieces (one per word) joined by single spaces. A plain ASCII
    word maps onto the original character for character from where it starts; a word
    with accents, apostrophes or symbols keeps its own list; the space after a piece
    maps to where the word ended in the original.
    """

    __slots__ = ("_ends", "_explicit", "_lengths", "_norm_starts", "_size", "_starts")

    def __init__(self, norm_starts, starts, lengths, explicit, ends, size):
        self._norm_starts = norm_starts  # where each piece starts in the normalised text
        self._starts = starts  # where its word starts in the original
        self._lengths = lengths  # its length in the normalised text
        self._explicit = explicit  # {piece: [offset from the word's start, per character]}
        self._ends = ends  # {piece: where the word ends} where that is not start + length
        self._size = size

    def __len__(self):
        return self._size

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._size))]
        if i < 0:
            i += self._size
        if not 0 <= i < self._size:
            raise IndexError("normalised offset out of range")
        k = bisect.bisect_right(self._norm_starts, i) - 1
        relative = i - self._norm_starts[k]
        if relative == self._lengths[k]:  # the space after piece k
            return self._ends.get(k, self._starts[k] + self._lengths[k])
        explicit = self._explicit.get(k)
        return self._starts[k] + (relative if explicit is None else explicit[relative])

    def __eq__(self, other):
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None


def normalize_with_offsets(text):
    """Return (normalised, offsets): offsets[i] is the index in `text` of normalised[i].

    Letters and digits are case-folded and stripped of accents; a possessive "'s"
    is dropped ("Crohn's" -> "crohn"); other apostrophes vanish ("O'Brien" ->
    "obrien"); every other run of punctuation or space becomes one space.

    Same result as the character loop in _normalize_chars, many times faster: the
    text is cut at ASCII separators by one regular expression, plain ASCII words are
    lower-cased whole, only words with accents, apostrophes or other symbols go
    through the loop, and offsets are worked out only for the positions asked for.
    """
    parts = _SPLIT_RE.split(text)
    positions = list(itertools.accumulate(map(len, parts), initial=0))
    words, starts = parts[0::2], positions[0::2]
    if text.isascii() and "'" not in text and "`" not in text:
        # Every word is plain ASCII letters and digits; only the first and last can be empty.
        if words and not words[-1]:
            words, starts = words[:-1], starts[: len(words) - 1]
        if words and not words[0]:
            words, starts = words[1:], starts[1:]
        lengths = list(map(len, words))
        normalized = " ".join(words).lower()
        norm_starts = [total + k for k, total in enumerate(itertools.accumulate(lengths, initial=0))][:-1]
        return normalized, Offsets(norm_starts, starts, lengths, {}, {}, len(normalized))
    pieces, piece_starts, lengths, explicit, ends = [], [], [], {}, {}
    for word, start in zip(words, starts, strict=False):
        if not word:
            continue
        if word.isascii() and word.isalnum():
            piece = word.lower()
        else:
            piece, relative = _normalize_chars(word)
            if not piece:
                continue
            explicit[len(pieces)] = relative
            end = start + len(word)
            for i in range(relative[-1] + 1, len(word)):  # a symbol after the last letter
                if word[i] not in _APOSTROPHES and not word[i].isalnum():
                    end = start + i
                    break
            ends[len(pieces)] = end
        pieces.append(piece)
        piece_starts.append(start)
        lengths.append(len(piece))
    normalized = " ".join(pieces)
    norm_starts = [total + k for k, total in enumerate(itertools.accumulate(lengths, initial=0))][:-1]
    return normalized, Offsets(norm_starts, piece_starts, lengths, explicit, ends, len(normalized))


_ASCII_APOSTROPHES_RE = re.compile(r"['`]+")
_ASCII_POSSESSIVE_RE = re.compile(r"(?<=[A-Za-z0-9])'[sS](?![A-Za-z0-9])")
_ASCII_NON_WORD_RE = re.compile(r"[^a-z0-9]+")


def normalize(text):
    """Normalised form of `text` (see normalize_with_offsets).

    ASCII text, most of what is normalised, takes three regular expressions instead
    of the offset bookkeeping; the result is the same (property-tested).
    """
    text = text or ""
    if not text.isascii():
        return normalize_with_offsets(text)[0]
    text = _ASCII_APOSTROPHES_RE.sub("'", text)
    text = _ASCII_POSSESSIVE_RE.sub("", text).replace("'", "").lower()
    return _ASCII_NON_WORD_RE.sub(" ", text).strip()


_SPACE_RE = re.compile(r"\s+")


def spelling_key(text):
    """A name with its spelling-only differences folded, for showing one of several names
    that differ only in how they are written: "&"/"and", "Saint"/"St", a leading "The",
    dotted initials ("F.D.A."/"FDA", "U.S. Food…"/"US Food…")."""
    words = normalize(text.replace("&", " and ").replace(".", "")).split()
    words = ["st" if word == "saint" else word for word in words]
    return " ".join(words[1:] if words[:1] == ["the"] and len(words) > 1 else words)


def unify_newlines(text):
    """CRLF and lone CR become LF: a browser posts textareas with CRLF, files may have either."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if text else text


def squash_spaces(text):
    """Collapse runs of whitespace into single spaces and strip the ends."""
    return _SPACE_RE.sub(" ", text or "").strip()


def content_hash(text, *, normalized=None):
    """Fingerprint of a story's words: equal for copies that differ only in case,
    punctuation or spacing. `normalized` saves normalising `text` again."""
    if normalized is None:
        normalized = normalize(text)
    return hashlib.sha256(normalized.encode()).hexdigest()


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
