"""Find syndicated copies: the same story published again by another outlet.

Each story is reduced to its set of word 5-shingles (five consecutive normalised words).
Two stories are copies when those sets are nearly the same — Jaccard similarity at least
``COPY_JACCARD`` — or when a shorter version is almost wholly inside a longer one
(containment at least ``COPY_CONTAINMENT`` and the shorter at least a third as long):
wire copy trimmed to fit. Stories about the same news written separately share few
5-shingles (well under 0.1 in tests/test_ingest_dedupe.py).

So that a lookup does not compare a new story with every stored one, each original gets
a MinHash signature (one-permutation hashing: every shingle is hashed once, the hash
picks one of ``SLOTS`` slots and the slot keeps its minimum; empty slots borrow from the
next filled one) cut into ``BANDS`` bands of ``ROWS`` values. Stories that share any band
value are candidates (probability 1-(1-J^3)^24: 0.96 at J=0.5, 0.21 at J=0.2), and only
those few are compared exactly.

Stories that open or close the same way (a wire service's standard paragraph, a
newsletter footer) can share a band value with thousands of originals: such a value says
nothing about any one of them and, read for every new record, collapsed import speed
(643/s to about 50/s by 50k articles). A (band, value) owned by more than
``MAX_BAND_OWNERS`` originals is crowded: a lookup reads at most that many owners plus
one, remembers the value (for the process) and stops using it as a candidate source, and
no more rows are stored for it. A real copy shares most of its 24 bands, so one or two
crowded values lose nothing.
"""

import hashlib
import itertools
import struct
import zlib
from collections import Counter, defaultdict

from django.db import connection

from .. import bulk
from ..models import Article, SyndicationBand
from ..text import normalize

SHINGLE_WORDS = 5
BANDS = 24
ROWS = 3
SLOTS = BANDS * ROWS
COPY_JACCARD = 0.5
COPY_CONTAINMENT = 0.8
MIN_LENGTH_RATIO = 1 / 3
MIN_SHINGLES = 8  # shorter texts are not compared (a headline and a sentence say nothing)
_MASK63 = (1 << 63) - 1
MAX_BAND_OWNERS = 200
_crowded = set()  # (band, value) pairs owned by more than MAX_BAND_OWNERS originals


def is_crowded(band, value):
    return (band, value) in _crowded


def forget_crowded():
    """Forget the crowded values found so far (tests; a database emptied or replaced)."""
    _crowded.clear()


def _hash64(data):
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def shingles(text, *, normalized=None):
    """Hashes of the text's word 5-shingles (normalised: case and punctuation do not count;
    `normalized`, when given, is normalize(text) already computed).

    CRC-32 of each shingle's bytes: a C call per shingle, which matters at import speed,
    and 32 bits are plenty for sets of a few thousand shingles compared pairwise.
    """
    data = (normalize(text) if normalized is None else normalized).encode()
    if not data:
        return set()
    lengths = [len(word) + 1 for word in data.split(b" ")]
    if len(lengths) < SHINGLE_WORDS:
        return {zlib.crc32(data)}
    starts = [0, *itertools.accumulate(lengths)]  # starts[i]: where word i begins (one past the end too)
    return {zlib.crc32(data[a : b - 1]) for a, b in zip(starts, starts[SHINGLE_WORDS:], strict=False)}


def signature(shingle_hashes):
    """One-permutation MinHash with rotation densification: SLOTS values."""
    slots = [None] * SLOTS
    for value in shingle_hashes:
        slot = value % SLOTS
        rest = value // SLOTS
        if slots[slot] is None or rest < slots[slot]:
            slots[slot] = rest
    if all(v is None for v in slots):
        return []
    for i in range(SLOTS):
        j, offset = i, 0
        while slots[j] is None:
            j = (j + 1) % SLOTS
            offset += 1
        if offset:
            slots[i] = slots[j] + offset  # borrowed values differ by distance, as the method asks
    return slots


def band_values(shingle_hashes):
    """[(band, value)] for the LSH index (values fit a signed 64-bit column)."""
    sig = signature(shingle_hashes)
    if not sig:
        return []
    values = []
    for band in range(BANDS):
        rows = sig[band * ROWS : (band + 1) * ROWS]
        packed = struct.pack(f"<{ROWS}Q", *(v & 0xFFFFFFFFFFFFFFFF for v in rows))
        values.append((band, _hash64(packed + bytes([band])) & _MASK63))
    return values


def similarity(a, b):
    """(is_copy, score): the Jaccard similarity, or containment for a trimmed copy."""
    if len(a) < MIN_SHINGLES or len(b) < MIN_SHINGLES:
        return False, 0.0
    common = len(a & b)
    jaccard = common / len(a | b)
    if jaccard >= COPY_JACCARD:
        return True, jaccard
    small, large = sorted((len(a), len(b)))
    containment = common / small
    if containment >= COPY_CONTAINMENT and small / large >= MIN_LENGTH_RATIO:
        return True, containment
    return False, jaccard


def band_owners(band_lists):
    """{(band, value): [article ids]} of stored originals sharing any of these bands.

    The pairs are joined to the table as a VALUES list, so each is one probe of the
    (band, value) index; two IN lists would probe every band with every value. At most
    MAX_BAND_OWNERS + 1 rows come back per pair: a pair that fills them is crowded, left
    out, and not asked for again.
    """
    pairs = sorted({pair for bands in band_lists for pair in bands} - _crowded)
    owners = defaultdict(list)
    table = connection.ops.quote_name(SyndicationBand._meta.db_table)
    size = max(1, bulk.max_params() // 2 - 1)
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), size):
            part = pairs[start : start + size]
            values = ", ".join(["(%s, %s)"] * len(part))
            cursor.execute(
                "SELECT article_id, band, value FROM ("  # noqa: S608 - the model's table name
                "SELECT s.article_id, s.band, s.value, "
                "ROW_NUMBER() OVER (PARTITION BY s.band, s.value ORDER BY s.article_id) AS n "
                f"FROM {table} s JOIN (VALUES {values}) AS k ON s.band = k.column1 AND s.value = k.column2"
                ") AS owned WHERE n <= %s",
                [*(v for pair in part for v in pair), MAX_BAND_OWNERS + 1],
            )
            for article_id, band, value in cursor.fetchall():
                owners[band, value].append(article_id)
    for pair in [pair for pair, ids in owners.items() if len(ids) > MAX_BAND_OWNERS]:
        _crowded.add(pair)
        del owners[pair]
    return owners


def find_original(shingle_hashes, bands, *, exclude_pk=None, owners=None):
    """(original article, score) for a story whose text copies a stored original, else (None, 0).

    `owners` (from band_owners) saves the lookup when a batch of stories was looked up at once.
    """
    if len(shingle_hashes) < MIN_SHINGLES or not bands:
        return None, 0.0
    if owners is None:
        owners = band_owners([bands])
    shared = Counter(article_id for pair in bands for article_id in owners.get(pair, ()) if article_id != exclude_pk)
    ids = [article_id for article_id, _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
    if not ids:
        return None, 0.0
    best, best_score = None, 0.0
    for article in Article.objects.filter(pk__in=ids).only("pk", "slug", "body", "canonical_id"):
        is_copy, score = similarity(shingle_hashes, shingles(article.body))
        if is_copy and score > best_score:
            best, best_score = article, score
    return best, best_score


def band_rows(article, bands):
    """(article id, band, value) rows for an original article's bands."""
    return [(article.pk, band, value) for band, value in bands]


def store_bands(rows):
    """Insert band rows (24 per original) as multi-row INSERTs: building a model instance
    per row, or a round trip per row, would cost more than the insert itself."""
    if _crowded:
        rows = [row for row in rows if (row[1], row[2]) not in _crowded]
    bulk.insert_values(SyndicationBand._meta.db_table, ["article_id", "band", "value"], rows)


def index_original(article, bands, *, replace=False):
    """Store an original's band values (replacing any older ones when `replace`)."""
    if replace:
        SyndicationBand.objects.filter(article=article)._raw_delete(SyndicationBand.objects.db)
    store_bands(band_rows(article, bands))
