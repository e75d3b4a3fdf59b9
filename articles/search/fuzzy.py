"""Typo candidates from the alias table: pg_trgm on PostgreSQL, rapidfuzz on SQLite.

PostgreSQL asks its trigram GIN index (``normalized gin_trgm_ops``, migration 0005)
for the closest aliases of each typed text — one query, no scan. SQLite has no
trigram index, so the normalised aliases are kept in memory per process (≈170k
strings, ordered by length) and rapidfuzz compares them in C; the cache is rebuilt
when an alias table changes (its highest id or history id moves).

Both paths score their candidates with the same rapidfuzz ratio (0–100), so a typo
is corrected, or offered, alike on both databases.
"""

# SQL here is assembled from constant fragments (table and column names); values are parameters.
# ruff: noqa: S608

import bisect
import threading
from dataclasses import dataclass

from django.db import connection
from rapidfuzz import fuzz, process

from .kinds import KINDS

CANDIDATES = 8
TRIGRAM_LIMIT = 12


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
        for kind in KINDS:
            parts.append(
                f"(SELECT {index} AS q, '{kind.name}' AS kind, id, normalized FROM {kind.alias_table} "
                f"WHERE normalized %% %s ORDER BY similarity(normalized, %s) DESC, id LIMIT {TRIGRAM_LIMIT})"
            )
            params.extend([text, text])
    found = {text: [] for text in texts}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for index, kind, alias_id, normalized in cursor.fetchall():
            found[texts[index]].append((kind, alias_id, normalized))
    return found


class _AliasCache:
    """Every normalised alias, ordered by length, with (kind, id) alongside.

    ``starts[n]`` is where the names of length n begin, so the names within a
    length range are one slice: nothing is copied name by name per query.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.signature = None
        self.aliases = ([], [], [0])  # names, keys, starts

    @staticmethod
    def current_signature():
        parts = []
        for kind in KINDS:
            parts.append(f"(SELECT MAX(id) FROM {kind.alias_table})")
            parts.append(f"(SELECT MAX(history_id) FROM {kind.alias_history_table})")
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts))
            return cursor.fetchone()

    def get(self):
        signature = self.current_signature()
        if signature != self.signature:
            with self.lock:
                if signature != self.signature:
                    self.aliases = self._build()
                    self.signature = signature
        return self.aliases

    @staticmethod
    def _build():
        rows = []
        with connection.cursor() as cursor:
            for kind in KINDS:
                cursor.execute(f"SELECT id, normalized FROM {kind.alias_table}")
                rows.extend((len(normalized), normalized, kind.name, alias_id) for alias_id, normalized in cursor)
        rows.sort()
        names = [row[1] for row in rows]
        keys = [(row[2], row[3]) for row in rows]
        longest = rows[-1][0] if rows else 0
        starts = [bisect.bisect_left(rows, (length,)) for length in range(longest + 2)]
        return names, keys, starts


_cache = _AliasCache()


def _in_memory(texts):
    names, keys, starts = _cache.get()
    last = len(starts) - 1
    found = {}
    for text in texts:
        spread = max(2, len(text) // 4)
        first = starts[min(last, max(1, len(text) - spread))]
        end = starts[min(last, len(text) + spread + 1)]
        matches = process.extract(text, names[first:end], scorer=fuzz.ratio, limit=TRIGRAM_LIMIT, score_cutoff=60)
        found[text] = [(*keys[first + index], name) for name, _score, index in matches]
    return found
