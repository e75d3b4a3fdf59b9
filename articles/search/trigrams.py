"""pg_trgm's trigram similarity in memory, for SQLite's typo candidates (see ``fuzzy``).

``TrigramIndex`` holds pg_trgm's trigrams of every normalised alias (≈183k names,
≈4.0M postings in NumPy arrays, ~18 MB, and the names as one UTF-8 buffer, ~4 MB, rather
than 183k Python strings). A lookup counts the trigrams each alias
shares with the typed text in one ``bincount`` over the postings of the text's
trigrams — no loop over the names — and keeps, as PostgreSQL's ``%`` does, the aliases
of at least SIMILARITY_THRESHOLD similarity, the most similar of each kind.
"""

import contextlib
import ctypes
import ctypes.util
import gc
from dataclasses import dataclass

import numpy as np

SIMILARITY_THRESHOLD = 0.3  # pg_trgm.similarity_threshold's default, which `%` applies


def trigrams(text):
    """pg_trgm's trigrams of a normalised text: each word padded with two spaces before and one after.

    ``show_trgm('rux olitnib')`` = {"  r", " ru", "rux", "ux ", "  o", " ol", ...}.
    """
    grams = set()
    for word in text.split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def _codes(grams):
    """Each trigram as one integer: its three code points, 21 bits each."""
    return [(ord(g[0]) << 42) | (ord(g[1]) << 21) | ord(g[2]) for g in grams]


class Names:
    """Strings kept as one UTF-8 buffer with offsets: ~23 bytes a name instead of ~70 for a
    Python string and its list slot. ``names[i]`` decodes one; ``len(names)``."""

    def __init__(self, names):
        encoded = [name.encode() for name in names]
        self.offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        if encoded:
            np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=self.offsets[1:])
        self.buffer = b"".join(encoded)

    def __len__(self):
        return self.offsets.size - 1

    def __getitem__(self, position):
        return self.buffer[self.offsets[position] : self.offsets[position + 1]].decode()


def release_free_memory():
    """Hand freed heap memory back to the system (glibc's malloc_trim; elsewhere nothing).

    Building the index allocates ~300 MB of short-lived arrays and rows; glibc keeps freed
    memory in the process (its mmap threshold rises after the first large free), so without
    this the process stays ~150 MB larger than the index it keeps."""
    gc.collect()
    name = ctypes.util.find_library("c")
    with contextlib.suppress(OSError, AttributeError, TypeError):  # not glibc: nothing to trim
        ctypes.CDLL(name).malloc_trim(0)


@dataclass
class TrigramIndex:
    """Every normalised alias with its trigrams, as postings: the aliases holding each trigram.

    ``codes`` are the distinct trigrams (as ``_codes``), sorted; ``postings[starts[g]:
    starts[g + 1]]`` are the positions (in ``names``) of the aliases holding trigram
    ``codes[g]``; ``sizes`` is each alias's number of distinct trigrams, ``kinds`` its
    kind's position in KINDS.
    """

    names: Names
    ids: np.ndarray
    kinds: np.ndarray
    sizes: np.ndarray
    codes: np.ndarray
    starts: np.ndarray
    postings: np.ndarray

    @classmethod
    def build(cls, rows):
        """From (kind position, alias id, normalised text) rows; vectorised, ~1 s for 170k aliases.

        All aliases, padded as pg_trgm pads their words ("  heart   attack "), are laid end
        to end as one array of code points; every position that starts a trigram inside
        its alias gives one, except the two that span a word gap ("t  ", "   ").
        """
        names = [normalized for _, _, normalized in rows]
        padded = ["  " + " ".join(name.split()).replace(" ", "   ") + " " if name.strip() else "" for name in names]
        points = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
        counts = np.maximum(lengths - 2, 0)  # trigram positions per alias
        owner = np.repeat(np.arange(len(names), dtype=np.int64), counts)
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(names) else np.zeros(0, dtype=np.int64)
        firsts = np.concatenate(([0], np.cumsum(counts)[:-1])) if len(names) else np.zeros(0, dtype=np.int64)
        at = np.arange(owner.size, dtype=np.int64) - np.repeat(firsts, counts) + np.repeat(offsets, counts)
        space = ord(" ")
        within_word = ~((points[at + 1] == space) & (points[at + 2] == space)) if at.size else np.zeros(0, bool)
        owner, at = owner[within_word], at[within_word]
        grams = (points[at] << 42) | (points[at + 1] << 21) | points[at + 2]
        # Sorted by trigram, aliases in order within each (a stable sort of rows already in alias
        # order), so a trigram an alias holds twice is two neighbours.
        order = np.argsort(grams, kind="stable")
        grams, owner = grams[order], owner[order]
        first_of_gram = np.ones(grams.size, dtype=bool)
        first_of_gram[1:] = grams[1:] != grams[:-1]
        again = np.zeros(grams.size, dtype=bool)
        again[1:] = ~first_of_gram[1:] & (owner[1:] == owner[:-1])
        grams, owner, first_of_gram = grams[~again], owner[~again], first_of_gram[~again]
        starts = np.append(np.flatnonzero(first_of_gram), grams.size)
        codes = grams[first_of_gram]
        return cls(
            names=Names(names),
            ids=np.fromiter((alias_id for _, alias_id, _ in rows), dtype=np.int64, count=len(rows)),
            kinds=np.fromiter((kind for kind, _, _ in rows), dtype=np.int8, count=len(rows)),
            sizes=np.bincount(owner, minlength=len(names)).astype(np.int32),
            codes=codes,
            starts=starts,
            postings=owner.astype(np.int32),
        )

    def similar(self, text, limit, threshold=SIMILARITY_THRESHOLD):
        """[(kind position, alias id, name)]: per kind, the `limit` aliases most similar to `text` by
        pg_trgm's similarity (shared trigrams / trigrams of either), at least `threshold`; ties by id."""
        own = trigrams(text)
        if not own or not self.codes.size:
            return []
        wanted = np.asarray(_codes(own), dtype=np.int64)
        numbers = np.minimum(np.searchsorted(self.codes, wanted), self.codes.size - 1)
        numbers = numbers[self.codes[numbers] == wanted]  # the typed trigrams some alias holds
        if not numbers.size:
            return []
        postings = np.concatenate([self.postings[self.starts[n] : self.starts[n + 1]] for n in numbers])
        shared = np.bincount(postings, minlength=len(self.names))
        # similarity = c / (q + s - c) >= t needs c >= t (q + s) / (1 + t) > t (q + 1) / (1 + t), s >= 1:
        # most aliases share a trigram or two ("ine") and are left out without being scored.
        found = np.flatnonzero(shared >= max(1, int(threshold * (len(own) + 1) / (1 + threshold))))
        common = shared[found].astype(np.float32)
        # In single precision, as pg_trgm computes it, so that ties and the threshold fall alike.
        similarity = common / (np.float32(len(own)) + self.sizes[found].astype(np.float32) - common)
        keep = similarity >= threshold
        found, similarity = found[keep], similarity[keep]
        result = []
        for kind in np.unique(self.kinds[found]):
            mine = self.kinds[found] == kind
            candidates, scores = found[mine], similarity[mine]
            best = np.lexsort((self.ids[candidates], -scores))[:limit]
            result.extend((int(kind), int(self.ids[p]), self.names[p]) for p in candidates[best])
        return result
