"""pg_trgm's trigram similarity in memory, for SQLite's typo candidates (see ``fuzzy``).

``TrigramIndex`` holds pg_trgm's trigrams of every normalised alias (≈170k names,
≈3.7M postings in NumPy arrays, ~17 MB). A lookup counts the trigrams each alias
shares with the typed text in one ``bincount`` over the postings of the text's
trigrams — no loop over the names — and keeps, as PostgreSQL's ``%`` does, the aliases
of at least SIMILARITY_THRESHOLD similarity, the most similar of each kind.
"""

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


@dataclass
class TrigramIndex:
    """Every normalised alias with its trigrams, as postings: the aliases holding each trigram.

    ``codes`` are the distinct trigrams (as ``_codes``), sorted; ``postings[starts[g]:
    starts[g + 1]]`` are the positions (in ``names``) of the aliases holding trigram
    ``codes[g]``; ``sizes`` is each alias's number of distinct trigrams, ``kinds`` its
    kind's position in KINDS.
    """

    names: list
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
            names=names,
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
