"""A reader's query, normalised once: tokens, where each came from, and its n-grams.

Everything downstream compares normalised text (``articles.text.normalize``), the
same form the alias table stores, so "JAKAFI", "Jakafi" and "jakafi" are one query.
"""

import re
from dataclasses import dataclass
from functools import cached_property

from ..text import normalize_with_offsets

MAX_QUERY_LENGTH = 300  # characters a query may have (longer: a 400 with a message)
MAX_TOKENS = 12  # words considered for entity resolution; the rest only go to full text
MAX_NGRAM = 8  # longest alias (in words) looked up
POSSESSIVE = re.compile(r"['\u2019\u02bc]s?(?!\w)")  # Alzheimer's, Alzheimer\u2019s, Parkinsons'

# Words that never decide what a query is about and are not searched as text: the
# English stop list of PostgreSQL's and Snowball's text search (so that both
# databases drop the same words), plus a few words that only dress a query up and
# full-text operator names ("near").
STOPWORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
    herself it its itself they them their theirs themselves what which who whom this that these those am is are
    was were be been being have has had having do does did doing a an the and but if or because as until while
    of at by for with about against between into through during before after above below to from up down in out
    on off over under again further then once here there when where why how all any both each few more most
    other some such no nor not only own same so than too very s t can will just don should now
    also could may new news near would
    """.split()  # noqa: SIM905
)


def is_word(token):
    """A token worth searching as text: not a stopword, not a lone letter or number."""
    return len(token) >= 2 and not token.isdigit() and token not in STOPWORDS


@dataclass(frozen=True)
class Query:
    raw: str
    normalized: str
    tokens: tuple
    spans: tuple  # (start, end) of each token in raw

    @property
    def is_empty(self):
        return not self.tokens

    def raw_text(self, start, end):
        """The text as typed behind tokens[start:end], with a possessive the last word carries
        ("Alzheimer's": the reader's own words, though "'s" is no token)."""
        stop = self.spans[end - 1][1]
        possessive = POSSESSIVE.match(self.raw, stop)
        return self.raw[self.spans[start][0] : possessive.end() if possessive else stop]

    def text(self, start, end):
        return " ".join(self.tokens[start:end])

    @cached_property
    def ngrams(self):
        """{normalised text: [(start, end), ...]} for every run of up to MAX_NGRAM tokens."""
        grams = {}
        limit = min(len(self.tokens), MAX_TOKENS)
        for start in range(limit):
            for end in range(start + 1, min(start + MAX_NGRAM, limit) + 1):
                grams.setdefault(self.text(start, end), []).append((start, end))
        return grams

    @cached_property
    def words(self):
        """Tokens worth searching as text: no stopwords, no duplicates, in order."""
        seen = []
        for token in self.tokens:
            if is_word(token) and token not in seen:
                seen.append(token)
        return seen


def parse(raw):
    """The Query for `raw` (any string: control characters and null bytes are ignored)."""
    raw = "".join(c if c.isprintable() else " " for c in (raw or ""))[:MAX_QUERY_LENGTH].strip()
    normalized, offsets = normalize_with_offsets(raw)
    tokens, spans = [], []
    position = 0
    for token in normalized.split(" ") if normalized else []:
        start = offsets[position]
        end = offsets[position + len(token) - 1] + 1
        tokens.append(token)
        spans.append((start, end))
        position += len(token) + 1
    return Query(raw=raw, normalized=normalized, tokens=tuple(tokens), spans=tuple(spans))
