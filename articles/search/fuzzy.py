"""Typo candidates from the alias table: pg_trgm on PostgreSQL, the same trigrams in memory on SQLite.

PostgreSQL asks its trigram GIN index (``normalized gin_trgm_ops``, migration 0005)
for the closest aliases of each typed text — one query, no scan. SQLite has no
trigram index, so each process keeps one in memory (``trigrams.TrigramIndex``:
pg_trgm's trigrams of every normalised alias), rebuilt when an alias table changes
(its highest id or history id moves), which keeps, as PostgreSQL does, the
TRIGRAM_LIMIT most similar aliases of each kind above pg_trgm's threshold.

The words public stories use (``lexicon``: table StoryWord, same index on both paths) are
candidates too, as kind WORD: a typo of an everyday word no vocabulary holds.

Both paths then score their candidates with the same rapidfuzz ratio (0–100), so a
typo is corrected, or offered, alike on both databases (tested on PostgreSQL, where
both run over the same aliases).
"""

# SQL here is assembled from constant fragments (table and column names); values are parameters.
# ruff: noqa: S608

import threading
from dataclasses import dataclass

from django.db import connection
from rapidfuzz import fuzz

from ..kinds import KINDS
from ..models import StoryWord

CANDIDATES = 8
TRIGRAM_LIMIT = 12
WORD = "word"  # the kind of a Hit from the story words
WORD_TABLE = StoryWord._meta.db_table
# (kind name, table, text column) searched by similarity: the alias tables, then the words.
SOURCES = (
    *((kind.name, kind.alias_table, "normalized") for kind in KINDS),
    (WORD, WORD_TABLE, "word"),
)


@dataclass(frozen=True)
class Hit:
    kind: str
    alias_id: int
    normalized: str
    score: float


def find(texts):
    """{text: [Hit, ...] best first} for normalised `texts`."""
    texts = [t for t in dict.fromkeys(texts) if t]
    if not texts:
        return {}
    found = _trigram(texts) if connection.vendor == "postgresql" else _in_memory(texts)
    result = {}
    for text, rows in found.items():
        hits = [Hit(kind, alias_id, normalized, fuzz.ratio(text, normalized)) for kind, alias_id, normalized in rows]
        hits.sort(key=lambda hit: (-hit.score, len(hit.normalized)))
        result[text] = hits[:CANDIDATES]
    return result


def _trigram(texts):
    parts, params = [], []
    for index, text in enumerate(texts):
        for name, table, column in SOURCES:
            parts.append(
                f"(SELECT {index} AS q, '{name}' AS kind, id, {column} FROM {table} "
                f"WHERE {column} %% %s ORDER BY similarity({column}, %s) DESC, id LIMIT {TRIGRAM_LIMIT})"
            )
            params.extend([text, text])
    found = {text: [] for text in texts}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for index, kind, alias_id, normalized in cursor.fetchall():
            found[texts[index]].append((kind, alias_id, normalized))
    return found


class _AliasCache:
    """The TrigramIndex of the alias tables and story words as they are now, kept per process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.signature = None
        self.index = None

    @staticmethod
    def current_signature():
        parts = []
        for kind in KINDS:
            parts.append(f"(SELECT MAX(id) FROM {kind.alias_table})")
            parts.append(f"(SELECT MAX(history_id) FROM {kind.alias_history_table})")
        parts.append(f"(SELECT MAX(id) FROM {WORD_TABLE})")  # rebuilt whole: new ids
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts))
            return cursor.fetchone()

    def get(self):
        signature = self.current_signature()
        if signature != self.signature:
            with self.lock:
                if signature != self.signature:
                    self.index = self._build()
                    self.signature = signature
        return self.index

    @staticmethod
    def _build():
        from .trigrams import TrigramIndex, release_free_memory  # NumPy, loaded only where SQLite needs it

        rows = []
        with connection.cursor() as cursor:
            for position, (_name, table, column) in enumerate(SOURCES):
                cursor.execute(f"SELECT id, {column} FROM {table}")
                rows.extend((position, alias_id, normalized) for alias_id, normalized in cursor)
        index = TrigramIndex.build(rows)
        del rows
        release_free_memory()  # the build's ~300 MB of temporaries, back to the system
        return index


_cache = _AliasCache()


def _in_memory(texts):
    index = _cache.get()
    return {
        text: [(SOURCES[kind][0], alias_id, name) for kind, alias_id, name in index.similar(text, TRIGRAM_LIMIT)]
        for text in texts
    }
